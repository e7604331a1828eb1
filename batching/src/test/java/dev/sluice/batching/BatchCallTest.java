package dev.sluice.batching;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** A batch function learns when nobody wants its call's outputs any more, and can stop early. */
class BatchCallTest {
    private final List<DynamicBatcher<?, ?>> open = new ArrayList<>();

    @AfterEach
    void closeAll() {
        open.forEach(b -> b.close(Duration.ofSeconds(5)));
    }

    /**
     * A model that runs until told to stop: its first call registers a stop hook and waits for it (a model
     * stuck in a long run); later calls double their inputs at once.
     */
    private static final class StoppableModel implements BatchFunction<Integer, Integer> {
        final CountDownLatch started = new CountDownLatch(1);
        final CountDownLatch registerNow = new CountDownLatch(1);
        final CountDownLatch stopped = new CountDownLatch(1);
        final AtomicReference<Thread> hookThread = new AtomicReference<>();
        final AtomicInteger calls = new AtomicInteger();
        volatile boolean finishWithoutStop;

        @Override
        public List<Integer> apply(List<Integer> batch) throws Exception {
            if (calls.getAndIncrement() == 0) {
                started.countDown();
                assertTrue(registerNow.await(10, TimeUnit.SECONDS));
                try (BatchCall.Registration r = BatchCall.current().onAbandoned(() -> {
                    hookThread.set(Thread.currentThread());
                    stopped.countDown();
                })) {
                    while (!finishWithoutStop && !stopped.await(1, TimeUnit.MILLISECONDS)) {
                        Thread.onSpinWait();
                    }
                }
                if (stopped.getCount() == 0) {
                    throw new IllegalStateException("run terminated");
                }
            }
            return batch.stream().map(i -> 2 * i).toList();
        }
    }

    private DynamicBatcher<Integer, Integer> batcher(StoppableModel m) {
        DynamicBatcher<Integer, Integer> b = DynamicBatcher.builder(m).name("stoppable").maxBatchSize(3).policy(BatchPolicy.fixed())
                .maxDelay(Duration.ofSeconds(10)).build();
        open.add(b);
        return b;
    }

    /** Three requests in one running call (a fixed policy waits for a full batch of three). */
    private List<CompletableFuture<Integer>> threeInOneCall(DynamicBatcher<Integer, Integer> b, StoppableModel m)
            throws InterruptedException {
        List<CompletableFuture<Integer>> fs = List.of(b.submit(1), b.submit(2), b.submit(3));
        assertTrue(m.started.await(10, TimeUnit.SECONDS));
        assertEquals(3, DynamicBatcher.dispatchOf(fs.get(0)).batchSize(), "one call holds all three");
        return fs;
    }

    @Test
    void whenEveryCallerCancelsTheHookStopsTheRunAndTheBatcherGoesOn() throws Exception {
        StoppableModel m = new StoppableModel();
        DynamicBatcher<Integer, Integer> b = batcher(m);
        List<CompletableFuture<Integer>> fs = threeInOneCall(b, m);
        m.registerNow.countDown();
        fs.get(0).cancel(true);
        fs.get(1).cancel(true);
        assertEquals(1, m.stopped.getCount(), "one caller still wants its output");
        fs.get(2).cancel(true);
        assertTrue(m.stopped.await(10, TimeUnit.SECONDS), "the last cancel stops the run");
        for (CompletableFuture<Integer> f : fs) {
            assertThrows(CancellationException.class, () -> f.get(1, TimeUnit.SECONDS));
        }
        List<CompletableFuture<Integer>> next = List.of(b.submit(5), b.submit(6), b.submit(7));
        assertEquals(10, next.get(0).get(10, TimeUnit.SECONDS), "the worker is free again");
    }

    @Test
    void aCallStillWantedByOneCallerRunsToItsEndAndAnswersIt() throws Exception {
        StoppableModel m = new StoppableModel();
        DynamicBatcher<Integer, Integer> b = batcher(m);
        List<CompletableFuture<Integer>> fs = threeInOneCall(b, m);
        m.registerNow.countDown();
        fs.get(0).cancel(true);
        fs.get(2).completeExceptionally(new TimeoutException("the caller's own timeout"));
        m.finishWithoutStop = true;
        assertEquals(4, fs.get(1).get(10, TimeUnit.SECONDS));
        assertEquals(1, m.stopped.getCount(), "the hook never ran");
        ExecutionException e = assertThrows(ExecutionException.class, () -> fs.get(2).get(1, TimeUnit.SECONDS));
        assertEquals("the caller's own timeout", e.getCause().getMessage(), "the caller's completion stands");
    }

    @Test
    void callersTimingOutCountAsGivingUp() throws Exception {
        StoppableModel m = new StoppableModel();
        DynamicBatcher<Integer, Integer> b = batcher(m);
        List<CompletableFuture<Integer>> fs = threeInOneCall(b, m);
        m.registerNow.countDown();
        for (CompletableFuture<Integer> f : fs) {
            f.orTimeout(1, TimeUnit.MILLISECONDS);
        }
        assertTrue(m.stopped.await(10, TimeUnit.SECONDS));
        for (CompletableFuture<Integer> f : fs) {
            ExecutionException e = assertThrows(ExecutionException.class, () -> f.get(1, TimeUnit.SECONDS));
            assertTrue(e.getCause() instanceof TimeoutException, String.valueOf(e.getCause()));
        }
    }

    @Test
    void aHookRegisteredAfterTheLastCallerLeftRunsAtOnceOnTheModelsThread() throws Exception {
        StoppableModel m = new StoppableModel();
        DynamicBatcher<Integer, Integer> b = batcher(m);
        List<CompletableFuture<Integer>> fs = threeInOneCall(b, m);
        fs.forEach(f -> f.cancel(false));
        m.registerNow.countDown(); // registers only now
        assertTrue(m.stopped.await(10, TimeUnit.SECONDS));
        assertTrue(m.hookThread.get().getName().contains("stoppable"), m.hookThread.get().getName());
    }

    @Test
    void aHookIsNotRunOnceItsRegistrationIsClosed() throws Exception {
        AtomicInteger runs = new AtomicInteger();
        CountDownLatch closed = new CountDownLatch(1);
        CountDownLatch cancelled = new CountDownLatch(1);
        DynamicBatcher<Integer, Integer> b = DynamicBatcher.<Integer, Integer>builder(batch -> {
            BatchCall.current().onAbandoned(runs::incrementAndGet).close();
            closed.countDown();
            assertTrue(cancelled.await(10, TimeUnit.SECONDS));
            BatchCall.current().onAbandoned(runs::incrementAndGet); // already abandoned: runs at once
            return batch;
        }).name("closing").maxBatchSize(1).build();
        open.add(b);
        CompletableFuture<Integer> f = b.submit(1);
        assertTrue(closed.await(10, TimeUnit.SECONDS));
        f.cancel(true);
        cancelled.countDown();
        CompletableFuture<Integer> g = b.submit(2);
        assertEquals(2, g.get(10, TimeUnit.SECONDS));
        assertEquals(1, runs.get(), "only the hook registered after the last cancel, which runs at once");
    }

    @Test
    void outsideABatcherACallIsNeverAbandoned() {
        BatchCall c = BatchCall.current();
        assertFalse(c.isAbandoned());
        AtomicInteger runs = new AtomicInteger();
        c.onAbandoned(runs::incrementAndGet).close();
        assertEquals(0, runs.get());
        assertSame(c, BatchCall.current());
    }
}
