package dev.sluice.spring;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/** Holds a test model's batches until the test opens it. Open at first. */
final class Gate {
    private volatile CountDownLatch latch = new CountDownLatch(0);

    void close() {
        latch = new CountDownLatch(1);
    }

    void open() {
        latch.countDown();
    }

    void pass() throws InterruptedException {
        if (!latch.await(30, TimeUnit.SECONDS)) {
            throw new IllegalStateException("a test left its gate closed");
        }
    }
}
