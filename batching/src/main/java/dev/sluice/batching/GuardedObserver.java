package dev.sluice.batching;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A batcher's {@link BatchObserver} behind a guard: an exception thrown by the observer is logged and
 * ignored, so it never affects a request. Each method is called on the thread {@link BatchObserver}
 * documents for its event. Thread-safe if the observer is.
 */
final class GuardedObserver {
    private static final Logger LOG = LoggerFactory.getLogger(DynamicBatcher.class);

    private final String batcher;
    private final BatchObserver observer;

    GuardedObserver(String batcher, BatchObserver observer) {
        this.batcher = batcher;
        this.observer = observer;
    }

    void rejected(BatchObserver.Rejection reason) {
        try {
            observer.onRejected(batcher, reason);
        } catch (RuntimeException e) {
            failed(e);
        }
    }

    void batch(int size, long[] queueWaitNanos, long executionNanos, Throwable failure) {
        try {
            observer.onBatch(batcher, size, queueWaitNanos, executionNanos, failure);
        } catch (RuntimeException e) {
            failed(e);
        }
    }

    void expired(long queuedNanos) {
        try {
            observer.onExpired(batcher, queuedNanos);
        } catch (RuntimeException e) {
            failed(e);
        }
    }

    void cancelled(long queuedNanos) {
        try {
            observer.onCancelled(batcher, queuedNanos);
        } catch (RuntimeException e) {
            failed(e);
        }
    }

    private void failed(RuntimeException e) {
        LOG.warn("Observer of '{}' threw; ignored", batcher, e);
    }
}
