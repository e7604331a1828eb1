package dev.sluice.batching;

import static dev.sluice.batching.Eventually.eventually;
import static dev.sluice.batching.TestFutures.failureOf;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.batching.internal.ExecutionGate;
import dev.sluice.batching.internal.RequestOrigin;
import dev.sluice.batching.internal.WorkerBatcher;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The hook of the runtime's execution budget in the batcher: a worker's batch waits for its gate after it
 * is claimed and before its deadlines are checked and its call is timed, and gives the permit back when it
 * is over, or at once when its worker is abandoned.
 */
class ExecutionGateTest {
    private final ManualTicker ticker = new ManualTicker();
    private final List<ExecutorService> threads = new ArrayList<>();
    private final List<DynamicBatcher<?, ?>> batchers = new ArrayList<>();
    private final List<TestGate> gates = new ArrayList<>();

    @AfterEach
    void tearDown() {
        gates.forEach(g -> g.open.countDown());
        batchers.forEach(b -> b.close(Duration.ofSeconds(5)));
        threads.forEach(ExecutorService::shutdownNow);
    }

    /** A gate that lets nothing through until opened, and records what it was asked and what was given back. */
    static final class TestGate implements ExecutionGate {
        final CountDownLatch open = new CountDownLatch(1);
        final CountDownLatch entered = new CountDownLatch(1);
        final List<Long> keys = new CopyOnWriteArrayList<>();
        final AtomicInteger granted = new AtomicInteger();
        final AtomicInteger released = new AtomicInteger();

        @Override
        public Permit acquire(long priorityKey) throws InterruptedException {
            keys.add(priorityKey);
            entered.countDown();
            open.await();
            granted.incrementAndGet();
            return released::incrementAndGet;
        }

        void awaitEntered() throws InterruptedException {
            assertTrue(entered.await(10, TimeUnit.SECONDS), "no batch came to the gate");
        }
    }

    private TestGate gate() {
        TestGate g = new TestGate();
        gates.add(g);
        return g;
    }

    private WorkerBatcher<Integer, Integer> batcher(BatchObserver observer) {
        // eager: these tests batch whatever waits, as the gate's mechanics do not depend on batch sizes
        WorkerBatcher<Integer, Integer> b = WorkerBatcher.<Integer, Integer>builder().name("dep").maxBatchSize(8)
                .maxDelay(Duration.ZERO).policy(BatchPolicy.eager()).ticker(ticker).observer(observer).buildWithWorkers();
        batchers.add(b);
        return b;
    }

    private ExecutorService thread() {
        ExecutorService t = Executors.newSingleThreadExecutor(r -> {
            Thread th = new Thread(r, "test-worker");
            th.setDaemon(true);
            return th;
        });
        threads.add(t);
        return t;
    }

    @Test
    void aRequestWhoseDeadlinePassesWhileItsBatchWaitsForTheGateFailsAndNeverReachesTheFunction() throws Exception {
        WorkerBatcher<Integer, Integer> b = batcher(BatchObserver.none());
        RecordingFunction f = new RecordingFunction();
        TestGate gate = gate();
        long submittedAt = ticker.read();
        CompletableFuture<Integer> late = b.submit(1, Duration.ofMillis(10));
        CompletableFuture<Integer> patient = b.submit(2);
        b.addWorker("dep#1", f, thread(), gate); // after both: they share one batch
        gate.awaitEntered();

        ticker.advance(Duration.ofMillis(20));
        assertFalse(late.isDone(), "claimed for a batch: the queue's timer no longer expires it");
        gate.open.countDown();

        DeadlineExceededException e = assertInstanceOf(DeadlineExceededException.class, failureOf(late));
        assertTrue(e.getMessage().contains("before its batch started"), e.getMessage());
        assertEquals(4, patient.get(10, TimeUnit.SECONDS));
        assertEquals(List.of(2), f.seen(), "the function never saw the expired request");
        eventually("the permit given back", () -> gate.released.get() == 1);
        assertEquals(List.of(submittedAt), gate.keys, "one batch, keyed by its oldest request");
    }

