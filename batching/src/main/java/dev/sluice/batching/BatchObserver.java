package dev.sluice.batching;

/**
 * Told of everything a batcher does, for metrics and logs. Every method has an empty default, so an
 * observer implements only what it needs.
 *
 * <p>Threading: the methods are called on several threads, possibly at the same time, so implementations
 * must be thread-safe and fast, and must not block (each call holds up the thread that makes it, which may
 * be a caller's). Which thread makes each call:
 * <ul>
 *   <li>{@link #onBatch}: the thread that ran the function call (one of the batcher's worker threads, a
 *       thread of the executor given to the builder, or, in the Sluice runtime, a replica's thread), right
 *       after the call returned or threw and before the call's futures complete.</li>
 *   <li>{@link #onRejected}: the submitting thread, inside {@code submit}.</li>
 *   <li>{@link #onExpired}: the batch former thread, or a worker thread that meets the expired request
 *       while forming its next batch or starting its batch; never a submitting thread.</li>
 *   <li>{@link #onCancelled}: for a future cancelled with {@code cancel}, the cancelling thread, inside
 *       {@code cancel}; for a future its caller completed while queued ({@code complete},
 *       {@code orTimeout}...), whichever thread next forms a batch: the batch former, a worker that has
 *       just finished a batch, or a submitting thread that found the batcher idle.</li>
 * </ul>
 *
 * <p>An exception thrown by an observer is logged and ignored: it never affects a request.
 */
public interface BatchObserver {

    /** Why a request was refused at admission. */
    enum Rejection {
        /** The queue was full ({@link OverloadedException}, {@link OverloadedException.Limit#QUEUE_CAPACITY}). */
        OVERLOADED,
        /**
         * The requests queued ahead would have kept it waiting longer than the batcher's {@code maxQueueDelay}
         * or its own timeout ({@link OverloadedException}, {@link OverloadedException.Limit#QUEUE_DELAY}).
         */
        QUEUE_DELAY,
        /** The batcher was closed ({@link ShutdownException}). */
        SHUTDOWN,
        /** The request's timeout was zero or negative ({@link DeadlineExceededException}). */
        ALREADY_EXPIRED
    }

    /**
     * One call of the batch function finished (also each retry of a split batch under failure isolation).
     *
     * @param batcher name of the batcher
     * @param size number of inputs in the call
     * @param queueWaitNanos for each input, the time from submission to dispatch; owned by the
     *     observer after the call
     * @param executionNanos how long the call took
     * @param failure what the function threw, or {@code null} when it returned
     */
    default void onBatch(String batcher, int size, long[] queueWaitNanos, long executionNanos, Throwable failure) {}

    /** A request was refused at admission; its future already failed. */
    default void onRejected(String batcher, Rejection reason) {}

    /** A queued request's deadline passed before dispatch; it never reached the function. */
    default void onExpired(String batcher, long queuedNanos) {}

    /** A queued request was cancelled (or completed by its caller) before dispatch; it never reached the function. */
    default void onCancelled(String batcher, long queuedNanos) {}

    /** An observer that ignores everything. */
    static BatchObserver none() {
        return NoBatchObserver.INSTANCE;
    }
}

final class NoBatchObserver implements BatchObserver {
    static final NoBatchObserver INSTANCE = new NoBatchObserver();

    private NoBatchObserver() {}
}
