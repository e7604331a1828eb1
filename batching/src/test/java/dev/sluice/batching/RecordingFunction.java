package dev.sluice.batching;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A batch function for tests: doubles each input, records every batch it was given, and can be held
 * (calls block until released) to keep workers busy.
 */
final class RecordingFunction implements BatchFunction<Integer, Integer> {
    final List<List<Integer>> batches = new CopyOnWriteArrayList<>();
    final AtomicInteger running = new AtomicInteger();
    final AtomicInteger maxRunning = new AtomicInteger();
    private final Semaphore started = new Semaphore(0);
    private volatile CountDownLatch gate = new CountDownLatch(0);
    private volatile Integer poison;

    /** Makes every call whose batch holds {@code input} throw {@link IllegalStateException}. */
    RecordingFunction poison(int input) {
        poison = input;
        return this;
    }

    /** Makes calls from now on block until {@link #release()}; forgets calls that started before. */
    RecordingFunction hold() {
        started.drainPermits();
        gate = new CountDownLatch(1);
        return this;
    }

    void release() {
        gate.countDown();
    }

    /** Waits until {@code n} more calls have started. */
    void awaitStarted(int n) throws InterruptedException {
        if (!started.tryAcquire(n, 10, TimeUnit.SECONDS)) {
            throw new AssertionError("the function was not called " + n + " more time(s)");
        }
    }

    List<Integer> seen() {
        List<Integer> all = new ArrayList<>();
        batches.forEach(all::addAll);
        return all;
    }

    List<Integer> sizes() {
        List<Integer> sizes = new ArrayList<>();
        batches.forEach(b -> sizes.add(b.size()));
        return sizes;
    }

    @Override
    public List<Integer> apply(List<Integer> batch) throws Exception {
        batches.add(List.copyOf(batch));
        int now = running.incrementAndGet();
        maxRunning.accumulateAndGet(now, Math::max);
        started.release();
        try {
            gate.await();
            Integer bad = poison;
            if (bad != null && batch.contains(bad)) {
                throw new IllegalStateException("poisoned by " + bad);
            }
            List<Integer> out = new ArrayList<>(batch.size());
            for (Integer x : batch) {
                out.add(x * 2);
            }
            return out;
        } finally {
            running.decrementAndGet();
        }
    }
}
