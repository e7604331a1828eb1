package dev.sluice.batching;

import java.time.Duration;
import java.util.Locale;
import java.util.Optional;

/**
 * A batcher's admission by expected queue delay, as it stands: an immutable snapshot of plain values, for people,
 * status pages and metrics ({@link DynamicBatcher#queueDelay()}).
 *
 * <p>A new request is refused with {@link OverloadedException} ({@link OverloadedException.Limit#QUEUE_DELAY})
 * when the requests queued ahead of it, at the cost per input the batcher measured for batches of the size its
 * policy aims for, shared over its workers, would keep it waiting for dispatch longer than {@code maxQueueDelay}
 * (or than its own timeout). See {@link DynamicBatcher.Builder#maxQueueDelay}.
 *
 * @param bounded whether the bound applies (false when switched off with
 *     {@link DynamicBatcher.Builder#unboundedQueueDelay()})
 * @param maxQueueDelayNanos the expected wait past which a new request is refused, in nanoseconds; -1 while there
 *     is none (switched off, or the default bound before anything is measured)
 * @param expectedWaitNanos what a request submitted now could expect to wait for dispatch, in nanoseconds; -1 until
 *     measured (or while the batcher has no workers)
 * @param refused requests refused for their expected queue delay so far
 */
public record QueueDelayStatus(boolean bounded, long maxQueueDelayNanos, long expectedWaitNanos, long refused) {

    /** The bound; empty while there is none. */
    public Optional<Duration> maxQueueDelay() {
        return maxQueueDelayNanos < 0 ? Optional.empty() : Optional.of(Duration.ofNanos(maxQueueDelayNanos));
    }

    /** The wait a request submitted now could expect; empty until measured. */
    public Optional<Duration> expectedWait() {
        return expectedWaitNanos < 0 ? Optional.empty() : Optional.of(Duration.ofNanos(expectedWaitNanos));
    }

    @Override
    public String toString() {
        if (!bounded) {
            return "queue delay unbounded";
        }
        return "queue delay bound " + (maxQueueDelayNanos < 0 ? "not yet measured" : millis(maxQueueDelayNanos))
                + (expectedWaitNanos < 0 ? "" : ", expected wait " + millis(expectedWaitNanos)) + ", refused " + refused;
    }

    private static String millis(long nanos) {
        return String.format(Locale.ROOT, "%.1f ms", nanos / 1e6);
    }
}
