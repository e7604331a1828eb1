package dev.sluice.batching;

/**
 * The batcher or runtime was closed: either the request arrived after {@code close()}, or it was still
 * waiting or running when the close grace period ran out.
 */
public class ShutdownException extends SluiceException {
    private static final long serialVersionUID = 1L;

    public ShutdownException(String message) {
        super(message);
    }

    /** For refusals at admission: no stack trace, so refusing stays cheap while a service shuts down. */
    static ShutdownException refusal(String message) {
        return new ShutdownException(message, false);
    }

    private ShutdownException(String message, boolean withStackTrace) {
        super(message, withStackTrace);
    }
}
