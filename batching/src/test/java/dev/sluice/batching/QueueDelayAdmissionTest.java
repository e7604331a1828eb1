package dev.sluice.batching;

import static dev.sluice.batching.Eventually.eventually;
import static dev.sluice.batching.TestFutures.failureOfCompleted;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.batching.internal.RequestOrigin;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Admission by expected queue delay, on a manual ticker: every batch of the function below takes exactly 10 ms of
 * ticker time, and batches hold one input, so the expected wait of a request is 10 ms per request queued ahead of
 * it (one worker), and the default bound is one second (16 x 10 ms = 160 ms is under its floor) unless a test
 * makes the function slower.
 */
class QueueDelayAdmissionTest {
    private static final Duration COST = Duration.ofMillis(10);

    private final ManualTicker time = new ManualTicker();
    private final List<DynamicBatcher<?, ?>> open = new ArrayList<>();
    private final List<BatchObserver.Rejection> rejections = new CopyOnWriteArrayList<>();
    private final TenMillis fn = new TenMillis();

    /** Each call moves the ticker by {@link #COST}, then returns the inputs doubled; {@link #hold} keeps calls from returning. */
    private final class TenMillis implements BatchFunction<Integer, Integer> {
        private final Semaphore started = new Semaphore(0);
        /** How far each call moves the ticker: {@link #COST} unless a test changes it before any call. */
        private volatile Duration cost = COST;
        private volatile CountDownLatch gate = new CountDownLatch(0);

        void hold() {
            started.drainPermits();
            gate = new CountDownLatch(1);
        }

        void release() {
            gate.countDown();
        }

        void awaitStarted() throws InterruptedException {
            assertTrue(started.tryAcquire(10, TimeUnit.SECONDS), "the function was not called");
        }

        @Override
        public List<Integer> apply(List<Integer> batch) throws Exception {
            started.release();
            gate.await();
            time.advance(cost);
            List<Integer> out = new ArrayList<>();
            batch.forEach(x -> out.add(2 * x));
            return out;
        }
    }

    @AfterEach
    void closeAll() {
        fn.release();
        open.forEach(b -> b.close(Duration.ofSeconds(5)));
    }

    private DynamicBatcher<Integer, Integer> batcher(Consumer<DynamicBatcher.Builder<Integer, Integer>> config) {
        DynamicBatcher.Builder<Integer, Integer> b = DynamicBatcher.builder(fn).name("scorer").maxBatchSize(1)
                .maxDelay(Duration.ZERO).ticker(time).observer(new BatchObserver() {
                    @Override
                    public void onRejected(String batcher, Rejection reason) {
                        rejections.add(reason);
                    }
                });
        config.accept(b);
        DynamicBatcher<Integer, Integer> batcher = b.build();
        open.add(batcher);
        return batcher;
    }

    /** Two calls, so the batcher has measured a batch of one twice (the first call alone is not trusted). */
    private static void measure(DynamicBatcher<Integer, Integer> b) throws Exception {
        assertEquals(0, b.submit(0).get(10, TimeUnit.SECONDS));
        assertEquals(0, b.submit(0).get(10, TimeUnit.SECONDS));
    }

    /** Holds the only worker in a call, then queues {@code n} requests behind it; all must be admitted. */
    private List<CompletableFuture<Integer>> queue(DynamicBatcher<Integer, Integer> b, int n) throws Exception {
        fn.hold();
        List<CompletableFuture<Integer>> admitted = new ArrayList<>();
        admitted.add(b.submit(-1));
        fn.awaitStarted();
        for (int i = 1; i <= n; i++) {
            CompletableFuture<Integer> f = b.submit(i);
            assertFalse(f.isDone(), "request " + i + " with " + (i - 1) + " ahead was admitted");
            admitted.add(f);
        }
        return admitted;
    }

    private static void allSucceed(List<CompletableFuture<Integer>> futures) throws Exception {
        for (CompletableFuture<Integer> f : futures) {
            f.get(10, TimeUnit.SECONDS);
        }
    }

    @Test
    void aRequestThatWouldWaitLongerThanTheDefaultBoundIsRefusedAtOnceWithARetryAfter() throws Exception {
        DynamicBatcher<Integer, Integer> b = batcher(c -> {});
        measure(b);
        // 101 queued: the last has 100 ahead, 1000 ms, exactly the bound (16 x 10 ms is under the floor): admitted.
        List<CompletableFuture<Integer>> admitted = queue(b, 101);

        CompletableFuture<Integer> refused = b.submit(99);

        OverloadedException e = assertInstanceOf(OverloadedException.class, failureOfCompleted(refused));
        assertEquals(OverloadedException.Limit.QUEUE_DELAY, e.limit());
        assertEquals("scorer", e.source());
        assertEquals(Duration.ofMillis(10), e.retryAfter(), "101 ahead drain to the bound's 100 in one batch time");
        assertTrue(e.getMessage().contains("101 requests queued ahead"), e.getMessage());
        assertTrue(e.getMessage().contains("1010.0 ms"), e.getMessage());
        assertTrue(e.getMessage().contains("maxQueueDelay of 1000.0 ms (16x a batch of 1, 10.0 ms, at least 1000 ms)"),
                e.getMessage());
        assertEquals(List.of(BatchObserver.Rejection.QUEUE_DELAY), rejections);
        QueueDelayStatus status = b.queueDelay();
        assertEquals(new QueueDelayStatus(true, 1_000_000_000, 1_010_000_000, 1), status);
        assertEquals(101, b.queueDepth(), "the refused request was not queued");
        fn.release();
        allSucceed(admitted);
    }

