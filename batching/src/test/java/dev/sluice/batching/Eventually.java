package dev.sluice.batching;

import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * Waiting for a condition that nothing signals (a flag, a count, another thread's state), in one place for
 * every module's tests (published in sluice-batching's test-jar). Where something can be waited on (a latch, a
 * future), tests wait on it instead.
 */
public final class Eventually {
    private Eventually() {}

    /**
     * Polls {@code condition} (after driving {@code pass} each time) until it holds, failing the test after
     * 10 s.
     *
     * @param what the condition in words, for the failure message
     */
    public static void eventually(String what, Runnable pass, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (true) {
            pass.run();
            if (condition.getAsBoolean()) {
                return;
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("never happened: " + what);
            }
            Thread.sleep(2);
        }
    }

    /**
     * Polls {@code condition} until it holds, failing the test after 10 s.
     *
     * @param what the condition in words, for the failure message
     */
    public static void eventually(String what, BooleanSupplier condition) throws InterruptedException {
        eventually(what, () -> {}, condition);
    }
}
