package dev.sluice.batching;

import dev.sluice.batching.internal.BatchCostCurve;
import java.util.List;

/**
 * Batches of the size the measured cost curve says pays, and a wait for company only when the curve says
 * it pays: the rule is {@link BatchPolicy#adaptive()}'s Javadoc; the reasons are here.
 *
 * <p>Why a bucket that looks better than it is needs no exploration: being the best, it becomes the target
 * and runs, and its own calls correct it. A bucket that looks worse than it is never runs by itself; the
 * exploration below is for those.
 *
 * <p>Why the smallest size within a tolerance of the best, not the best: on a CPU, the inputs per second of
 * all sizes are within noise of each other (or fall with size), and among near-equals the smallest batch
 * answers its requests soonest and leaves the others to free workers. 10% is well above the noise of a
 * bucket's running mean (if single calls vary by 10%, a mean over about ten calls varies by about 3%), and
 * below the gain that makes batching worth its latency.
 *
 * <p>Why exploration is a counter, not a random draw: the same calls make the same decisions, so tests
 * are exact. One decision in {@value #EXPLORE_EVERY} costs a CPU model at most a few percent of one batch in
 * sixteen (the recognizer: a batch of 2 runs 4% slower per input than two of 1). Exploring down only into
 * a stale bucket keeps a GPU-like model, whose target is {@code maxBatchSize}, from paying for half-full
 * batches it has no reason to doubt: the bucket below is tried at most once per
 * {@value dev.sluice.batching.internal.BatchCostCurve#STALE_AFTER} calls, and that one call replaces what
 * the bucket knew.
 *
 * <p>Why slow start: filling {@code maxBatchSize} before anything is known would make a CPU model's first
 * batches the slowest per input it can run, and its first requests wait for the whole batch. Starting at
 * one and doubling while each step pays costs a GPU-like model three calls per bucket (fifteen calls
 * before its first batch of 32).
 *
 * <p>Threading: {@link #batchSize} and {@link #nanosToWait} hold the exploration counter and a cache of the
 * plan for the last curve seen; the batcher calls them from one thread at a time (see {@link BatchPolicy}).
 * {@link #targetBatchSize} reads nothing of that state.
 */
final class AdaptiveBatchPolicy implements BatchPolicy {
    /** Calls a bucket needs before its means are trusted: the first stands in until a second replaces it. */
    static final int MIN_SAMPLES = 3;
    /**
     * How far below the best throughput a smaller size may be and still be the target; and how much more an
     * input may cost when a short queue is spread over free workers.
     */
    static final double TOLERANCE = 0.10;
    /** One decision in this many (with a target's worth waiting) explores a bucket beside the target. */
    static final int EXPLORE_EVERY = 16;

    /**
     * What the curve says, worked out once per curve: the target size, the bucket to climb into (-1: none),
     * the fit (null while unknown) and the smallest even share of a short queue that is worth spreading.
     */
    record Plan(int target, int climb, BatchCostCurve.Fit fit, int smallestShare) {}

    // Used by the holder of the former role only.
    private List<CostCurve.Point> planned;
    private Plan plan;
    private int maxPlanned;
    private int sinceExplore;
    private boolean exploreDownNext;

    @Override
    public int batchSize(State state) {
        int max = state.maxBatchSize();
        int k = state.queued();
        Plan p = plan(state.costCurve(), max);
        if (p.climb >= 0 && k >= BatchCostCurve.bucketMin(p.climb)) {
            return Math.min(k, BatchCostCurve.bucketMax(p.climb, max));
        }
        int t = p.target;
        if (k >= t && ++sinceExplore >= EXPLORE_EVERY) {
            int explored = explore(state.costCurve(), t, k, max);
            if (explored > 0) {
                sinceExplore = 0;
                return explored;
            }
        }
        int f = Math.max(1, state.freeWorkers());
        int share = (int) Math.min(t, (k + (long) f - 1) / f);
        return Math.min(t, Math.max(share, p.smallestShare));
    }

