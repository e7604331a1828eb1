package dev.sluice.batching;

import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * What a batcher has measured of its batch function's cost, by batch size, and the batch size its policy
 * aims for: an immutable snapshot, for people, status pages and metrics ({@link DynamicBatcher#costCurve()}).
 *
 * <p>Batch sizes are grouped in buckets that double: 1, 2, 3-4, 5-8, 9-16, ..., the last one ending at
 * {@code maxBatchSize}. Each successful call of the function is recorded in the bucket of its size; a
 * bucket keeps exponentially weighted means of the sizes and times of its calls, so recent calls weigh
 * most (see {@link Point}). Only buckets with at least one call appear.
 *
 * @param points the measured buckets, smallest sizes first
 * @param targetBatchSize the batch size the batcher's policy aims for with what it has measured (see
 *     {@link BatchPolicy#targetBatchSize}): for {@link BatchPolicy#adaptive()} the size it has found to pay,
 *     before spreading a short queue over free workers and before exploration; {@code maxBatchSize} for
 *     {@link BatchPolicy#eager()} and {@link BatchPolicy#fixed()}
 */
public record CostCurve(List<Point> points, int targetBatchSize) {
    public CostCurve {
        points = List.copyOf(Objects.requireNonNull(points, "points"));
        if (targetBatchSize < 1) {
            throw new IllegalArgumentException("targetBatchSize must be at least 1, was " + targetBatchSize);
        }
    }

    /**
     * One bucket of batch sizes and what its calls cost.
     *
     * <p>The means weigh a bucket's recent calls most: they are plain means of its calls until a new call
     * would weigh less than a fifth, and from then on each new call weighs a fifth (its last ten calls make
     * up nine tenths of the means). Two calls replace what the
     * bucket knew instead of joining it: its second call (the first call of a function at a new size often
     * pays one-off costs, such as allocations and compilation), and a call after the bucket went unused for
     * {@value dev.sluice.batching.internal.BatchCostCurve#STALE_AFTER} calls of other sizes (what it knew
     * may describe a model, a machine or a load that has changed since).
     *
     * @param minSize the smallest batch size of the bucket
     * @param maxSize the largest batch size of the bucket
     * @param meanSize the mean size of its calls
     * @param meanNanos the mean duration of its calls, in nanoseconds
     * @param samples how many calls it has recorded, all told
     * @param batchesAgo how many calls of the function (of any size) were recorded after its latest one
     */
    public record Point(int minSize, int maxSize, double meanSize, double meanNanos, long samples, long batchesAgo) {
        /** Inputs per second of the function's time in calls of this bucket's sizes ({@code meanSize / meanNanos}). */
        public double itemsPerSecond() {
            return meanSize * 1e9 / Math.max(1.0, meanNanos);
        }

        @Override
        public String toString() {
            String sizes = minSize == maxSize ? Integer.toString(minSize)
                    : String.format(Locale.ROOT, "%d-%d (mean %.1f)", minSize, maxSize, meanSize);
            return sizes + ": " + duration(meanNanos) + " (x" + samples + ")";
        }
    }

    /** The target and each point, compactly, e.g.
     * {@code target 1; 1: 15.7 ms (x12), 2: 32.7 ms (x3), 3-4 (mean 3.5): 56.2 ms (x3)}. */
    @Override
    public String toString() {
        StringBuilder s = new StringBuilder("target ").append(targetBatchSize);
        if (points.isEmpty()) {
            return s.append("; nothing measured yet").toString();
        }
        String sep = "; ";
        for (Point p : points) {
            s.append(sep).append(p);
            sep = ", ";
        }
        return s.toString();
    }

    private static String duration(double nanos) {
        if (nanos >= 1e9) {
            return String.format(Locale.ROOT, "%.3g s", nanos / 1e9);
        }
        if (nanos >= 1e6) {
            return String.format(Locale.ROOT, "%.3g ms", nanos / 1e6);
        }
        return String.format(Locale.ROOT, "%.3g us", nanos / 1e3);
    }
}
