package dev.sluice.batching;

import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BooleanSupplier;

/**
 * Workers coming and going while batches run: giving a worker a batch, retiring a worker when its batch
 * ends, and abandoning a worker that cannot finish (its unfinished requests go back to the head of the
 * queue, at most once each, or fail). Keeps the set of running batches, which a forced close fails.
 *
 * <p>Thread-safe: called from the batch former, workers, and the runtime's threads at once. The race
 * between assigning and abandoning is settled by {@link AssignAbandonHandshake}.
 */
final class WorkerLifecycle<I, O> {
    private final Workers<I, O> workers;
    private final RequestQueue<I, O> queue;
    private final Set<Batch<I, O>> running = ConcurrentHashMap.newKeySet();
    /** Whether a forced close is under way (then nothing is requeued). */
    private final BooleanSupplier forced;
    /** Wakes the former whatever it waits for. */
    private final Runnable unparkFormer;
    /** Wakes the former only if it is parked. */
    private final Runnable unparkFormerIfParked;

    WorkerLifecycle(Workers<I, O> workers, RequestQueue<I, O> queue, BooleanSupplier forced, Runnable unparkFormer,
            Runnable unparkFormerIfParked) {
        this.workers = workers;
        this.queue = queue;
        this.forced = forced;
        this.unparkFormer = unparkFormer;
        this.unparkFormerIfParked = unparkFormerIfParked;
    }

    /** Adds a worker, free at once. */
    void add(Lane<I, O> worker) {
        workers.add(worker);
        unparkFormerIfParked.run();
    }

    /**
     * Makes {@code work} the worker's running batch. False if the worker was abandoned meanwhile: the batch
     * is then abandoned with it (its requests requeued or failed) and must not run.
     */
    boolean assign(Lane<I, O> worker, Batch<I, O> work) {
        if (AssignAbandonHandshake.assign(worker, work, running)) {
            return true;
        }
        abandonBatch(work);
        return false;
    }

    /** The worker's batch has ended (it completed its requests, or was abandoned). */
    void ended(Batch<I, O> work) {
        running.remove(work);
    }

    /** A forced close: fails every request of the batches running now. */
    void failRunning(ShutdownException error) {
        for (Batch<I, O> work : running) {
            for (PendingRequest<I, O> r : work.requests) {
                r.completeExceptionally(error);
            }
        }
    }

    /** Stops giving the worker batches; the future completes once it is not running one. */
    CompletableFuture<Void> retire(Lane<I, O> worker) {
        if (workers.retire(worker)) {
            unparkFormerIfParked.run();
        }
        return worker.retired.copy();
    }

    /** Gives up on the worker now (see {@code WorkerBatcher.Worker#abandon}); the first call decides how. */
    int abandon(Lane<I, O> worker, boolean requeue, RuntimeException error) {
        if (!worker.abandonment.compareAndSet(null, new Lane.Abandonment(requeue, error))) {
            return 0;
        }
        return retireNow(worker);
    }

    /** Retires a worker at once; its running batch, if any, is abandoned as its abandonment says. */
    private int retireNow(Lane<I, O> worker) {
        int before = workers.retireNow(worker);
        int back = 0;
        if (before == Lane.BUSY || before == Lane.RETIRING) {
            Batch<I, O> work = AssignAbandonHandshake.batchOfAbandoned(worker);
            // Requeue before the worker stops counting: a closing former must see the requests before it
            // sees no batch running.
            back = work == null ? 0 : abandonBatch(work);
            workers.gone(worker);
        }
        unparkFormer.run();
        return back;
    }

    /** Puts back or fails the requests of an abandoned worker's batch that it had not completed. Idempotent. */
    private int abandonBatch(Batch<I, O> work) {
        if (!work.markAbandoned()) {
            return 0;
        }
        work.releasePermit(); // its thread may never return: what it held in the gate goes back now
        running.remove(work);
        Lane.Abandonment how = work.worker.abandonment.get();
        int back = 0;
        for (PendingRequest<I, O> r : work.requests) {
            if (!r.isClaimed()) {
                continue; // completed by the worker before it was abandoned
            }
            if (how.requeue() && r.retryCause == null && !forced.getAsBoolean()) {
                queue.requeue(r, how.error());
                back++;
            } else {
                r.settle();
                r.completeExceptionally(how.error());
            }
        }
        return back;
    }
}
