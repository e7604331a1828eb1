package dev.sluice.batching.internal;

import dev.sluice.batching.BatchFunction;
import dev.sluice.batching.DynamicBatcher;
import dev.sluice.batching.ModelException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;

/**
 * A {@link DynamicBatcher} whose batches run on workers that come and go while it runs: the Sluice
 * runtime's replicas. It has no function and no threads of its own for batches; each worker brings its own
 * function (its model) and executor (its thread). A batch is formed only when some worker is free, and
 * that worker runs it (late binding), so a slow worker never holds requests another could serve. With no
 * workers, requests wait in the queue (until their deadline, if they have one) for the first one added.
 *
 * <p>Built with {@link #builder()} and {@link DynamicBatcher.Builder#buildWithWorkers()}; the builder's
 * {@code maxConcurrentBatches} and {@code executor} do not apply (each worker runs one batch at a time on
 * its own executor).
 *
 * <p>Threading: all methods are thread-safe.
 *
 * <p>Not API: public only so that the Sluice runtime (another module) can run its replicas on it; it may
 * change or go without notice. See {@link dev.sluice.batching.internal}.
 *
 * @param <I> input type
 * @param <O> output type
 */
public interface WorkerBatcher<I, O> extends DynamicBatcher<I, O> {

    /** A builder for a batcher whose batches run on workers added later. */
    static <I, O> DynamicBatcher.Builder<I, O> builder() {
        return BatcherAccess.door().workerBuilder();
    }

    /**
     * Adds a worker, free at once. The executor must run each task on a thread other than the caller's
     * (a dedicated thread or pool), because batches are handed to it from submitting threads.
     *
     * @param name the worker's name, used as the replica in {@link ModelException}s
     * @throws IllegalStateException if the batcher has finished closing
     */
    Worker addWorker(String name, BatchFunction<I, O> function, Executor executor);

    /**
     * Adds a worker, free at once, whose every batch waits for {@code gate} after it is claimed and before
     * it runs (see {@link ExecutionGate}). The executor must run each task on a thread other than the
     * caller's, as for {@link #addWorker(String, BatchFunction, Executor)}.
     *
     * @param name the worker's name, used as the replica in {@link ModelException}s
     * @throws IllegalStateException if the batcher has finished closing
     */
    Worker addWorker(String name, BatchFunction<I, O> function, Executor executor, ExecutionGate gate);

    /** Workers added and not yet retired or abandoned. */
    int workers();

    /**
     * Fails every request waiting now with {@code error} (for instance when no worker can ever start).
     * Requests submitted afterwards wait as usual. Returns at once; the requests fail on the batch former.
     */
    void failWaiting(RuntimeException error);

    /** One worker of a {@link WorkerBatcher}. */
    interface Worker {
        String name();

        /** Whether it is running a batch now. */
        boolean isBusy();

        /**
         * Stops giving this worker batches. The returned future completes once it is not running one
         * (at once if it is free). Idempotent.
         */
        CompletableFuture<Void> retire();

        /**
         * Gives up on this worker now, for a worker that cannot finish its batch (its model hangs, or threw
         * an {@code Error}). Each request of its running batch that has not completed is put back at the
         * head of the queue when {@code requeue} is true and it was not requeued before (so it runs at most
         * twice), and otherwise fails with {@code error}. Whatever the worker's thread does later with that
         * batch is ignored, and what the batch held from its {@link ExecutionGate} is released at once. A
         * request requeued this way whose deadline passes before it runs again fails with {@code error}.
         *
         * @return how many requests were put back in the queue
         */
        int abandon(boolean requeue, RuntimeException error);
    }
}
