package dev.sluice.batching.internal;

import dev.sluice.batching.CostCurve;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * A batcher's measured cost of a call of its function, by batch size: bucketed (1, 2, 3-4, 5-8, 9-16, ...,
 * up to {@code maxBatchSize}), online, with forgetting. Each bucket keeps exponentially weighted means of
 * its calls' sizes and durations and how many calls it has seen; {@link CostCurve.Point} says exactly how
 * the means weigh calls.
 *
 * <p>Threading: {@link #record} from any thread (workers, concurrently; they serialize on this object, once
 * per batch). {@link #points} never locks nor allocates: each record publishes a fresh immutable list, so
 * the batch former reads one consistent curve per decision.
 *
 * <p>Not API: public only so that the batching package (the batcher, its runner and the adaptive policy)
 * can share it from here; it may change or go without notice. See {@link dev.sluice.batching.internal}.
 */
public final class BatchCostCurve {
    /** Weight of a new call in its bucket's means, once it has enough calls: about its last ten calls count. */
    static final double WEIGHT = 0.2;
    /**
     * Calls of other sizes after which a bucket's means are stale: its next call replaces them. Large enough
     * that a bucket explored now and then (every few dozen calls) stays a running mean.
     */
    public static final int STALE_AFTER = 256;

    /**
     * The fit {@code c(n) = a + b*n} of the curve's points by least squares, each trusted bucket weighing
     * the same; neither part negative.
     *
     * @param fixedNanos {@code a}, the cost of a call whatever its size
     * @param perItemNanos {@code b}, the cost of each input
     */
    public record Fit(double fixedNanos, double perItemNanos) {
        /** {@code a + b*n}. */
        public double nanos(double n) {
            return fixedNanos + perItemNanos * n;
        }
    }

    private final int maxBatchSize;

    // Guarded by this.
    private final double[] meanSize;
    private final double[] meanNanos;
    private final long[] samples;
    /** The value of {@link #batches} when the bucket last recorded a call. */
    private final long[] lastAt;
    private long batches;

    private volatile List<CostCurve.Point> points = List.of();

    /** @throws IllegalArgumentException if {@code maxBatchSize} is less than 1 */
    public BatchCostCurve(int maxBatchSize) {
        this.maxBatchSize = BatchingLimits.maxBatchSize(maxBatchSize);
        int buckets = bucketOf(maxBatchSize) + 1;
        this.meanSize = new double[buckets];
        this.meanNanos = new double[buckets];
        this.samples = new long[buckets];
        this.lastAt = new long[buckets];
    }

    /** The most inputs a batch holds; the last bucket ends there. */
    public int maxBatchSize() {
        return maxBatchSize;
    }

    /**
     * Records one successful call of {@code size} inputs that took {@code nanos}. A size above
     * {@code maxBatchSize} counts in the last bucket; a size below 1 is ignored, a negative time taken as 0.
     */
    public synchronized void record(int size, long nanos) {
        if (size < 1) {
            return;
        }
        int b = Math.min(bucketOf(size), samples.length - 1);
        batches++;
        long n = ++samples[b];
        boolean stale = n > 1 && batches - lastAt[b] > STALE_AFTER;
        // The first call stands in until the second replaces it; then a running mean of all but the first,
        // until WEIGHT takes over.
        double w = n <= 2 || stale ? 1 : Math.max(WEIGHT, 1.0 / (n - 1));
        meanSize[b] += w * (size - meanSize[b]);
        meanNanos[b] += w * (Math.max(0, nanos) - meanNanos[b]);
        lastAt[b] = batches;
        List<CostCurve.Point> next = new ArrayList<>(samples.length);
        for (int i = 0; i < samples.length; i++) {
            if (samples[i] > 0) {
                next.add(new CostCurve.Point(bucketMin(i), bucketMax(i, maxBatchSize), meanSize[i], meanNanos[i],
                        samples[i], batches - lastAt[i]));
            }
        }
        points = Collections.unmodifiableList(next);
    }

    /** The measured buckets, smallest sizes first: one immutable snapshot, read without locking. */
    public List<CostCurve.Point> points() {
        return points;
    }

    /** The bucket of a batch size: 0 for 1, 1 for 2, 2 for 3-4, 3 for 5-8, ... */
    public static int bucketOf(int size) {
        return size <= 1 ? 0 : 32 - Integer.numberOfLeadingZeros(size - 1);
    }

    /** The smallest size of bucket {@code b}. */
    public static int bucketMin(int b) {
        return b == 0 ? 1 : (1 << (b - 1)) + 1;
    }

    /** The largest size of bucket {@code b} of a batcher whose batches hold at most {@code maxBatchSize}. */
    public static int bucketMax(int b, int maxBatchSize) {
        return (int) Math.min(1L << b, maxBatchSize);
    }

    /**
     * Fits {@code c(n) = a + b*n} to the mean sizes and times of the buckets with at least
     * {@code minSamples} calls, each bucket weighing the same (so the sizes run most do not drown the others).
     * A negative {@code a} (each input costs more in a larger batch, as on a CPU) is taken as 0 and {@code b}
     * refitted through the origin; a negative {@code b} as 0, with {@code a} the mean time.
     *
     * @return the fit, or null if fewer than two buckets have {@code minSamples} calls (then {@code a}
     *     cannot be told from {@code b})
     */
    public static Fit fit(List<CostCurve.Point> points, long minSamples) {
        int k = 0;
        double sn = 0;
        double st = 0;
        double snn = 0;
        double snt = 0;
        for (CostCurve.Point p : points) {
            if (p.samples() >= minSamples) {
                k++;
                sn += p.meanSize();
                st += p.meanNanos();
                snn += p.meanSize() * p.meanSize();
                snt += p.meanSize() * p.meanNanos();
            }
        }
        if (k < 2) {
            return null;
        }
        double varN = snn / k - (sn / k) * (sn / k);
        if (varN <= 0) {
            return null;
        }
        double b = (snt / k - (sn / k) * (st / k)) / varN;
        double a = st / k - b * sn / k;
        if (b < 0) {
            return new Fit(st / k, 0);
        }
        if (a < 0) {
            return new Fit(0, snt / snn);
        }
        return new Fit(a, b);
    }
}
