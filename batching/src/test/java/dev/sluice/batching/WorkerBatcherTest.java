package dev.sluice.batching;

import static dev.sluice.batching.TestFutures.failureOf;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.batching.internal.WorkerBatcher;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Batches on workers that are added, retired and abandoned while the batcher runs. */
class WorkerBatcherTest {
    private final List<ExecutorService> threads = new ArrayList<>();
    private final List<DynamicBatcher<?, ?>> batchers = new ArrayList<>();

    @AfterEach
    void tearDown() {
        batchers.forEach(b -> b.close(Duration.ofSeconds(5)));
        threads.forEach(ExecutorService::shutdownNow);
    }

    private WorkerBatcher<Integer, Integer> batcher(int maxBatchSize) {
        WorkerBatcher<Integer, Integer> b = WorkerBatcher.<Integer, Integer>builder()
                .name("dep").maxBatchSize(maxBatchSize).maxDelay(Duration.ZERO).buildWithWorkers();
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
    void requestsWaitWithNoWorkerAndTheFirstWorkerAddedServesThem() throws Exception {
        WorkerBatcher<Integer, Integer> b = batcher(8);
        CompletableFuture<Integer> f = b.submit(21);
        assertThrows(TimeoutException.class, () -> f.get(50, TimeUnit.MILLISECONDS));
        assertEquals(1, b.queueDepth());

        b.addWorker("dep#1", new RecordingFunction(), thread());
        assertEquals(42, f.get(10, TimeUnit.SECONDS));
        assertEquals(1, b.workers());
    }

    @Test
    void aBusyWorkerDoesNotHoldRequestsAFreeOneCanServe() throws Exception {
        WorkerBatcher<Integer, Integer> b = batcher(1);
        RecordingFunction slow = new RecordingFunction().hold();
        RecordingFunction fast = new RecordingFunction();
        b.addWorker("slow", slow, thread());
        CompletableFuture<Integer> first = b.submit(1);
        slow.awaitStarted(1);
        b.addWorker("fast", fast, thread());

        List<CompletableFuture<Integer>> rest = new ArrayList<>();
        for (int i = 2; i <= 20; i++) {
            rest.add(b.submit(i));
        }
        for (int i = 0; i < rest.size(); i++) {
            assertEquals(2 * (i + 2), rest.get(i).get(10, TimeUnit.SECONDS));
        }
        assertEquals(19, fast.seen().size(), "every request after the first went to the free worker");
        assertFalse(first.isDone());
        slow.release();
        assertEquals(2, first.get(10, TimeUnit.SECONDS));
    }

    @Test
    void aModelFailureNamesTheWorkerAsTheReplica() {
        WorkerBatcher<Integer, Integer> b = batcher(4);
        b.addWorker("dep#7", in -> {
            throw new IllegalStateException("boom");
        }, thread());
        ModelException e = assertInstanceOf(ModelException.class, failureOf(b.submit(1)));
        assertEquals("dep#7", e.replica());
        assertTrue(e.getMessage().contains("replica dep#7"), e.getMessage());
    }

    @Test
    void aRetiredWorkerFinishesItsBatchAndGetsNoMore() throws Exception {
        WorkerBatcher<Integer, Integer> b = batcher(1);
        RecordingFunction old = new RecordingFunction().hold();
        WorkerBatcher.Worker w = b.addWorker("old", old, thread());
        CompletableFuture<Integer> running = b.submit(1);
        old.awaitStarted(1);
        CompletableFuture<Integer> waiting = b.submit(2);

        CompletableFuture<Void> retired = w.retire();
        assertFalse(retired.isDone(), "retiring waits for the running batch");
        old.release();
        assertEquals(2, running.get(10, TimeUnit.SECONDS));
        retired.get(10, TimeUnit.SECONDS);
        assertEquals(0, b.workers());
        assertFalse(w.isBusy());
        assertThrows(TimeoutException.class, () -> waiting.get(50, TimeUnit.MILLISECONDS));

        RecordingFunction replacement = new RecordingFunction();
        b.addWorker("new", replacement, thread());
        assertEquals(4, waiting.get(10, TimeUnit.SECONDS));
        assertEquals(List.of(1), old.seen());
    }

    @Test
    void retiringAFreeWorkerIsImmediate() throws Exception {
        WorkerBatcher<Integer, Integer> b = batcher(1);
        WorkerBatcher.Worker w = b.addWorker("w", new RecordingFunction(), thread());
        w.retire().get(1, TimeUnit.SECONDS);
        assertEquals(0, b.workers());
        assertEquals(0, b.runningBatches());
    }

    @Test
    void abandoningAHungWorkerRequeuesItsRequestsForAnotherAndIgnoresItsLateResult() throws Exception {
        WorkerBatcher<Integer, Integer> b = batcher(4);
        RecordingFunction hung = new RecordingFunction().hold();
        WorkerBatcher.Worker w = b.addWorker("hung", hung, thread());
        List<CompletableFuture<Integer>> fs = List.of(b.submit(1), b.submit(2), b.submit(3));
        hung.awaitStarted(1);
        int inFlight = hung.seen().size();

        ModelException lost = new ModelException("dep", "hung", "hung past the watchdog", null);
        assertEquals(inFlight, w.abandon(true, lost));
        assertEquals(0, b.workers());
        RecordingFunction healthy = new RecordingFunction();
        b.addWorker("healthy", healthy, thread());
        for (int i = 0; i < fs.size(); i++) {
            assertEquals(2 * (i + 1), fs.get(i).get(10, TimeUnit.SECONDS));
        }
        assertEquals(List.of(1, 2, 3), healthy.seen(), "requeued at the head, in order");
        hung.release(); // its late outputs go nowhere
        assertEquals(0, w.abandon(true, lost), "abandoning twice does nothing");
    }

    @Test
    void abandoningWithoutRequeueFailsTheRunningBatchWithTheGivenError() throws Exception {
        WorkerBatcher<Integer, Integer> b = batcher(4);
        RecordingFunction hung = new RecordingFunction().hold();
        WorkerBatcher.Worker w = b.addWorker("hung", hung, thread());
        CompletableFuture<Integer> f = b.submit(1);
        hung.awaitStarted(1);
        ModelException lost = new ModelException("dep", "hung", "hung", null);

        assertEquals(0, w.abandon(false, lost));
        assertSame(lost, failureOf(f));
        hung.release();
    }

    @Test
    void aRequestIsRetriedOnceOnly() throws Exception {
        WorkerBatcher<Integer, Integer> b = batcher(4);
        RecordingFunction first = new RecordingFunction().hold();
        WorkerBatcher.Worker w1 = b.addWorker("one", first, thread());
        CompletableFuture<Integer> f = b.submit(1);
        first.awaitStarted(1);
        assertEquals(1, w1.abandon(true, new ModelException("dep", "one", "lost", null)));

        RecordingFunction second = new RecordingFunction().hold();
        WorkerBatcher.Worker w2 = b.addWorker("two", second, thread());
        second.awaitStarted(1);
        ModelException lostAgain = new ModelException("dep", "two", "lost", null);
        assertEquals(0, w2.abandon(true, lostAgain));
        assertSame(lostAgain, failureOf(f));
        first.release();
        second.release();
    }

    @Test
    void anErrorInsideTheFunctionCanAbandonItsOwnWorker() throws Exception {
        WorkerBatcher<Integer, Integer> b = batcher(4);
        WorkerBatcher.Worker[] self = new WorkerBatcher.Worker[1];
        RecordingFunction healthy = new RecordingFunction();
        ModelException lost = new ModelException("dep", "broken", "threw an Error", null);
        self[0] = b.addWorker("broken", in -> {
            self[0].abandon(true, lost);
            throw new AssertionError("corrupted state");
        }, thread());
        CompletableFuture<Integer> f = b.submit(5);
        b.addWorker("healthy", healthy, thread());
        assertEquals(10, f.get(10, TimeUnit.SECONDS));
    }

    @Test
    void aRequeuedRequestWhoseDeadlinePassesFailsWithTheWorkersError() throws Exception {
        ManualTicker ticker = new ManualTicker();
        WorkerBatcher<Integer, Integer> b = WorkerBatcher.<Integer, Integer>builder()
                .name("dep").maxDelay(Duration.ZERO).ticker(ticker).buildWithWorkers();
        batchers.add(b);
        RecordingFunction hung = new RecordingFunction().hold();
        WorkerBatcher.Worker w = b.addWorker("hung", hung, thread());
        CompletableFuture<Integer> f = b.submit(1, Duration.ofMillis(100));
        hung.awaitStarted(1);
        ModelException lost = new ModelException("dep", "hung", "hung", null);
        assertEquals(1, w.abandon(true, lost));
        ticker.advance(Duration.ofMillis(100));
        assertSame(lost, failureOf(f));
        hung.release();
    }

    @Test
    void failWaitingFailsWhatWaitsAndLaterRequestsWaitAsUsual() throws Exception {
        WorkerBatcher<Integer, Integer> b = batcher(4);
        CompletableFuture<Integer> f = b.submit(1);
        IllegalStateException why = new IllegalStateException("no replica can start");
        b.failWaiting(new ModelException("dep", null, "cannot start", why));
        assertSame(why, failureOf(f).getCause());
        assertEquals(0, b.queueDepth());

        CompletableFuture<Integer> later = b.submit(2);
        b.addWorker("w", new RecordingFunction(), thread());
        assertEquals(4, later.get(10, TimeUnit.SECONDS));
    }

    @Test
    void closeDrainsOnTheWorkersThenRefuses() throws Exception {
        WorkerBatcher<Integer, Integer> b = batcher(2);
        RecordingFunction fn = new RecordingFunction().hold();
        b.addWorker("w", fn, thread());
        List<CompletableFuture<Integer>> fs = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            fs.add(b.submit(i));
        }
        fn.awaitStarted(1);
        CompletableFuture<Void> closed = CompletableFuture.runAsync(() -> b.close(Duration.ofSeconds(10)));
        fn.release();
        closed.get(10, TimeUnit.SECONDS);
        for (int i = 0; i < 5; i++) {
            assertEquals(2 * i, fs.get(i).get(1, TimeUnit.SECONDS));
        }
        assertInstanceOf(ShutdownException.class, failureOf(b.submit(9)));
        assertThrows(IllegalStateException.class, () -> b.addWorker("late", fn, thread()));
    }

