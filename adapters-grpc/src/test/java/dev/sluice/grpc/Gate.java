package dev.sluice.grpc;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

/**
 * Holds a test model's batches until the test opens it, and tells the test when a batch is held. Open at first.
 * It can also make the model fail every batch ({@link #fail}), as a broken server's would.
 */
final class Gate {
    private volatile CountDownLatch latch = new CountDownLatch(0);
    private final Semaphore held = new Semaphore(0);
    private volatile boolean failing;

    /** Whether every batch passing from now on fails (the model's own failure). */
    void fail(boolean failing) {
        this.failing = failing;
    }

    void close() {
        latch = new CountDownLatch(1);
    }

    void open() {
        latch.countDown();
    }

    /** Called by the model for each batch. */
    void pass() throws InterruptedException {
        held.release();
        if (!latch.await(30, TimeUnit.SECONDS)) {
            throw new IllegalStateException("a test left its gate closed");
        }
        if (failing) {
            throw new IllegalStateException("this server's model is broken (the test made it fail)");
        }
    }

    /** Whether a batch has reached the gate that no {@link #awaitBatch} has taken yet (it may have passed). */
    boolean reached() {
        return held.availablePermits() > 0;
    }

    /** Waits until the model has reached the gate with one more batch. */
    void awaitBatch() throws InterruptedException {
        if (!held.tryAcquire(10, TimeUnit.SECONDS)) {
            throw new AssertionError("no batch reached the model");
        }
    }
}
