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
public interface Model<I, O> extends AutoCloseable {

    List<O> predict(List<I> batch) throws Exception;

    /** A cheap check run periodically by the runtime; false or an exception marks the replica unhealthy. */
    default boolean isHealthy() throws Exception {
        return true;
    }

    /** Frees what the model holds (native sessions, device memory). Called once, after its last batch. */
    @Override
    default void close() throws Exception {}
}