    /**
     * A batch beside the target, up and down in turn; 0 if the turn's way is not open now (the turn then
     * passes to the other way).
     */
    private int explore(List<CostCurve.Point> curve, int target, int k, int max) {
        boolean down = exploreDownNext;
        exploreDownNext = !down;
        int b = BatchCostCurve.bucketOf(target);
        if (down) {
            if (b == 0) {
                return 0;
            }
            CostCurve.Point below = point(curve, b - 1);
            boolean stale = below == null || below.batchesAgo() >= BatchCostCurve.STALE_AFTER;
            return stale ? BatchCostCurve.bucketMax(b - 1, max) : 0;
        }
        if (target >= max || k < BatchCostCurve.bucketMin(b + 1)) {
            return 0;
        }
        return Math.min(k, BatchCostCurve.bucketMax(b + 1, max));
    }

    @Override
    public long nanosToWait(State state) {
        int k = state.queued();
        Plan p = plan(state.costCurve(), state.maxBatchSize());
        long d = state.meanInterArrivalNanos();
        if (k >= p.target || p.fit == null || d <= 0) {
            return 0;
        }
        double a = p.fit.fixedNanos();
        double b = p.fit.perItemNanos();
        if (a <= 0) {
            return 0;
        }
        double m = Math.min(p.target, p.fit.nanos(k) / ((double) d * Math.max(1, state.maxConcurrentBatches())));
        double gain = a - d;
        double cost = (k + m + 1) * d + (k + m) * b;
        return gain > cost ? d : 0;
    }

    @Override
    public int targetBatchSize(List<CostCurve.Point> curve, int maxBatchSize) {
        return planOf(curve, maxBatchSize).target;
    }

    /** The plan for {@code curve}, worked out again only when the batcher recorded a call since the last one. */
    private Plan plan(List<CostCurve.Point> curve, int max) {
        if (curve != planned || max != maxPlanned) {
            plan = planOf(curve, max);
            planned = curve;
            maxPlanned = max;
        }
        return plan;
    }

    static Plan planOf(List<CostCurve.Point> curve, int max) {
        double best = 0;
        int bestBucket = -1;
        int largest = -1;
        for (CostCurve.Point pt : curve) {
            if (pt.samples() >= MIN_SAMPLES) {
                int b = BatchCostCurve.bucketOf(pt.minSize());
                largest = b;
                double rate = pt.itemsPerSecond();
                if (rate > best) {
                    best = rate;
                    bestBucket = b;
                }
            }
        }
        if (bestBucket < 0) {
            return new Plan(1, -1, null, 1); // slow start: one at a time until a bucket is known
        }
        int target = BatchCostCurve.bucketMax(bestBucket, max);
        for (CostCurve.Point pt : curve) {
            if (pt.samples() >= MIN_SAMPLES && pt.itemsPerSecond() >= (1 - TOLERANCE) * best) {
                target = Math.min(target, pt.maxSize());
            }
        }
        int lastBucket = BatchCostCurve.bucketOf(max);
        int climb = bestBucket == largest && bestBucket < lastBucket ? bestBucket + 1 : -1;
        BatchCostCurve.Fit fit = BatchCostCurve.fit(curve, MIN_SAMPLES);
        return new Plan(target, climb, fit, smallestShare(fit, target));
    }

    /**
     * The smallest batch whose cost per input, by the fit, is at most {@link #TOLERANCE} above the target's:
     * {@code a/s + b <= (1 + TOLERANCE) * (a/t + b)}. The target itself while the fit is unknown.
     */
    private static int smallestShare(BatchCostCurve.Fit fit, int target) {
        if (fit == null) {
            return target;
        }
        double a = fit.fixedNanos();
        double b = fit.perItemNanos();
        if (a <= 0) {
            return 1;
        }
        double room = (1 + TOLERANCE) * (a / target + b) - b;
        return (int) Math.max(1, Math.min(target, Math.ceil(a / room)));
    }

    private static CostCurve.Point point(List<CostCurve.Point> curve, int bucket) {
        for (CostCurve.Point pt : curve) {
            if (BatchCostCurve.bucketOf(pt.minSize()) == bucket) {
                return pt;
            }
        }
        return null;
    }

    @Override
    public String toString() {
        return "adaptive";
    }
}