    @Test
    void aCompletedRequestTellsItsQueueWaitBatchSizeAndWorker() throws Exception {
        ManualTicker ticker = new ManualTicker();
        WorkerBatcher<Integer, Integer> b = WorkerBatcher.<Integer, Integer>builder()
                .name("dep").maxBatchSize(8).maxDelay(Duration.ZERO).policy(BatchPolicy.eager()) // one batch of 3
                .ticker(ticker).buildWithWorkers();
        batchers.add(b);
        List<CompletableFuture<Integer>> fs = List.of(b.submit(1), b.submit(2), b.submit(3));
        CompletableFuture<Integer> cancelled = b.submit(4);
        cancelled.cancel(false);
        ticker.advance(Duration.ofMillis(7));
        b.addWorker("dep#3", new RecordingFunction(), thread());
        for (CompletableFuture<Integer> f : fs) {
            f.get(10, TimeUnit.SECONDS);
            Dispatch d = DynamicBatcher.dispatchOf(f);
            // eager lets a batch take up to maxBatchSize; 3 waited. No budget: no wait for CPUs, one CPU.
            assertEquals(new Dispatch(Duration.ofMillis(7).toNanos(), 3, "dep#3", 8, 0, 1), d);
        }
        assertEquals(null, DynamicBatcher.dispatchOf(cancelled), "never reached the function");
        assertEquals(null, DynamicBatcher.dispatchOf(fs.get(0).thenApply(x -> x)), "not a batcher's future");
    }

    @Test
    void builderSaysWhichKindOfBatcherItBuilds() {
        assertThrows(IllegalStateException.class, () -> WorkerBatcher.<Integer, Integer>builder().build());
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> WorkerBatcher.<Integer, Integer>builder().maxConcurrentBatches(2).buildWithWorkers());
        assertTrue(e.getMessage().contains("maxConcurrentBatches"), e.getMessage());
        assertThrows(IllegalStateException.class,
                () -> DynamicBatcher.builder(new RecordingFunction()).buildWithWorkers());
        DynamicBatcher<Integer, Integer> plain = DynamicBatcher.builder(new RecordingFunction()).build();
        batchers.add(plain);
        assertThrows(IllegalStateException.class,
                () -> ((WorkerBatcher<Integer, Integer>) plain).addWorker("x", new RecordingFunction(), thread()));
    }
}
