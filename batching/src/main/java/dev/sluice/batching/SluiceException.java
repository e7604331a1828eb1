package dev.sluice.batching;

/**
 * Base of every error a Sluice future can complete with. Unchecked, so callers can use
 * {@code CompletableFuture} stages without wrapping; catch the subclass that matters to you.
 */
public abstract class SluiceException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    protected SluiceException(String message) {
        super(message);
    }

    protected SluiceException(String message, Throwable cause) {
        super(message, cause);
    }
}
