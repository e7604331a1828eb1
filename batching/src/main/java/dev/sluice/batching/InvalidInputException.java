package dev.sluice.batching;

/**
 * An input was malformed. Thrown by validation before a request is queued, or by a batch function
 * about one input; with failure isolation on, the batcher passes it to that input's caller unwrapped
 * (not as a {@link ModelException}) and the input's batch neighbours still succeed.
 */
public class InvalidInputException extends SluiceException {
    private static final long serialVersionUID = 1L;

    public InvalidInputException(String message) {
        super(message);
    }

    public InvalidInputException(String message, Throwable cause) {
        super(message, cause);
    }
}