    @Test
    void aRequestWhoseTimeoutIsShorterThanItsExpectedWaitIsRefusedAtOnce() throws Exception {
        DynamicBatcher<Integer, Integer> b = batcher(c -> {});
        measure(b);
        List<CompletableFuture<Integer>> admitted = queue(b, 3); // a fourth waits 30 ms

        CompletableFuture<Integer> tooShort = b.submit(7, Duration.ofMillis(25));
        // 30 ms for the queue ahead, and, to be dispatched in time, the 10 ms of the batch running now (which the
        // estimate leaves out) and a little more (a request dispatched at its deadline has missed it).
        CompletableFuture<Integer> longEnough = b.submit(8, Duration.ofMillis(45));

        OverloadedException e = assertInstanceOf(OverloadedException.class, failureOfCompleted(tooShort));
        assertEquals(OverloadedException.Limit.QUEUE_DELAY, e.limit());
        assertEquals(Duration.ofMillis(5), e.retryAfter());
        assertTrue(e.getMessage().contains("longer than its timeout of 25.0 ms"), e.getMessage());
        assertFalse(longEnough.isDone(), "a timeout that covers the expected wait is admitted");
        fn.release();
        allSucceed(admitted);
        assertEquals(16, longEnough.get(10, TimeUnit.SECONDS));
    }

    @Test
    void aFixedMaxQueueDelayReplacesTheDefault() throws Exception {
        DynamicBatcher<Integer, Integer> b = batcher(c -> c.maxQueueDelay(Duration.ofMillis(30)));
        measure(b);
        List<CompletableFuture<Integer>> admitted = queue(b, 4); // the fourth has 30 ms ahead: the bound

        OverloadedException e = assertInstanceOf(OverloadedException.class, failureOfCompleted(b.submit(5)));

        assertEquals(Duration.ofMillis(10), e.retryAfter());
        assertTrue(e.getMessage().contains("longer than the maxQueueDelay of 30.0 ms; the request was not queued"),
                e.getMessage());
        assertEquals(Optional.of(Duration.ofMillis(30)), b.queueDelay().maxQueueDelay());
        fn.release();
        allSucceed(admitted);
    }

    @Test
    void nothingIsRefusedForItsWaitBeforeTheFirstMeasurement() throws Exception {
        DynamicBatcher<Integer, Integer> b = batcher(c -> {});

        List<CompletableFuture<Integer>> admitted = queue(b, 500);

        assertEquals(new QueueDelayStatus(true, -1, -1, 0), b.queueDelay(), "no bound before a measurement");
        fn.release();
        allSucceed(admitted);
        assertTrue(rejections.isEmpty(), "refused: " + rejections);
    }

    @Test
    void aBatchSizeMeasuredOnceIsNotYetTrusted() throws Exception {
        DynamicBatcher<Integer, Integer> b = batcher(c -> c.maxQueueDelay(Duration.ofMillis(1)));
        assertEquals(0, b.submit(0).get(10, TimeUnit.SECONDS)); // its first call may pay one-off costs

        List<CompletableFuture<Integer>> admitted = queue(b, 100);

        assertEquals(new QueueDelayStatus(true, 1_000_000, -1, 0), b.queueDelay());
        fn.release();
        allSucceed(admitted);
        assertTrue(rejections.isEmpty(), "refused: " + rejections);
    }

    @Test
    void switchedOffOnlyTheQueueCapacityLimitsAdmission() throws Exception {
        DynamicBatcher<Integer, Integer> b = batcher(c -> c.unboundedQueueDelay().queueCapacity(300));
        measure(b);

        List<CompletableFuture<Integer>> admitted = queue(b, 299);
        CompletableFuture<Integer> tight = b.submit(1, Duration.ofMillis(1)); // 3 s expected: its deadline decides
        OverloadedException full = assertInstanceOf(OverloadedException.class, failureOfCompleted(b.submit(2)));

        assertFalse(tight.isDone(), "not refused for its wait (the ticker stands still: it has not expired)");
        assertEquals(OverloadedException.Limit.QUEUE_CAPACITY, full.limit());
        assertEquals(new QueueDelayStatus(false, -1, -1, 0), b.queueDelay());
        assertEquals(List.of(BatchObserver.Rejection.OVERLOADED), rejections);
        fn.release();
        allSucceed(admitted);
    }

