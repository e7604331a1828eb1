package dev.sluice.batching;

import java.util.Objects;

/**
 * The request was refused at once because a bound on waiting or running work was reached: a batcher's or
 * deployment's queue was full, or a pipeline had its most requests in flight ({@link #limit()} says which).
 * Nothing was queued or started: the caller may retry later (an HTTP adapter maps this to 429 with
 * {@code Retry-After}). It carries no stack trace: refusing must stay cheap while the system is overloaded.
 */
public class OverloadedException extends SluiceException {
    private static final long serialVersionUID = 1L;

    /** The bound that was reached. */
    public enum Limit {
        /** A batcher's or deployment's queue capacity: requests waiting for dispatch. */
        QUEUE_CAPACITY,
        /** A pipeline's {@code maxInFlight}: requests submitted and not yet ended. */
        IN_FLIGHT
    }

    private final String source;
    private final Limit limit;
    private final int capacity;

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
    }

    private static String message(String source, Limit limit, int capacity) {
        return switch (limit) {
            case QUEUE_CAPACITY -> "'" + source + "' is overloaded: its queue holds at most " + capacity
                    + " waiting requests and is full; the request was not queued";
            case IN_FLIGHT -> "'" + source + "' is overloaded: it allows at most " + capacity
                    + " requests in flight (maxInFlight) and has that many; the request was not started";
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

    /** The bound that was reached: the queue capacity, or the most requests in flight. */
    public int capacity() {
        return capacity;
    }
}
