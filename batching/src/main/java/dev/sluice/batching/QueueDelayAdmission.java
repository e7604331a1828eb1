package dev.sluice.batching;

import dev.sluice.batching.internal.BatchCostCurve;
import dev.sluice.batching.internal.BatchingLimits;
import dev.sluice.batching.internal.RequestOrigin;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.LongAdder;

/**
 * A batcher's admission by expected queue delay: refuses a new request at once when the requests queued ahead
 * of it would keep it waiting for dispatch longer than the bound, or than its own timeout.
 *
 * <p>The expected wait is {@code ahead x c(s) / s x occupancy / workers}: the requests queued ahead, each at
 * the cost per input of a batch of the size {@code s} the policy aims for (from the cost curve the batcher
 * learns), shared over its workers. {@code occupancy} is how much longer a worker is held by a batch than the
 * batch's call takes: in the Sluice runtime a claimed batch first waits for the execution budget, so replicas
 * that share two cores drain the queue at the rate of two, not of the replicas; smoothed over recent batches,
 * 1 where nothing waits. Batches running now are not counted (at most one batch time per worker, and leaving
 * them out errs towards admitting). The fluid estimate is exact when the queue is long, which is when the bound
 * matters.
 *
 * <p>The bound: a fixed {@code maxQueueDelay}, or by default
 * {@value BatchingLimits#DEFAULT_QUEUE_DELAY_MULTIPLE} times the measured time of a batch of size {@code s}, at
 * least one second ({@link BatchingLimits#DEFAULT_QUEUE_DELAY_FLOOR}); never more than the request's timeout (its
 * deadline bounds exactly this wait). So the default refuses a request when more than that many target batches
 * per worker wait ahead of it, whatever the model costs. Nothing is refused before the curve has a bucket with
 * two calls (a bucket's first call stands in for one-off costs until its second replaces it, see
 * {@link CostCurve.Point}), nor with nothing queued ahead, nor while the batcher has no worker, nor for work
 * admitted upstream ({@link RequestOrigin#submitAdmitted}: a pipeline's steps). A refusal's {@code retryAfter}
 * is the expected time until the queue ahead drains to the bound.
 *
 * <p>Threading: {@link #refusal} on any submitting thread, without locking; what it derives from the curve is
 * worked out once per curve (once per batch) by whichever thread first sees it. {@link #ranBatch} on worker
 * threads (a short lock per batch).
 */
final class QueueDelayAdmission {
    /** How much a batch's occupancy weighs in the smoothed one: about the last ten batches count. */
    private static final double OCCUPANCY_WEIGHT = 0.1;

    /** What the curve says, worked out once per curve; {@code perItemNanos} below 0 while nothing is trusted. */
    private record Estimate(List<CostCurve.Point> points, int targetSize, double perItemNanos, long boundNanos) {}

    private static final Estimate UNKNOWN = new Estimate(List.of(), 1, -1, Long.MAX_VALUE);

    private final String name;
    /** Fixed bound in nanoseconds; 0 for the default multiple; -1 when switched off. */
    private final long fixedBoundNanos;
    private final BatchCostCurve curve;
    private final WaitForCompany policy;
    private final LongAdder refused = new LongAdder();
    private volatile Estimate estimate = UNKNOWN;
    /** Smoothed (gate wait + call) / call of recent batches; written under the lock, read without. */
    private volatile double occupancy = 1;

    /**
     * @param fixedBoundNanos a fixed bound (positive), 0 for the default, -1 for none
     * @param policy tells the batch size the policy aims for with a curve ({@link WaitForCompany#targetBatchSize})
     */
    QueueDelayAdmission(String name, long fixedBoundNanos, BatchCostCurve curve, WaitForCompany policy) {
        this.name = name;
        this.fixedBoundNanos = fixedBoundNanos;
        this.curve = curve;
        this.policy = policy;
    }

    /**
     * The refusal of a request with {@code ahead} requests queued before it, or null to admit it.
     *
     * @param workers the batcher's live workers
     * @param timeoutNanos what the request allows for the wait (its timeout), {@link Long#MAX_VALUE} for none
     */
    OverloadedException refusal(int ahead, int workers, long timeoutNanos) {
        if (fixedBoundNanos < 0 || ahead <= 0 || workers <= 0) {
            return null;
        }
        Estimate e = estimate();
        if (e.perItemNanos < 0) {
            return null;
        }
        double wait = expectedWait(e, ahead, workers);
        long bound = Math.min(e.boundNanos, timeoutNanos);
        if (wait <= bound || RequestOrigin.admittedUpstream()) {
            return null;
        }
        refused.increment();
        return refusal(e, ahead, workers, wait, bound, timeoutNanos < e.boundNanos);
    }

