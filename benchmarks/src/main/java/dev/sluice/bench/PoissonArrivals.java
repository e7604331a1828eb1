package dev.sluice.bench;

import java.util.SplittableRandom;

/**
 * Intended send times of a Poisson process: exponentially distributed gaps with mean {@code 1 / rate}.
 * Times are offsets in nanoseconds from the start, accumulated in double precision so that rounding each
 * gap to whole nanoseconds does not drift the rate. Not thread-safe: one sender owns it.
 */
public final class PoissonArrivals {
    private final double meanGapNanos;
    private final SplittableRandom random;
    private double next;

    /**
     * @param ratePerSecond mean arrivals per second, positive
     * @param seed seed of the pseudo-random sequence (a fixed seed gives a reproducible schedule)
     */
    public PoissonArrivals(double ratePerSecond, long seed) {
        if (!(ratePerSecond > 0) || Double.isInfinite(ratePerSecond)) {
            throw new IllegalArgumentException("rate must be positive and finite, was " + ratePerSecond);
        }
        this.meanGapNanos = 1e9 / ratePerSecond;
        this.random = new SplittableRandom(seed);
    }

    /** One exponentially distributed gap, in nanoseconds (not rounded). */
    public double nextGapNanos() {
        // 1 - u is in (0, 1], so the log is finite.
        return -Math.log(1.0 - random.nextDouble()) * meanGapNanos;
    }

    /** The next arrival's offset from the start, in nanoseconds; strictly non-decreasing. */
    public long nextArrivalNanos() {
        next += nextGapNanos();
        return (long) next;
    }
}
