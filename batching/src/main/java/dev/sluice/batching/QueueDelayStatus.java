package dev.sluice.batching;

import java.time.Duration;
import java.util.Locale;

/**
 * A batcher's admission by expected queue delay, as it stands: an immutable snapshot, for people, status pages
 * and metrics ({@link DynamicBatcher#queueDelay()}).
 *
 * <p>A new request is refused with {@link OverloadedException} ({@link OverloadedException.Limit#QUEUE_DELAY})
 * when the requests queued ahead of it, at the cost per input the batcher measured for batches of the size its
 * policy aims for, shared over its workers, would keep it waiting for dispatch longer than {@code maxQueueDelay}
 * (or than its own timeout). See {@link DynamicBatcher.Builder#maxQueueDelay}.
 *
 * @param bounded whether the bound applies (false when switched off with
 *     {@link DynamicBatcher.Builder#unboundedQueueDelay()})
 * @param maxQueueDelay the expected wait past which a new request is refused; null while there is none
 *     (switched off, or the default bound before anything is measured)
 * @param expectedWait what a request submitted now could expect to wait for dispatch; null until measured
 *     (or while the batcher has no workers)
 * @param refused requests refused for their expected queue delay so far
 */
public record QueueDelayStatus(boolean bounded, Duration maxQueueDelay, Duration expectedWait, long refused) {
    @Override
    public String toString() {
        if (!bounded) {
            return "queue delay unbounded";
        }
        return "queue delay bound " + (maxQueueDelay == null ? "not yet measured" : millis(maxQueueDelay))
                + (expectedWait == null ? "" : ", expected wait " + millis(expectedWait)) + ", refused " + refused;
    }

    private static String millis(Duration d) {
        return String.format(Locale.ROOT, "%.1f ms", d.toNanos() / 1e6);
    }
}
