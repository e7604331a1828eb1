package dev.sluice;

import java.util.ArrayDeque;
import java.util.Iterator;
import java.util.Locale;

/**
 * The autoscaling decision of one deployment (see {@link AutoscalingPolicy} for the rule). Fed one sample
 * per control-loop pass: the clock, the deployment's cumulative busy time and inputs run, and its queue
 * depth. Samples are
 * weighted by the time between them, so extra passes at the same instant change nothing.
 *
 * <p>Not thread-safe: used under the runtime's lock.
 */
final class Autoscaler {
    /** What the autoscaler decided on one pass. */
    record Decision(int target, AutoscalerAction action, String reason) {}

    private record Sample(long at, long busyNanos, long items, double queueIntegral) {}

    private final AutoscalingPolicy policy;
    private final ArrayDeque<Sample> window = new ArrayDeque<>();
    private long lastAt = Long.MIN_VALUE;
    private int lastDepth;
    private double queueIntegral;
    /** Clock time since which the current wish (up or down) has held, or MIN_VALUE. */
    private long wishSince = Long.MIN_VALUE;
    private int wishDirection;
    private Decision last = new Decision(-1, AutoscalerAction.NONE, "no decision yet");

    Autoscaler(AutoscalingPolicy policy) {
        this.policy = policy;
    }

    Decision last() {
        return last;
    }

    /**
     * @param busyNanos the deployment's replicas' total time running batches so far (never decreasing)
     * @param items inputs its replicas have run so far (never decreasing)
     * @param perItemAtFullBatchNanos what one input costs when batches are full ({@code a / maxBatchSize + b}
     *     of the fitted batch cost), or -1 when not known yet
     * @param current replicas now wanted (running, starting or pending)
     * @param mayScaleDown false while the deployment drains for shutdown
     */
    Decision decide(long now, long busyNanos, long items, double perItemAtFullBatchNanos, int queueDepth, int current,
            int min, int max, int maxBatchSize, boolean mayScaleDown) {
        if (lastAt != Long.MIN_VALUE && now > lastAt) {
            queueIntegral += (double) lastDepth * (now - lastAt);
        }
        if (now >= lastAt) {
            lastAt = now;
            lastDepth = queueDepth;
        }
        Sample newest = window.peekLast();
        if (newest != null && newest.at >= now) {
            window.pollLast(); // several passes at one instant keep one sample
        }
        window.addLast(new Sample(now, busyNanos, items, queueIntegral));
        long lookBack = policy.lookBack().toNanos();
        // Keep the newest sample at or before the window's start as its base.
        while (window.size() > 2) {
            Iterator<Sample> it = window.iterator();
            it.next();
            if (it.next().at > now - lookBack) {
                break;
            }
            window.pollFirst();
        }
        int floor = Math.max(min, 0);
        if (current < floor) {
            return decided(floor, AutoscalerAction.SCALE_UP, "below the minimum of " + min);
        }
        if (current > max) {
            return decided(max, AutoscalerAction.SCALE_DOWN, "above the maximum of " + max);
        }
        if (current == 0 && queueDepth > 0) {
            wishSince = Long.MIN_VALUE;
            return decided(Math.max(1, min), AutoscalerAction.SCALE_UP, queueDepth + " request(s) waiting with no replica");
        }
        Sample base = window.peekFirst();
        long span = now - base.at;
        if (span <= 0) {
            return decided(current, AutoscalerAction.HOLD, "no load measured yet");
        }
        double busy = Math.max(0, (double) (busyNanos - base.busyNanos) / span);
        // Busy time overstates the need when batches are small: with a fixed cost per call, replicas that
        // share a light load run tiny batches back to back and look busy. The work the same inputs need at
        // full batches is what fewer replicas would spend on them, so that is the load (never more than busy).
        double work = perItemAtFullBatchNanos < 0 ? busy
                : Math.min(busy, (items - base.items) * perItemAtFullBatchNanos / span);
        double queued = Math.max(0, (queueIntegral - base.queueIntegral) / span / maxBatchSize);
        double load = work + queued;
        double target = policy.targetUtilization();
        int up = clamp((int) Math.ceil(load / target - 1e-9), floor, max);
        int down = clamp((int) Math.ceil(load / (target * (1 - policy.tolerance())) - 1e-9), floor, max);
        String measured = String.format(Locale.ROOT, "load %.2f (%.2f replicas' work at full batches, %.2f busy;"
                + " + %.2f batches queued) over %d ms, target %.2f per replica", load, work, busy, queued,
                span / 1_000_000, target);
        int direction = up > current ? 1 : (down < current && mayScaleDown) ? -1 : 0;
        if (direction == 0) {
            wishSince = Long.MIN_VALUE;
            wishDirection = 0;
            return decided(current, AutoscalerAction.HOLD, measured);
        }
        if (direction != wishDirection || wishSince == Long.MIN_VALUE) {
            wishDirection = direction;
            wishSince = now;
        }
        int wanted = direction > 0 ? up : down;
        long delay = (direction > 0 ? policy.upscaleDelay() : policy.downscaleDelay()).toNanos();
        long held = now - wishSince;
        if (held < delay) {
            return decided(current, direction > 0 ? AutoscalerAction.WAITING_TO_SCALE_UP : AutoscalerAction.WAITING_TO_SCALE_DOWN,
                    measured + "; wants " + wanted + ", for " + held / 1_000_000 + " of " + delay / 1_000_000 + " ms");
        }
        wishSince = Long.MIN_VALUE;
        wishDirection = 0;
        return decided(wanted, direction > 0 ? AutoscalerAction.SCALE_UP : AutoscalerAction.SCALE_DOWN, measured + "; wants " + wanted);
    }

    private Decision decided(int target, AutoscalerAction action, String reason) {
        last = new Decision(target, action, reason);
        return last;
    }

    private static int clamp(int v, int lo, int hi) {
        return Math.max(lo, Math.min(hi, v));
    }
}
