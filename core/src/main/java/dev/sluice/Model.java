package dev.sluice;

import java.util.List;

/**
 * A model as the runtime sees it: one call per batch, on the replica's own thread. Each replica has its
 * own instance, made by the deployment's {@link ModelFactory} with the replica's {@link ModelContext}.
 *
 * <p>Contract of {@link #predict}: return exactly one output per input, in order; throw to fail the batch
 * (the batcher can then isolate the failing inputs); throw {@code InvalidInputException} about one input
 * to have it reported to that caller as bad input. A replica calls {@code predict} from one thread at a
 * time unless the deployment allows several ongoing batches per replica.
 *
 * @param <I> input type
 * @param <O> output type
 */
// "try": close() throws Exception, InterruptedException included, so that a model over a native runtime passes
// its checked errors on; the runtime, not a try-with-resources, closes it and keeps an interrupt it reports.
@SuppressWarnings("try")
public interface Model<I, O> extends AutoCloseable {

    List<O> predict(List<I> batch) throws Exception;

    /** A cheap check run periodically by the runtime; false or an exception marks the replica unhealthy. */
    default boolean isHealthy() throws Exception {
        return true;
    }

    /**
     * Frees what the model holds (native sessions, device memory). Called at most once, when its replica
     * stops (scaled down, replaced by an update, lost, undeployed, or the runtime closing), and only after
     * its last batch returned: no {@code predict} runs during or after it. A batch still running then (a
     * lost replica's hung batch, or one outliving the close grace period) delays the close until it returns,
     * and the close then runs on that batch's thread; if it never returns, the model is never closed (the
     * runtime logs a warning naming the replica). An exception thrown here is logged and otherwise ignored;
     * an {@link InterruptedException} also sets the closing thread's interrupt status again.
     */
    @Override
    default void close() throws Exception {}
}
