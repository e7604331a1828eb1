package dev.sluice.batching;

import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The workers of one batcher and their states: the free ones in a deque (most recently freed first, so a
 * light load stays on warm workers), with counts beside it so the batch former decides without walking
 * it. Every state change of a {@link Lane} is a CAS here, so a worker is taken, freed or retired exactly
 * once however the threads race. Thread-safe.
 */
final class Workers<I, O> {
    private final ConcurrentLinkedDeque<Lane<I, O>> idle = new ConcurrentLinkedDeque<>();
    /** Workers in state IDLE; may lag the deque by a moment. */
    private final AtomicInteger free = new AtomicInteger();
    /** Workers not retired; never less than {@code free}. */
    private final AtomicInteger live = new AtomicInteger();

    int free() {
        return free.get();
    }

    int live() {
        return live.get();
    }

    /** Workers running a batch. */
    int busy() {
        return Math.max(0, live.get() - free.get());
    }

    /** A new worker, free at once. */
    void add(Lane<I, O> worker) {
        live.incrementAndGet();
        idle.offerFirst(worker);
        free.incrementAndGet();
    }

    /** A free worker, now busy, or null if there is none. */
    Lane<I, O> take() {
        Lane<I, O> worker;
        while ((worker = idle.pollFirst()) != null) {
            // A worker retired while free is still in the deque: it fails this and is dropped.
            if (worker.state.compareAndSet(Lane.IDLE, Lane.BUSY)) {
                free.decrementAndGet();
                return worker;
            }
        }
        return null;
    }

    /** A busy worker is done for now: it becomes free, or finishes retiring; an abandoned one is left alone. */
    void release(Lane<I, O> worker) {
        while (true) {
            int s = worker.state.get();
            if (s == Lane.BUSY) {
                if (worker.state.compareAndSet(Lane.BUSY, Lane.IDLE)) {
                    idle.offerFirst(worker);
                    free.incrementAndGet();
                    return;
                }
            } else if (s == Lane.RETIRING) {
                if (worker.state.compareAndSet(Lane.RETIRING, Lane.RETIRED)) {
                    gone(worker);
                    return;
                }
            } else {
                return;
            }
        }
    }

    /**
     * Stops giving the worker batches: a free one retires now, a busy one when its batch ends.
     *
     * @return whether it retired now
     */
    boolean retire(Lane<I, O> worker) {
        while (true) {
            int s = worker.state.get();
            if (s == Lane.IDLE) {
                if (worker.state.compareAndSet(Lane.IDLE, Lane.RETIRED)) {
                    free.decrementAndGet();
                    gone(worker);
                    return true;
                }
            } else if (s == Lane.BUSY) {
                if (worker.state.compareAndSet(Lane.BUSY, Lane.RETIRING)) {
                    return false;
                }
            } else {
                return false;
            }
        }
    }

    /**
     * Moves the worker to RETIRED at once, whatever it was doing. A free one is gone at once; for a busy
     * one the caller deals with its batch and then calls {@link #gone}.
     *
     * @return its state before, or RETIRED if it already was
     */
    int retireNow(Lane<I, O> worker) {
        int s;
        do {
            s = worker.state.get();
            if (s == Lane.RETIRED) {
                return Lane.RETIRED;
            }
        } while (!worker.state.compareAndSet(s, Lane.RETIRED));
        if (s == Lane.IDLE) {
            free.decrementAndGet();
            gone(worker);
        }
        return s;
    }

    /** A retired worker stops counting. */
    void gone(Lane<I, O> worker) {
        live.decrementAndGet();
        worker.retired.complete(null);
    }
}
