package dev.sluice.batching;

import dev.sluice.batching.internal.ExecutionGate;
import java.util.List;

/**
 * A claimed batch and the worker it was given to. Its requests are completed either by that worker, which
 * first {@linkplain #settle settles} them, or, if the worker is abandoned, by whoever
 * {@linkplain #markAbandoned abandons} it (requeued or failed); the batch's lock makes that choice once, so
 * a request is never completed by both.
 */
final class Batch<I, O> {
    final List<PendingRequest<I, O>> requests;
    final Lane<I, O> worker;
    /** Set once, under the batch's lock, by {@link #markAbandoned}; read unlocked only as an early exit. */
    volatile boolean abandoned;
    /** When the function first got it, and how many inputs it had then (before any failure isolation). */
    long startedAt;
    int size;
    /** The most inputs the policy let it take (see {@link Dispatch#chosenBatchSize()}); set by its former. */
    int chosenSize;
    /** How long it waited for its worker's gate; written by the worker before its first call. */
    long gateWaitNanos;
    /** The CPUs its permit lends its model calls ({@link BatchCall#cpus()}); written by the worker before its first call. */
    int cpus = 1;
    /** What it holds from its worker's gate while it runs; guarded by the batch's lock. */
    private ExecutionGate.Permit permit;

    Batch(List<PendingRequest<I, O>> requests, Lane<I, O> worker) {
        this.requests = requests;
        this.worker = worker;
    }

    /**
     * Marks {@code completing} (this batch's requests, or some of them) as settled, about to be completed by
     * the worker; unless the batch was abandoned: then its requests belong to the queue again, or are already
     * failed, and the worker must not touch them.
     *
     * @return false if abandoned
     */
    boolean settle(List<PendingRequest<I, O>> completing) {
        synchronized (this) {
            if (abandoned) {
                return false;
            }
            for (PendingRequest<I, O> r : completing) {
                r.settle();
            }
            return true;
        }
    }

    /** Marks it abandoned; false if it already was (so abandoning is idempotent). */
    boolean markAbandoned() {
        synchronized (this) {
            if (abandoned) {
                return false;
            }
            abandoned = true;
            return true;
        }
    }

    /** Its key in the worker's gate: the oldest origin among its requests. */
    long priorityKey() {
        long key = Long.MAX_VALUE;
        for (PendingRequest<I, O> r : requests) {
            key = Math.min(key, r.origin);
        }
        return key;
    }

    /**
     * Worker: keeps the permit it acquired for this batch until {@link #releasePermit}. If the batch was
     * abandoned meanwhile (the abandoner released whatever it found, which was not this), releases it now.
     *
     * @return false if abandoned: the batch must not run
     */
    boolean holdPermit(ExecutionGate.Permit acquired) {
        synchronized (this) {
            if (!abandoned) {
                permit = acquired;
                return true;
            }
        }
        acquired.release();
        return false;
    }

    /**
     * Gives back the permit held for this batch, if any: by the worker when the batch is over, or by the
     * abandoner at once (a hung model must not keep the machine's share for good). Idempotent.
     */
    void releasePermit() {
        ExecutionGate.Permit held;
        synchronized (this) {
            held = permit;
            permit = null;
        }
        if (held != null) {
            held.release();
        }
    }
}