    /**
     * A batch's call took {@code callNanos} after it waited {@code gateWaitNanos} for the worker's execution
     * gate: how long it held its worker against how long its call ran.
     */
    void ranBatch(long gateWaitNanos, long callNanos) {
        if (fixedBoundNanos < 0 || callNanos <= 0) {
            return;
        }
        double held = (double) (Math.max(0, gateWaitNanos) + callNanos) / callNanos;
        synchronized (this) {
            occupancy += OCCUPANCY_WEIGHT * (held - occupancy);
        }
    }

    /** A snapshot, with the expected wait of a request submitted behind {@code queued} requests. */
    QueueDelayStatus status(int queued, int workers) {
        if (fixedBoundNanos < 0) {
            return new QueueDelayStatus(false, -1, -1, refused.sum());
        }
        Estimate e = estimate();
        boolean measured = e.perItemNanos >= 0;
        long bound = fixedBoundNanos > 0 ? fixedBoundNanos : measured ? e.boundNanos : -1;
        long wait = measured && workers > 0 ? (long) Math.min(Long.MAX_VALUE / 2.0, expectedWait(e, queued, workers)) : -1;
        return new QueueDelayStatus(true, bound, wait, refused.sum());
    }

    @Override
    public String toString() {
        return fixedBoundNanos < 0 ? "unbounded" : fixedBoundNanos > 0 ? millis(fixedBoundNanos)
                : BatchingLimits.DEFAULT_QUEUE_DELAY_MULTIPLE + "x the target batch's time, at least "
                        + BatchingLimits.DEFAULT_QUEUE_DELAY_FLOOR.toMillis() + " ms";
    }

    private double expectedWait(Estimate e, int ahead, int workers) {
        return ahead * e.perItemNanos * occupancy / workers;
    }

    /** The estimate for the curve now, worked out again only when a batch was recorded since. */
    private Estimate estimate() {
        List<CostCurve.Point> points = curve.points();
        Estimate e = estimate;
        if (e.points != points) {
            e = estimateOf(points);
            estimate = e; // racing threads compute the same value from the same curve
        }
        return e;
    }

    private Estimate estimateOf(List<CostCurve.Point> points) {
        int target = policy.targetBatchSize(points);
        int targetBucket = BatchCostCurve.bucketOf(target);
        CostCurve.Point nearest = null;
        int nearestDistance = Integer.MAX_VALUE;
        for (CostCurve.Point p : points) {
            if (p.samples() < 2) {
                continue;
            }
            int distance = Math.abs(BatchCostCurve.bucketOf(p.minSize()) - targetBucket);
            if (distance < nearestDistance) {
                nearest = p;
                nearestDistance = distance;
            }
        }
        if (nearest == null) {
            return new Estimate(points, target, -1, Long.MAX_VALUE);
        }
        // The target's own bucket when it is measured; otherwise the nearest one stands in, per input. Wait and
        // default bound then err alike (both scale with the same cost per input), so the default's count of
        // batches ahead stays right while the target's bucket is learned.
        double perItem = nearest.meanNanos() / Math.max(1.0, nearest.meanSize());
        long bound = fixedBoundNanos > 0 ? fixedBoundNanos
                : (long) Math.min(Long.MAX_VALUE / 2.0, Math.max(BatchingLimits.DEFAULT_QUEUE_DELAY_FLOOR.toNanos(),
                        BatchingLimits.DEFAULT_QUEUE_DELAY_MULTIPLE * perItem * target));
        return new Estimate(points, target, perItem, bound);
    }

    private OverloadedException refusal(Estimate e, int ahead, int workers, double wait, long bound, boolean byTimeout) {
        // Room comes when the queue ahead has drained to what the bound allows.
        Duration retryAfter = Duration.ofNanos((long) Math.min(Long.MAX_VALUE / 2.0, Math.max(0, wait - bound)));
        String boundWords = byTimeout ? "its timeout of " + millis(bound)
                : "the maxQueueDelay of " + millis(bound) + (fixedBoundNanos == 0 ? String.format(Locale.ROOT,
                        " (%dx a batch of %d, %s, at least %d ms)", BatchingLimits.DEFAULT_QUEUE_DELAY_MULTIPLE,
                        e.targetSize, millis(e.perItemNanos * e.targetSize),
                        BatchingLimits.DEFAULT_QUEUE_DELAY_FLOOR.toMillis()) : "");
        String reason = String.format(Locale.ROOT,
                "%d requests queued ahead, at %s per input over %d worker(s)%s, would keep this one waiting about %s,"
                        + " longer than %s; the request was not queued",
                ahead, millis(e.perItemNanos), workers,
                occupancy > 1.05 ? String.format(Locale.ROOT, " each held %.1fx its call's time", occupancy) : "",
                millis(wait), boundWords);
        return new OverloadedException(name, OverloadedException.Limit.QUEUE_DELAY, reason, retryAfter);
    }

    private static String millis(double nanos) {
        return nanos >= 1e6 || nanos == 0 ? String.format(Locale.ROOT, "%.1f ms", nanos / 1e6)
                : String.format(Locale.ROOT, "%.1f us", nanos / 1e3);
    }
}