    @Test
    void theWaitForTheGateCountsAsQueueWaitAndNeverAsTheCallsTime() throws Exception {
        AtomicLong executionNanos = new AtomicLong(-1);
        AtomicLong queueWaitNanos = new AtomicLong(-1);
        WorkerBatcher<Integer, Integer> b = batcher(new BatchObserver() {
            @Override
            public void onBatch(String batcher, int size, long[] queueWaits, long execution, Throwable failure) {
                queueWaitNanos.set(queueWaits[0]);
                executionNanos.set(execution);
            }
        });
        TestGate gate = gate();
        b.addWorker("dep#1", new RecordingFunction(), thread(), gate);
        CompletableFuture<Integer> f = b.submit(1);
        gate.awaitEntered();
        ticker.advance(Duration.ofMillis(50));
        gate.open.countDown();

        assertEquals(2, f.get(10, TimeUnit.SECONDS));
        eventually("observed", () -> executionNanos.get() >= 0);
        assertEquals(0, executionNanos.get(), "the call itself took no time on the manual clock");
        assertEquals(Duration.ofMillis(50).toNanos(), queueWaitNanos.get());
    }

    @Test
    void thePermitIsGivenBackBeforeTheCallersFuturesCompleteButOnlyAfterTheLastRetryOfASplitBatch() throws Exception {
        WorkerBatcher<Integer, Integer> b = batcher(BatchObserver.none());
        TestGate gate = gate();
        gate.open.countDown();
        CompletableFuture<Integer> ok = b.submit(1);
        CompletableFuture<Integer> releasedWhenOkCompleted = ok.thenApply(v -> gate.released.get());
        b.addWorker("dep#1", new RecordingFunction(), thread(), gate);
        assertEquals(1, releasedWhenOkCompleted.get(10, TimeUnit.SECONDS), "a stage on the worker's thread holds none");

        // Split: 3 fails alone, 4 succeeds alone; both halves run under the one permit of their batch.
        RecordingFunction poisoned = new RecordingFunction().poison(3);
        WorkerBatcher<Integer, Integer> split = batcher(BatchObserver.none());
        TestGate splitGate = gate();
        splitGate.open.countDown();
        CompletableFuture<Integer> bad = split.submit(3);
        CompletableFuture<Integer> good = split.submit(4);
        CompletableFuture<Integer> releasedWhenBadFailed = bad.handle((v, e) -> splitGate.released.get());
        split.addWorker("dep#1", poisoned, thread(), splitGate);
        assertEquals(8, good.get(10, TimeUnit.SECONDS));
        assertEquals(0, releasedWhenBadFailed.get(10, TimeUnit.SECONDS), "the second half still had to run");
        assertEquals(List.of(List.of(3, 4), List.of(3), List.of(4)), poisoned.batches);
        eventually("given back after the last retry", () -> splitGate.released.get() == 1);
        assertEquals(1, splitGate.granted.get());
    }

    @Test
    void theKeyOfABatchIsTheOriginOfItsOldestRequestAgedByItsCaller() throws Exception {
        WorkerBatcher<Integer, Integer> b = batcher(BatchObserver.none());
        ticker.set(1_000_000_000L);
        // Queued with no worker, so they share one batch.
        CompletableFuture<Integer> young = RequestOrigin.submitAged(Duration.ofMillis(5).toNanos(), () -> b.submit(1));
        ticker.advance(Duration.ofMillis(1));
        CompletableFuture<Integer> old = RequestOrigin.submitAged(Duration.ofMillis(20).toNanos(), () -> b.submit(2));
        CompletableFuture<Integer> plain = b.submit(3);
        assertEquals(0, RequestOrigin.age(), "the age is set only around the submission");
        TestGate gate = gate();
        RecordingFunction f = new RecordingFunction();
        b.addWorker("dep#1", f, thread(), gate);
        gate.awaitEntered();
        gate.open.countDown();

        assertEquals(List.of(2, 4, 6), List.of(young.get(10, TimeUnit.SECONDS), old.get(10, TimeUnit.SECONDS),
                plain.get(10, TimeUnit.SECONDS)));
        assertEquals(List.of(List.of(1, 2, 3)), f.batches);
        assertEquals(List.of(1_000_000_000L + Duration.ofMillis(1 - 20).toNanos()), gate.keys,
                "admitted at 1 ms aged 20 ms: 19 ms before the clock's start");
    }

