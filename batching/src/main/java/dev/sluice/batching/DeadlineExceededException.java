package dev.sluice.batching;

import java.time.Duration;

/**
 * The request's deadline passed before it was handed to the model. A request that fails this way was
 * never seen by the model. It carries no stack trace: it is raised on the batcher's own threads, where the
 * stack says nothing about the caller, and expiring many requests at once must stay cheap.
 */
public class DeadlineExceededException extends SluiceException {
    private static final long serialVersionUID = 1L;

    private final String source;
    private final Duration timeout;

    public DeadlineExceededException(String source, Duration timeout, String detail) {
        super("'" + source + "': deadline of " + format(timeout) + " exceeded " + detail, false);
        this.source = source;
        this.timeout = timeout;
    }

    static String format(Duration d) {
        long micros = d.toNanos() / 1000;
        return micros < 10_000 ? micros + " us" : d.toMillis() + " ms";
    }

    /** Name of the batcher or deployment the request was waiting in. */
    public String source() {
        return source;
    }

    /** The timeout the request was submitted with. */
    public Duration timeout() {
        return timeout;
    }
}
