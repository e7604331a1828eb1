package dev.sluice.batching;

import java.time.Duration;
import java.util.Objects;

/**
 * The request was refused at once because a bound on waiting or running work was reached: a batcher's or
 * deployment's queue was full, the work queued ahead would have kept it waiting too long, or a pipeline had
 * too much work in flight ({@link #limit()} says which). Nothing was queued or started: the caller may retry
 * later, or elsewhere ({@link #retryAfter()} says when there should be room; an HTTP adapter maps this to 429
 * with {@code Retry-After}). It carries no stack trace: refusing must stay cheap while the system is overloaded.
 */
public class OverloadedException extends SluiceException {
    private static final long serialVersionUID = 1L;

    /** The bound that was reached. */
    public enum Limit {
        /** A batcher's or deployment's queue capacity: requests waiting for dispatch. */
        QUEUE_CAPACITY,
        /** A pipeline's {@code maxInFlight}: requests submitted and not yet ended. */
        IN_FLIGHT,
        /**
         * A batcher's or deployment's expected queue wait: the requests queued ahead, at the cost its measured
         * cost curve gives them, would keep this one waiting longer than its {@code maxQueueDelay} (or than
         * its own deadline).
         */
        QUEUE_DELAY,
        /**
         * A pipeline's expected latency: the work it has in flight, at the rate it measures itself finishing
         * work, would make this request take longer than its latency bound (or than its own deadline).
         */
        EXPECTED_LATENCY
    }

    private final String source;
    private final Limit limit;
    private final int capacity;
    private final Duration retryAfter;

    /** A full queue: {@code source}'s queue holds at most {@code capacity} waiting requests. */
    public OverloadedException(String source, int capacity) {
        this(source, Limit.QUEUE_CAPACITY, capacity);
    }

    /** {@code source} refused the request because it has {@code capacity} of what {@code limit} counts. */
    public OverloadedException(String source, Limit limit, int capacity) {
        super(message(source, Objects.requireNonNull(limit, "limit"), capacity), false);
        this.source = source;
        this.limit = limit;
        this.capacity = capacity;
        this.retryAfter = null;
    }

    /**
     * {@code source} refused the request for a time-based {@code limit} ({@link Limit#QUEUE_DELAY},
     * {@link Limit#EXPECTED_LATENCY}); {@code reason} completes the sentence "'source' is overloaded: ..."
     * with the figures that decided it, and {@code retryAfter} is when there should be room (null: unknown).
     */
    public OverloadedException(String source, Limit limit, String reason, Duration retryAfter) {
        super("'" + source + "' is overloaded: " + Objects.requireNonNull(reason, "reason"), false);
        this.source = source;
        this.limit = Objects.requireNonNull(limit, "limit");
        this.capacity = -1;
        this.retryAfter = retryAfter;
    }

    private static String message(String source, Limit limit, int capacity) {
        return switch (limit) {
            case QUEUE_CAPACITY -> "'" + source + "' is overloaded: its queue holds at most " + capacity
                    + " waiting requests and is full; the request was not queued";
            case IN_FLIGHT -> "'" + source + "' is overloaded: it allows at most " + capacity
                    + " requests in flight (maxInFlight) and has that many; the request was not started";
            default -> "'" + source + "' is overloaded (" + limit + ", bound " + capacity + ")";
        };
    }

    /** Name of the batcher, deployment or pipeline that refused the request. */
    public String source() {
        return source;
    }

    /** Which bound was reached. */
    public Limit limit() {
        return limit;
    }

    /** The bound that was reached: the queue capacity, or the most requests in flight; -1 for a time-based limit. */
    public int capacity() {
        return capacity;
    }

    /**
     * When there should be room again, as estimated by whoever refused (the time the work ahead needs to
     * drain below the bound); null when unknown (the count-based limits).
     */
    public Duration retryAfter() {
        return retryAfter;
    }
}
