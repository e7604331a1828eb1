package dev.sluice.bench;

import dev.sluice.batching.BatchFunction;
import dev.sluice.batching.BatchPolicy;
import dev.sluice.batching.DynamicBatcher;
import dev.sluice.bench.baseline.LinkedBlockingQueueBatcher;
import dev.sluice.bench.baseline.MpscArrayQueueBatcher;
import dev.sluice.bench.baseline.SimpleBatcher;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;

/**
 * The things the JMH benchmarks compare, behind one interface: Sluice's {@link DynamicBatcher}, the two
 * baselines, and a direct call of the function with a singleton list. A JMH fork creates exactly one of
 * them, so the call through this interface stays monomorphic.
 */
public interface Target<I, O> extends AutoCloseable {

    CompletableFuture<O> submit(I input);

    @Override
    void close();

    /** Names accepted by {@link #create}: {@code sluice}, {@code lbq}, {@code mpsc}, {@code direct}. */
    static <I, O> Target<I, O> create(String impl, BatchFunction<I, O> function, int maxBatchSize, int capacity) {
        switch (impl.toLowerCase(Locale.ROOT)) {
            case "sluice":
                DynamicBatcher<I, O> sluice = DynamicBatcher.builder(function)
                        .name("bench")
                        .policy(BatchPolicy.eager())
                        .maxBatchSize(maxBatchSize)
                        .queueCapacity(capacity)
                        .maxConcurrentBatches(1)
                        .maxDelay(Duration.ZERO)
                        .build();
                return new Delegating<>(sluice::submit, sluice::close);
            case "lbq":
                SimpleBatcher<I, O> lbq = new LinkedBlockingQueueBatcher<>(function, maxBatchSize, capacity);
                return new Delegating<>(lbq::submit, lbq::close);
            case "mpsc":
                SimpleBatcher<I, O> mpsc = new MpscArrayQueueBatcher<>(function, maxBatchSize, capacity);
                return new Delegating<>(mpsc::submit, mpsc::close);
            case "direct":
                return new Direct<>(function);
            default:
                throw new IllegalArgumentException("unknown impl '" + impl + "': sluice, lbq, mpsc or direct");
        }
    }

    /** A target that forwards to a batcher's submit and close. */
    final class Delegating<I, O> implements Target<I, O> {
        private final Function<I, CompletableFuture<O>> submit;
        private final Runnable close;

        Delegating(Function<I, CompletableFuture<O>> submit, Runnable close) {
            this.submit = submit;
            this.close = close;
        }

        @Override
        public CompletableFuture<O> submit(I input) {
            return submit.apply(input);
        }

        @Override
        public void close() {
            close.run();
        }
    }

    /** Calls the function on the caller's thread with a one-element list; the future is already complete. */
    final class Direct<I, O> implements Target<I, O> {
        private final BatchFunction<I, O> function;

        Direct(BatchFunction<I, O> function) {
            this.function = function;
        }

        @Override
        public CompletableFuture<O> submit(I input) {
            try {
                return CompletableFuture.completedFuture(function.apply(List.of(input)).get(0));
            } catch (Exception e) {
                return CompletableFuture.failedFuture(e);
            }
        }

        @Override
        public void close() {}
    }
}
