package dev.sluice.batching.internal;

import dev.sluice.batching.BatchPolicy;
import java.time.Duration;
import java.util.Objects;

/**
 * Not API. The allowed range of each batching setting, checked in one place for the batcher's builder and for a
 * deployment's {@code Batching} value in {@code sluice-core}, with their defaults, so the two can never disagree. Each method returns
 * its argument, or throws naming the setting: {@link NullPointerException} for null, {@link IllegalArgumentException}
 * for a value out of range.
 */
public final class BatchingLimits {
    /** The largest queue capacity: the request ring is sized to the next power of two above it. */
    public static final int MAX_QUEUE_CAPACITY = 1 << 29;
    /** The longest {@code maxDelay}: a wait for company longer than a day is a mistake, not a setting. */
    public static final Duration MAX_DELAY = Duration.ofDays(1);

    /** The defaults of both builders. */
    public static final int DEFAULT_MAX_BATCH_SIZE = 32;
    public static final Duration DEFAULT_MAX_DELAY = Duration.ofMillis(2);
    public static final int DEFAULT_QUEUE_CAPACITY = 4096;
    public static final Duration DEFAULT_CLOSE_GRACE_PERIOD = Duration.ofSeconds(30);

    /**
     * The default {@code maxQueueDelay} is this many times the measured time of a batch of the size the policy
     * aims for: a request is refused when more than this many such batches per worker wait ahead of it. Why 16:
     * with one worker, batches of one and Poisson arrivals, that refuses about 1 request in 10,000 at 80% of
     * capacity and 3 in 1,000 at 90% when calls take a steady time (0.4% and 1.7% if call times vary as much as
     * exponential ones; a simulation of 2 million arrivals), so an ordinary load is not refused, while under
     * overload a request admitted waits at most about this many batch times instead of without bound.
     */
    public static final int DEFAULT_QUEUE_DELAY_MULTIPLE = 16;
    /**
     * ... but never below this (one second, as a pipeline's latency bound): for a fast model 16 batch times is a
     * burst that drains in milliseconds (a caller submitting a few thousand rows at once), not overload; a
     * refused HTTP client comes back after whole seconds (Retry-After), so refusing what would wait less than
     * that only makes it wait longer; and below it lies the jitter of a JVM (a GC pause, a thread woken late).
     */
    public static final Duration DEFAULT_QUEUE_DELAY_FLOOR = Duration.ofSeconds(1);

    private BatchingLimits() {}

    /**
     * The default policy of both builders, fresh on each call (a policy belongs to one batcher):
     * {@link BatchPolicy#adaptive()}, which sizes batches from the batcher's measured cost curve.
     */
    public static BatchPolicy defaultPolicy() {
        return BatchPolicy.adaptive();
    }

    /** At least 1. */
    public static int maxBatchSize(int maxBatchSize) {
        if (maxBatchSize < 1) {
            throw new IllegalArgumentException("maxBatchSize must be at least 1, was " + maxBatchSize);
        }
        return maxBatchSize;
    }

    /** From zero to {@link #MAX_DELAY}. */
    public static Duration maxDelay(Duration maxDelay) {
        Objects.requireNonNull(maxDelay, "maxDelay");
        if (maxDelay.isNegative()) {
            throw new IllegalArgumentException("maxDelay must not be negative, was " + maxDelay);
        }
        if (maxDelay.compareTo(MAX_DELAY) > 0) {
            throw new IllegalArgumentException("maxDelay must be at most one day, was " + maxDelay);
        }
        return maxDelay;
    }

    /** From 1 to {@link #MAX_QUEUE_CAPACITY}. */
    public static int queueCapacity(int queueCapacity) {
        if (queueCapacity < 1) {
            throw new IllegalArgumentException("queueCapacity must be at least 1, was " + queueCapacity);
        }
        if (queueCapacity > MAX_QUEUE_CAPACITY) {
            throw new IllegalArgumentException("queueCapacity must be at most 2^29, was " + queueCapacity);
        }
        return queueCapacity;
    }

    /** Positive, at most one day (a longer bound is a mistake, not a setting: switch the bound off instead). */
    public static Duration maxQueueDelay(Duration maxQueueDelay) {
        Objects.requireNonNull(maxQueueDelay, "maxQueueDelay");
        if (maxQueueDelay.isNegative() || maxQueueDelay.isZero()) {
            throw new IllegalArgumentException("maxQueueDelay must be positive, was " + maxQueueDelay);
        }
        if (maxQueueDelay.compareTo(MAX_DELAY) > 0) {
            throw new IllegalArgumentException("maxQueueDelay must be at most one day, was " + maxQueueDelay);
        }
        return maxQueueDelay;
    }

    /** Not negative. */
    public static Duration closeGracePeriod(Duration closeGracePeriod) {
        Objects.requireNonNull(closeGracePeriod, "closeGracePeriod");
        if (closeGracePeriod.isNegative()) {
            throw new IllegalArgumentException("closeGracePeriod must not be negative, was " + closeGracePeriod);
        }
        return closeGracePeriod;
    }

    /**
     * Preferred batch sizes, ascending and distinct.
     *
     * @throws NullPointerException if {@code sizes} is null
     * @throws IllegalArgumentException if a size is below 1, naming it
     */
    public static int[] preferredBatchSizes(int... sizes) {
        java.util.Objects.requireNonNull(sizes, "preferredBatchSizes");
        int[] sorted = java.util.Arrays.stream(sizes).sorted().distinct().toArray();
        if (sorted.length > 0 && sorted[0] < 1) {
            throw new IllegalArgumentException("preferredBatchSizes must be at least 1, got " + sorted[0]);
        }
        return sorted;
    }
}
