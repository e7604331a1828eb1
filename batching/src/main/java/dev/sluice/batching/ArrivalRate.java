package dev.sluice.batching;

/**
 * The smoothed time between arrivals that {@link BatchPolicy.State#meanInterArrivalNanos()} reports: an
 * exponential moving average (each gap weighs 5%) of the gaps between the submission times of requests,
 * in the order the former takes them from the ring. Gaps are never negative: a request submitted before
 * the latest one seen (producers race to publish) counts as a gap of zero. Not thread-safe: used by the
 * holder of the former role only.
 */
final class ArrivalRate {
    private static final double WEIGHT = 0.05;

    private long lastArrival = Long.MIN_VALUE;
    private double mean = -1;

    /** One more request, submitted at ticker time {@code enqueuedAt}. */
    void arrived(long enqueuedAt) {
        if (lastArrival != Long.MIN_VALUE) {
            long gap = Math.max(0, enqueuedAt - lastArrival);
            mean = mean < 0 ? gap : mean + WEIGHT * (gap - mean);
        }
        lastArrival = Math.max(lastArrival, enqueuedAt);
    }

    /** The smoothed gap in nanoseconds, or -1 until two requests have arrived. */
    long meanInterArrivalNanos() {
        return mean < 0 ? -1 : (long) mean;
    }
}
