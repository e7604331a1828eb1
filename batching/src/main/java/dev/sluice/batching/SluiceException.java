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

    /**
     * For errors raised on a hot path where the stack says nothing useful (a full queue): no stack trace
     * is captured, which makes refusing a request cheap exactly when the system is overloaded.
     */
    protected SluiceException(String message, boolean withStackTrace) {
        super(message, null, false, withStackTrace);
    }
}
