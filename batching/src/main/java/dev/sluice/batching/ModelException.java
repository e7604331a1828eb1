package dev.sluice.batching;

/**
 * The model (the batch function) failed for this request. The model's own exception is the
 * {@linkplain #getCause() cause}; the message names the batcher or deployment and, where known, the
 * replica.
 */
public class ModelException extends SluiceException {
    private static final long serialVersionUID = 1L;

    private final String source;
    private final String replica;

    public ModelException(String source, String replica, String message, Throwable cause) {
        super("'" + source + "'" + (replica == null ? "" : " replica " + replica) + ": " + message, cause);
        this.source = source;
        this.replica = replica;
    }

    /** Name of the batcher or deployment whose model failed. */
    public String source() {
        return source;
    }

    /** The replica that ran the failing batch, or {@code null} for a plain batcher. */
    public String replica() {
        return replica;
    }
}