    @Test
    void abandoningAWorkerGivesBackThePermitItsHungBatchHoldsAtOnceAndOnlyOnce() throws Exception {
        WorkerBatcher<Integer, Integer> b = batcher(BatchObserver.none());
        RecordingFunction f = new RecordingFunction().hold();
        TestGate gate = gate();
        gate.open.countDown();
        WorkerBatcher.Worker w = b.addWorker("dep#1", f, thread(), gate);
        CompletableFuture<Integer> stuck = b.submit(1);
        f.awaitStarted(1);
        assertEquals(0, gate.released.get(), "held while the function runs");

        IllegalStateException error = new IllegalStateException("hung");
        w.abandon(false, error);
        assertEquals(1, gate.released.get(), "given back by the abandoner, not when the function returns");
        assertSame(error, failureOf(stuck));

        f.release();
        eventually("the worker's thread is done with the batch", () -> f.running.get() == 0);
        b.addWorker("dep#2", new RecordingFunction(), thread(), gate);
        assertEquals(4, b.submit(2).get(10, TimeUnit.SECONDS));
        eventually("the second batch's permit given back", () -> gate.released.get() == 2);
        assertEquals(2, gate.granted.get());
        assertEquals(2, gate.released.get(), "the hung batch's permit was not given back twice");
    }

    @Test
    void aWorkerAbandonedWhileItWaitsForTheGateGivesThePermitBackWhenItComesAndRunsNothing() throws Exception {
        WorkerBatcher<Integer, Integer> b = batcher(BatchObserver.none());
        RecordingFunction f = new RecordingFunction();
        TestGate gate = gate();
        WorkerBatcher.Worker w = b.addWorker("dep#1", f, thread(), gate);
        CompletableFuture<Integer> waiting = b.submit(1);
        gate.awaitEntered();

        IllegalStateException error = new IllegalStateException("lost");
        w.abandon(false, error);
        assertSame(error, failureOf(waiting));
        gate.open.countDown();

        eventually("the late permit given back", () -> gate.released.get() == 1);
        assertEquals(1, gate.granted.get());
        assertTrue(f.batches.isEmpty(), "an abandoned batch never runs");
    }

    @Test
    void aWorkerInterruptedWhileWaitingForTheGateEndsItsRequestsWithShutdownExceptionAndHoldsNothing() throws Exception {
        WorkerBatcher<Integer, Integer> b = batcher(BatchObserver.none());
        RecordingFunction f = new RecordingFunction();
        TestGate gate = gate();
        ExecutorService thread = thread();
        CompletableFuture<Integer> first = b.submit(1);
        CompletableFuture<Integer> second = b.submit(2);
        b.addWorker("dep#1", f, thread, gate); // after both: they share one batch
        gate.awaitEntered();

        thread.shutdownNow(); // what a forced close does to a replica's threads

        ShutdownException e = assertInstanceOf(ShutdownException.class, failureOf(first));
        assertTrue(e.getMessage().contains("waited for its turn to run"), e.getMessage());
        assertSame(e, failureOf(second), "every request of the batch ended with it");
        assertEquals(0, gate.granted.get());
        assertEquals(0, gate.released.get());
        assertTrue(f.batches.isEmpty());
    }
}
