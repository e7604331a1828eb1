package dev.sluice.batching;

/**
 * Told of everything a batcher does, for metrics and logs. Every method has an empty default, so an
 * observer implements only what it needs.
 *
 * <p>Threading: methods are called on the batcher's own threads (the batch former and the workers) and
 * on submitting threads (for rejections), possibly at the same time; implementations must be
 * thread-safe and fast, and must not block. An exception thrown by an observer is logged and ignored:
 * it never affects a request.
 */
public interface BatchObserver {

    /** Why a request was refused at admission. */
    enum Rejection {
        /** The queue was full ({@link OverloadedException}). */
        OVERLOADED,
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
