package dev.sluice.batching;

import java.time.Duration;

/**
 * The request's deadline passed before it was handed to the model. A request that fails this way was
 * never seen by the model.
 */
public class DeadlineExceededException extends SluiceException {
    private static final long serialVersionUID = 1L;

    private final String source;
    private final Duration timeout;

    public DeadlineExceededException(String source, Duration timeout, String detail) {
        super("'" + source + "': deadline of " + timeout.toMillis() + " ms exceeded " + detail);
        this.source = source;
        this.timeout = timeout;
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
