package dev.sluice.bench.baseline;

import dev.sluice.batching.BatchFunction;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;

/** Shared by the baselines: run one batch and complete its futures. */
final class Batches {
    private Batches() {}

    /** Calls {@code function} once for all of {@code batch} and completes every request; never throws. */
    static <I, O> void run(BatchFunction<I, O> function, List<Request<I, O>> batch) {
        int n = batch.size();
        List<I> inputs = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            inputs.add(batch.get(i).input);
        }
        List<O> outputs;
        try {
            outputs = function.apply(inputs);
        } catch (Throwable t) {
            for (int i = 0; i < n; i++) {
                batch.get(i).completeExceptionally(t);
            }
            return;
        }
        if (outputs == null || outputs.size() != n) {
            IllegalStateException e = new IllegalStateException("batch function returned "
                    + (outputs == null ? "null" : outputs.size() + " outputs") + " for " + n + " inputs");
            for (int i = 0; i < n; i++) {
                batch.get(i).completeExceptionally(e);
            }
            return;
        }
        for (int i = 0; i < n; i++) {
            batch.get(i).complete(outputs.get(i));
        }
    }

    static <O> CompletableFuture<O> full(int capacity) {
        return CompletableFuture.failedFuture(new RejectedExecutionException("queue full (capacity " + capacity + ")"));
    }

    static <O> CompletableFuture<O> closed() {
        return CompletableFuture.failedFuture(new RejectedExecutionException("batcher is closed"));
    }

    static void requireSizes(int maxBatchSize, int capacity) {
        if (maxBatchSize < 1 || capacity < 1) {
            throw new IllegalArgumentException("maxBatchSize and capacity must be positive");
        }
    }

    /** Waits for {@code t} to end even if interrupted, then restores the interrupt. */
    static void joinUninterruptibly(Thread t) {
        boolean interrupted = false;
        while (true) {
            try {
                t.join();
                break;
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    static Thread daemon(Runnable body, String name) {
        Thread t = new Thread(body, name);
        t.setDaemon(true);
        return t;
    }
}
