package dev.sluice.batching;

/**
 * The request was refused at admission because the queue was full. Nothing was queued: the caller
 * may retry later (an HTTP adapter maps this to 429 with {@code Retry-After}). It carries no stack trace:
 * refusing must stay cheap while the system is overloaded.
 */
public class OverloadedException extends SluiceException {
    private static final long serialVersionUID = 1L;

    private final String source;
    private final int capacity;

    public OverloadedException(String source, int capacity) {
        super("'" + source + "' is overloaded: its queue holds at most " + capacity
                + " waiting requests and is full; the request was not queued", false);
        this.source = source;
        this.capacity = capacity;
    }

    /** Name of the batcher or deployment that refused the request. */
    public String source() {
        return source;
    }

    /** The queue capacity that was exceeded. */
    public int capacity() {
        return capacity;
    }
}