    @Test
    void forASlowerModelTheBoundIsSixteenTargetBatchesAboveTheFloor() throws Exception {
        fn.cost = Duration.ofMillis(100);
        DynamicBatcher<Integer, Integer> b = batcher(c -> {});
        measure(b);
        // 16 x 100 ms = 1.6 s: the 17th queued has 16 ahead, exactly the bound; the next has 17 ahead.
        List<CompletableFuture<Integer>> admitted = queue(b, 17);

        OverloadedException e = assertInstanceOf(OverloadedException.class, failureOfCompleted(b.submit(99)));

        assertEquals(Duration.ofMillis(100), e.retryAfter());
        assertTrue(e.getMessage().contains("maxQueueDelay of 1600.0 ms (16x a batch of 1, 100.0 ms, at least 1000 ms)"),
                e.getMessage());
        assertEquals(Optional.of(Duration.ofMillis(1600)), b.queueDelay().maxQueueDelay());
        fn.release();
        allSucceed(admitted);
    }

    @Test
    void requestsAPipelineAdmittedAreNeverRefusedForTheirWait() throws Exception {
        DynamicBatcher<Integer, Integer> b = batcher(c -> {});
        measure(b);
        List<CompletableFuture<Integer>> admitted = queue(b, 101); // at the bound
        assertInstanceOf(OverloadedException.class, failureOfCompleted(b.submit(0)), "a plain request is refused");

        for (int i = 0; i < 50; i++) {
            int x = 100 + i;
            admitted.add(RequestOrigin.submitAdmitted(0, () -> b.submit(x)));
        }
        CompletableFuture<Integer> shortStep = RequestOrigin.submitAdmitted(Duration.ofSeconds(1).toNanos(),
                () -> b.submit(7, Duration.ofMillis(1)));
        CompletableFuture<Integer> plainAfter = b.submit(8);

        admitted.forEach(f -> assertFalse(f.isDone(), "admitted"));
        assertFalse(shortStep.isDone(), "not refused for its wait (its deadline may still pass in the queue)");
        assertFalse(RequestOrigin.admittedUpstream(), "the mark is set only around the submission");
        assertInstanceOf(OverloadedException.class, failureOfCompleted(plainAfter));
        assertEquals(2, b.queueDelay().refused());
        fn.release();
        allSucceed(admitted);
    }

    @Test
    void theBuilderRefusesABoundThatIsNotPositiveOrLongerThanADay() {
        DynamicBatcher.Builder<Integer, Integer> b = DynamicBatcher.builder(fn);
        assertEquals("maxQueueDelay must be positive, was PT0S",
                assertThrows(IllegalArgumentException.class, () -> b.maxQueueDelay(Duration.ZERO)).getMessage());
        assertTrue(assertThrows(IllegalArgumentException.class, () -> b.maxQueueDelay(Duration.ofMillis(-1)))
                .getMessage().startsWith("maxQueueDelay must be positive"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> b.maxQueueDelay(Duration.ofDays(2)))
                .getMessage().startsWith("maxQueueDelay must be at most one day"));
        assertEquals("maxQueueDelay", assertThrows(NullPointerException.class, () -> b.maxQueueDelay(null)).getMessage());
    }

    @Test
    void theExpectedWaitIsSharedOverTheWorkers() throws Exception {
        DynamicBatcher<Integer, Integer> b = batcher(c -> c.maxConcurrentBatches(2));
        measure(b);
        fn.hold();
        List<CompletableFuture<Integer>> admitted = new ArrayList<>(List.of(b.submit(-1), b.submit(-2)));
        fn.awaitStarted();
        fn.awaitStarted();
        for (int i = 1; i <= 201; i++) { // the 201st has 200 ahead: 2 s of batches over 2 workers, the bound
            admitted.add(b.submit(i));
        }
        admitted.forEach(f -> assertFalse(f.isDone(), "admitted"));

        OverloadedException e = assertInstanceOf(OverloadedException.class, failureOfCompleted(b.submit(0)));

        assertTrue(e.getMessage().contains("over 2 worker(s)"), e.getMessage());
        assertEquals(Duration.ofMillis(5), e.retryAfter(), "201 ahead over 2 workers: 1005 ms against 1000 ms");
        fn.release();
        allSucceed(admitted);
    }

    @Test
    void theRefusalLeavesNoTraceInTheQueue() throws Exception {
        DynamicBatcher<Integer, Integer> b = batcher(c -> c.maxQueueDelay(Duration.ofMillis(10)));
        measure(b);
        List<CompletableFuture<Integer>> admitted = queue(b, 2);
        for (int i = 0; i < 1000; i++) {
            assertTrue(b.submit(i).isCompletedExceptionally());
        }
        assertEquals(2, b.queueDepth());
        assertEquals(1000, b.queueDelay().refused());
        fn.release();
        allSucceed(admitted);
        eventually("the queue drained", () -> b.queueDepth() == 0 && b.runningBatches() == 0);
    }
}
