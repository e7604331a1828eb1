package dev.sluice.batching;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * How the tests read a future's failure, in one place for every module's tests (published in sluice-batching's
 * test-jar): core and the starter use these too and keep no copies.
 */
public final class TestFutures {
    private TestFutures() {}

    /**
     * The exception {@code f} failed with, waiting for it up to 10 s. Fails the test if {@code f} succeeds, is
     * cancelled or does not end in time.
     */
    public static Throwable failureOf(CompletableFuture<?> f) {
        ExecutionException e = assertThrows(ExecutionException.class, () -> f.get(10, TimeUnit.SECONDS));
        return e.getCause();
    }

    /**
     * The exception {@code f} has already failed with, without waiting: for code that must complete the future
     * before it returns. Fails the test if {@code f} is not done yet or succeeded; a cancelled future gives its
     * {@link java.util.concurrent.CancellationException}.
     */
    public static Throwable failureOfCompleted(CompletableFuture<?> f) {
        assertTrue(f.isDone(), "completed before the call returned");
        Throwable failure = f.handle((v, t) -> t).join();
        if (failure == null) {
            fail("expected a failure, got " + f.join());
        }
        return failure;
    }
}
