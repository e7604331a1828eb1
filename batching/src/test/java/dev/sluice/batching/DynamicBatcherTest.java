package dev.sluice.batching;

import static dev.sluice.batching.Eventually.eventually;
import static dev.sluice.batching.TestFutures.failureOf;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/** One behaviour per test, grouped by the point of the batcher's contract it specifies. */
class DynamicBatcherTest {
    private final List<DynamicBatcher<?, ?>> open = new ArrayList<>();
    private final RecordingFunction fn = new RecordingFunction();

    @AfterEach
    void closeAll() {
        fn.release();
        open.forEach(b -> b.close(Duration.ofSeconds(5)));
    }

    private DynamicBatcher<Integer, Integer> batcher(Consumer<DynamicBatcher.Builder<Integer, Integer>> config) {
        return batcher(fn, config);
    }

    private <I, O> DynamicBatcher<I, O> batcher(BatchFunction<I, O> f, Consumer<DynamicBatcher.Builder<I, O>> config) {
        DynamicBatcher.Builder<I, O> builder = DynamicBatcher.builder(f).name("test");
        config.accept(builder);
        DynamicBatcher<I, O> b = builder.build();
        open.add(b);
        return b;
    }

    /** Occupies the batcher's only worker with a held batch of one request. */
    private CompletableFuture<Integer> occupyWorker(DynamicBatcher<Integer, Integer> b) throws InterruptedException {
        fn.hold();
        CompletableFuture<Integer> first = b.submit(-1);
        fn.awaitStarted(1);
        return first;
    }

    @Nested
    class Admission {
        @Test
        void fullQueueFailsAtOnceWithOverloadedNamingBatcherAndCapacity() throws Exception {
            DynamicBatcher<Integer, Integer> b = batcher(c -> c.name("ranker").queueCapacity(3).maxBatchSize(1));
            CompletableFuture<Integer> running = occupyWorker(b);
            List<CompletableFuture<Integer>> queued = List.of(b.submit(1), b.submit(2), b.submit(3));

            CompletableFuture<Integer> refused = b.submit(4);

            assertTrue(refused.isDone(), "a refused submission fails before submit returns");
            OverloadedException e = assertInstanceOf(OverloadedException.class, failureOf(refused));
            assertTrue(e.getMessage().contains("'ranker'"), e.getMessage());
            assertTrue(e.getMessage().contains("3"), e.getMessage());
            assertEquals(3, e.capacity());
            fn.release();
            assertEquals(-2, running.get());
            for (int i = 0; i < 3; i++) {
                assertEquals(2 * (i + 1), queued.get(i).get(10, TimeUnit.SECONDS));
            }
            assertFalse(fn.seen().contains(4), "a refused request never reaches the function");
        }

        @Test
        void capacityFreedByDispatchAdmitsAgain() throws Exception {
            DynamicBatcher<Integer, Integer> b = batcher(c -> c.queueCapacity(2).maxBatchSize(2));
            CompletableFuture<Integer> running = occupyWorker(b);
            CompletableFuture<Integer> one = b.submit(1);
            CompletableFuture<Integer> two = b.submit(2);
            assertInstanceOf(OverloadedException.class, failureOf(b.submit(3)));
            fn.release();
            running.get(10, TimeUnit.SECONDS);
            one.get(10, TimeUnit.SECONDS);
            two.get(10, TimeUnit.SECONDS);
            assertEquals(10, b.submit(5).get(10, TimeUnit.SECONDS));
        }

        @Test
        void aNullInputFailsItsFutureWithInvalidInputInsteadOfThrowing() {
            DynamicBatcher<Integer, Integer> b = batcher(c -> c.name("nulls"));
            CompletableFuture<Integer> f = b.submit(null);
            CompletableFuture<Integer> timed = b.submit(null, Duration.ofSeconds(1));

            assertTrue(f.isDone() && timed.isDone(), "refused before submit returns");
            InvalidInputException e = assertInstanceOf(InvalidInputException.class, failureOf(f));
            assertTrue(e.getMessage().contains("'nulls'"), e.getMessage());
            assertInstanceOf(InvalidInputException.class, failureOf(timed));
            assertTrue(fn.batches.isEmpty(), "a null input never reaches the function");
        }

        @Test
        void aNullTimeoutIsAProgrammingErrorAndThrows() {
            DynamicBatcher<Integer, Integer> b = batcher(c -> {});
            NullPointerException e = assertThrows(NullPointerException.class, () -> b.submit(1, null));
            assertEquals("timeout", e.getMessage());
        }
    }

    @Nested
    class LateBinding {
        /** Submits 0..n-1 while the only worker runs a held batch, then lets everything finish. */
        private void submitWhileWorkerBusy(DynamicBatcher<Integer, Integer> b, int n) throws Exception {
            CompletableFuture<Integer> running = occupyWorker(b);
            List<CompletableFuture<Integer>> waiting = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                waiting.add(b.submit(i));
            }
            fn.release();
            CompletableFuture.allOf(waiting.toArray(new CompletableFuture[0])).get(10, TimeUnit.SECONDS);
            running.get();
        }

        @Test
        void requestsQueuedWhileABatchRanGoOutTogetherAtOnce() throws Exception {
            submitWhileWorkerBusy(batcher(c -> c.maxBatchSize(32).policy(BatchPolicy.eager())), 10);
            assertEquals(List.of(1, 10), fn.sizes());
        }

        @Test
        void aBatchNeverExceedsMaxBatchSize() throws Exception {
            // eager fills batches, so maxBatchSize is what bounds them
            submitWhileWorkerBusy(batcher(c -> c.maxBatchSize(4).policy(BatchPolicy.eager())), 10);
            assertEquals(List.of(1, 4, 4, 2), fn.sizes());
            assertEquals(List.of(-1, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9), fn.seen(), "dispatch keeps arrival order");
        }
    }

    /** How many a free worker takes: the policy's size, in every path that forms a batch. */
    @Nested
    class Sizing {
        /** Takes at most {@code size} (changeable while the batcher runs); waits for company while fewer wait. */
        final class Sized implements BatchPolicy {
            volatile int size;

            Sized(int size) {
                this.size = size;
            }

            @Override
            public int batchSize(State state) {
                return size;
            }

            @Override
            public long nanosToWait(State state) {
                return Long.MAX_VALUE; // capped at what is left of maxDelay
            }
        }

        @Test
        void aWorkerThatFinishesTakesAtMostThePolicysSizeOfWhatQueuedMeanwhile() throws Exception {
            DynamicBatcher<Integer, Integer> b = batcher(c -> c.maxBatchSize(8).maxDelay(Duration.ZERO)
                    .policy(new Sized(3)));
            CompletableFuture<Integer> running = occupyWorker(b);
            List<CompletableFuture<Integer>> waiting = new ArrayList<>();
            for (int i = 0; i < 10; i++) {
                waiting.add(b.submit(i));
            }
            fn.release();
            CompletableFuture.allOf(waiting.toArray(new CompletableFuture[0])).get(10, TimeUnit.SECONDS);
            running.get();
            assertEquals(List.of(1, 3, 3, 3, 1), fn.sizes());
            assertEquals(List.of(-1, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9), fn.seen(), "in arrival order");
        }

        @Test
        void preferredSizesCutWhatQueuedIntoBatchesOfThoseSizes() throws Exception {
            DynamicBatcher<Integer, Integer> b = batcher(c -> c.maxBatchSize(16).maxDelay(Duration.ZERO)
                    .policy(BatchPolicy.preferring(BatchPolicy.eager(), 2, 8)));
            CompletableFuture<Integer> running = occupyWorker(b);
            List<CompletableFuture<Integer>> waiting = new ArrayList<>();
            for (int i = 0; i < 13; i++) {
                waiting.add(b.submit(i));
            }
            fn.release();
            CompletableFuture.allOf(waiting.toArray(new CompletableFuture[0])).get(10, TimeUnit.SECONDS);
            running.get();
            // 13 queued behind the running one: 8, then 2 and 2 of the 5 left, then the last 1 (eager takes it).
            assertEquals(List.of(1, 8, 2, 2, 1), fn.sizes());
            Dispatch last = DynamicBatcher.dispatchOf(waiting.get(12));
            assertEquals(1, last.batchSize());
            assertEquals(2, last.chosenBatchSize(), "the policy chose 2; only 1 was left");
            assertEquals(0, last.budgetWaitNanos(), "a plain batcher has no budget to wait for");
            assertEquals(8, DynamicBatcher.dispatchOf(waiting.get(0)).chosenBatchSize());
        }

        @Test
        void aFullBatchOfThePolicysSizeGoesAtOnceWhileASmallerOneWaits() throws Exception {
            ManualTicker ticker = new ManualTicker();
            DynamicBatcher<Integer, Integer> b = batcher(c -> c.ticker(ticker).maxBatchSize(8)
                    .maxDelay(Duration.ofMillis(5)).policy(new Sized(3)));
            List<CompletableFuture<Integer>> fs = new ArrayList<>();
            fs.add(b.submit(0));
            fs.add(b.submit(1));
            assertTrue(fn.batches.isEmpty(), "two of three wait for company");
            fs.add(b.submit(2));
            fn.awaitStarted(1); // no time moved: three of three went at once
            assertEquals(List.of(0, 1, 2), fn.batches.get(0));

            fs.add(b.submit(3));
            fs.add(b.submit(4));
            fs.get(2).get(10, TimeUnit.SECONDS);
            assertEquals(1, fn.batches.size(), "two of three wait again");
            ticker.advance(Duration.ofMillis(5));
            fn.awaitStarted(1);
            CompletableFuture.allOf(fs.toArray(new CompletableFuture[0])).get(10, TimeUnit.SECONDS);
            assertEquals(List.of(3, 2), fn.sizes(), "the short batch went when maxDelay ran out");
        }

        @Test
        void requestsThatWaitedGoOutInBatchesOfThePolicysSizeWhenItShrinks() throws Exception {
            ManualTicker ticker = new ManualTicker();
            // 7, not 8: a wait for a batch of maxBatchSize is re-decided only once that many wait (see
            // BatchPolicy), and this test changes the size behind the batcher's back.
            Sized policy = new Sized(7);
            DynamicBatcher<Integer, Integer> b = batcher(c -> c.ticker(ticker).maxBatchSize(8)
                    .maxDelay(Duration.ofHours(1)).policy(policy));
            List<CompletableFuture<Integer>> fs = new ArrayList<>();
            for (int i = 0; i < 5; i++) {
                fs.add(b.submit(i));
            }
            assertTrue(fn.batches.isEmpty(), "five of seven wait");
            policy.size = 2;
            fs.add(b.submit(5)); // whichever thread forms the batches now, none holds more than two
            CompletableFuture.allOf(fs.toArray(new CompletableFuture[0])).get(10, TimeUnit.SECONDS);
            assertEquals(List.of(2, 2, 2), fn.sizes());
        }

        @Test
        void noBatchExceedsThePolicysSizeWithSeveralWorkersRacing() throws Exception {
            DynamicBatcher<Integer, Integer> b = batcher(c -> c.maxBatchSize(16).maxConcurrentBatches(3)
                    .maxDelay(Duration.ZERO).policy(new Sized(2)));
            List<CompletableFuture<Integer>> fs = new ArrayList<>();
            for (int i = 0; i < 200; i++) {
                fs.add(b.submit(i));
            }
            CompletableFuture.allOf(fs.toArray(new CompletableFuture[0])).get(10, TimeUnit.SECONDS);
            assertTrue(fn.sizes().stream().allMatch(n -> n <= 2), "sizes: " + fn.sizes());
            assertEquals(200, fn.seen().size());
        }

        @Test
        void theDefaultPolicyStartsWithBatchesOfOneAndGrowsWhileItPays() throws Exception {
            DynamicBatcher<Integer, Integer> b = batcher(c -> c.maxBatchSize(8));
            CompletableFuture<Integer> running = occupyWorker(b);
            List<CompletableFuture<Integer>> waiting = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                waiting.add(b.submit(i));
            }
            fn.release();
            CompletableFuture.allOf(waiting.toArray(new CompletableFuture[0])).get(10, TimeUnit.SECONDS);
            running.get();
            // Three calls of one make the first known bucket; it is the best and the largest, so the next
            // bucket up is tried, three times, whatever the calls cost.
            assertEquals(List.of(1, 1, 1, 2, 2, 2), fn.sizes());
            assertEquals("adaptive", b.toString().replaceAll(".*policy=(\\w+).*", "$1"));
        }
    }

    @Nested
    class Policies {
        private final ManualTicker ticker = new ManualTicker();

        @Test
        void fixedWaitsForAFullBatch() throws Exception {
            DynamicBatcher<Integer, Integer> b = batcher(c -> c.ticker(ticker).policy(BatchPolicy.fixed())
                    .maxBatchSize(4).maxDelay(Duration.ofSeconds(1)));
            List<CompletableFuture<Integer>> fs = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                fs.add(b.submit(i));
            }
            CompletableFuture.allOf(fs.toArray(new CompletableFuture[0])).get(10, TimeUnit.SECONDS);
            assertEquals(List.of(4), fn.sizes());
        }

        @Test
        void fixedDispatchesALoneRequestOnlyOnceMaxDelayHasPassed() throws Exception {
            DynamicBatcher<Integer, Integer> b = batcher(c -> c.ticker(ticker).policy(BatchPolicy.fixed())
                    .maxBatchSize(4).maxDelay(Duration.ofMillis(5)));
            CompletableFuture<Integer> f = b.submit(7);
            ticker.advance(Duration.ofMillis(4)); // wakes the former, which must decide to wait on
            awaitFormerParkedWithoutTimeout("test");
            assertFalse(f.isDone(), "waits while maxDelay has not passed on the batcher's clock");
            assertTrue(fn.batches.isEmpty());
            ticker.advance(Duration.ofMillis(1));
            assertEquals(14, f.get(10, TimeUnit.SECONDS));
            assertEquals(List.of(1), fn.sizes());
        }

        @Test
        void aWaitOnAManualTickerParksTheFormerWithoutATimeoutInsteadOfPolling() throws Exception {
            batcher(c -> c.name("still").ticker(ticker).policy(BatchPolicy.fixed())
                    .maxBatchSize(4).maxDelay(Duration.ofHours(1))).submit(1);
            awaitFormerParkedWithoutTimeout("still");
        }

        @Test
        void eagerDispatchesALoneRequestWithoutWaiting() throws Exception {
            DynamicBatcher<Integer, Integer> b = batcher(c -> c.ticker(ticker).policy(BatchPolicy.eager())
                    .maxDelay(Duration.ofHours(1)));
            assertEquals(14, b.submit(7).get(10, TimeUnit.SECONDS), "dispatched with the clock standing still");
        }

        @Test
        void aPolicyAnsweringForeverIsCappedAtMaxDelay() throws Exception {
            BatchPolicy greedy = state -> Long.MAX_VALUE;
            DynamicBatcher<Integer, Integer> b = batcher(c -> c.ticker(ticker).policy(greedy)
                    .maxBatchSize(64).maxDelay(Duration.ofMillis(3)));
            CompletableFuture<Integer> f = b.submit(1);
            ticker.advance(Duration.ofMillis(3));
            assertEquals(2, f.get(10, TimeUnit.SECONDS));
        }

        @Test
        void aThrowingPolicyDispatchesAtOnce() throws Exception {
            BatchPolicy broken = state -> {
                throw new IllegalStateException("policy bug");
            };
            DynamicBatcher<Integer, Integer> b = batcher(c -> c.ticker(ticker).policy(broken));
            assertEquals(2, b.submit(1).get(10, TimeUnit.SECONDS));
        }

        @Test
        void theCostCurveRecordsEveryBatchTheFunctionRan() throws Exception {
            DynamicBatcher<Integer, Integer> b = batcher(c -> c.maxBatchSize(8));
            for (int i = 0; i < AdaptiveBatchPolicy.MIN_SAMPLES; i++) {
                b.submit(i).get(10, TimeUnit.SECONDS);
            }
            CostCurve curve = b.costCurve();
            assertEquals(1, curve.points().size(), curve.toString());
            assertEquals(AdaptiveBatchPolicy.MIN_SAMPLES, curve.points().get(0).samples());
            assertEquals(1, curve.points().get(0).minSize());
            assertEquals(1, curve.targetBatchSize(), "the default (adaptive) policy's target: one known bucket of one");
        }
    }

    @Nested
    class Concurrency {
        @Test
        void atMostMaxConcurrentBatchesRunAtOnce() throws Exception {
            DynamicBatcher<Integer, Integer> b = batcher(c -> c.maxConcurrentBatches(3).maxBatchSize(1));
            fn.hold();
            List<CompletableFuture<Integer>> fs = new ArrayList<>();
            for (int i = 0; i < 20; i++) {
                fs.add(b.submit(i));
            }
            fn.awaitStarted(3);
            assertEquals(3, b.runningBatches());
            assertEquals(17, b.queueDepth());
            fn.release();
            CompletableFuture.allOf(fs.toArray(new CompletableFuture[0])).get(10, TimeUnit.SECONDS);
            assertEquals(3, fn.maxRunning.get());
        }

        @Test
        void batchesRunOnTheCallersExecutorWhenGiven() throws Exception {
            Set<String> threads = ConcurrentHashMap.newKeySet();
            ExecutorService pool = Executors.newFixedThreadPool(4, r -> new Thread(r, "callers-pool"));
            try {
                DynamicBatcher<Integer, String> b = batcher((List<Integer> in) -> {
                    threads.add(Thread.currentThread().getName());
                    return in.stream().map(String::valueOf).collect(Collectors.toList());
                }, c -> c.executor(pool).maxConcurrentBatches(2));
                List<CompletableFuture<String>> fs = new ArrayList<>();
                for (int i = 0; i < 1000; i++) {
                    fs.add(b.submit(i));
                }
                for (int i = 0; i < 1000; i++) {
                    assertEquals(String.valueOf(i), fs.get(i).get(10, TimeUnit.SECONDS));
                }
                assertEquals(Set.of("callers-pool"), threads);
                b.close();
                assertFalse(pool.isShutdown(), "the caller's executor is not shut down by the batcher");
            } finally {
                pool.shutdownNow();
            }
        }

        @Test
        void anExecutorThatRejectsFailsThatBatchWithModelException() throws Exception {
            DynamicBatcher<Integer, Integer> b = batcher(c -> c.executor(task -> {
                throw new java.util.concurrent.RejectedExecutionException("pool full");
            }));
            ModelException e = assertInstanceOf(ModelException.class, failureOf(b.submit(1)));
            assertTrue(e.getMessage().contains("rejected"), e.getMessage());
            assertEquals(0, b.runningBatches(), "the worker permit is returned");
        }
    }

    @Nested
    class Deadlines {
        private final ManualTicker ticker = new ManualTicker();

        @Test
        void expiresOnTimeWhileEveryWorkerIsBusy() throws Exception {
            DynamicBatcher<Integer, Integer> b = batcher(c -> c.ticker(ticker).maxBatchSize(8));
            occupyWorker(b);
            CompletableFuture<Integer> f = b.submit(5, Duration.ofMillis(50));
            ticker.advance(Duration.ofMillis(50));

            DeadlineExceededException e = assertInstanceOf(DeadlineExceededException.class, failureOf(f));
            assertTrue(fn.running.get() == 1, "the worker is still busy: the timer, not a free worker, expired it");
            assertEquals(Duration.ofMillis(50), e.timeout());
            assertTrue(e.getMessage().contains("'test'"), e.getMessage());
            fn.release();
            assertEquals(12, b.submit(6).get(10, TimeUnit.SECONDS));
            assertFalse(fn.seen().contains(5), "an expired request never reaches the function");
        }

        @Test
        void aRequestWaitingForCompanyExpiresAtItsDeadlineNotAtMaxDelay() throws Exception {
            DynamicBatcher<Integer, Integer> b = batcher(c -> c.ticker(ticker).policy(BatchPolicy.fixed())
                    .maxBatchSize(8).maxDelay(Duration.ofHours(1)));
            CompletableFuture<Integer> f = b.submit(5, Duration.ofMillis(5)); // submitted to an idle batcher
            ticker.advance(Duration.ofMillis(5));
            assertInstanceOf(DeadlineExceededException.class, failureOf(f));
            assertTrue(fn.batches.isEmpty(), "it never reached the function");
        }

        @Test
        void aRequestWithinItsDeadlineIsServed() throws Exception {
            DynamicBatcher<Integer, Integer> b = batcher(c -> c.ticker(ticker));
            assertEquals(10, b.submit(5, Duration.ofMillis(50)).get(10, TimeUnit.SECONDS));
        }

        @Test
        void aNonPositiveTimeoutFailsAtOnce() {
            DynamicBatcher<Integer, Integer> b = batcher(c -> {});
            CompletableFuture<Integer> zero = b.submit(1, Duration.ZERO);
            CompletableFuture<Integer> negative = b.submit(2, Duration.ofMillis(-1));
            assertTrue(zero.isDone() && negative.isDone());
            assertInstanceOf(DeadlineExceededException.class, failureOf(zero));
            assertInstanceOf(DeadlineExceededException.class, failureOf(negative));
        }

        @Test
        void aHugeTimeoutMeansNoDeadline() throws Exception {
            DynamicBatcher<Integer, Integer> b = batcher(c -> c.ticker(ticker));
            assertEquals(2, b.submit(1, Duration.ofSeconds(Long.MAX_VALUE)).get(10, TimeUnit.SECONDS));
        }

        @Test
        void onlyTheExpiredRequestsOfAQueueFail() throws Exception {
            DynamicBatcher<Integer, Integer> b = batcher(c -> c.ticker(ticker));
            CompletableFuture<Integer> running = occupyWorker(b);
            CompletableFuture<Integer> shortOne = b.submit(1, Duration.ofMillis(10));
            CompletableFuture<Integer> longOne = b.submit(2, Duration.ofSeconds(10));
            CompletableFuture<Integer> noDeadline = b.submit(3);
            ticker.advance(Duration.ofMillis(10));
            assertInstanceOf(DeadlineExceededException.class, failureOf(shortOne));
            fn.release();
            assertEquals(4, longOne.get(10, TimeUnit.SECONDS));
            assertEquals(6, noDeadline.get(10, TimeUnit.SECONDS));
            running.get();
            assertEquals(List.of(-1, 2, 3), fn.seen());
        }
    }

    @Nested
    class Cancellation {
        @Test
        void aRequestCancelledBeforeDispatchNeverReachesTheFunction() throws Exception {
            AtomicInteger cancelled = new AtomicInteger();
            DynamicBatcher<Integer, Integer> b = batcher(c -> c.observer(new BatchObserver() {
                @Override
                public void onCancelled(String batcher, long queuedNanos) {
                    cancelled.incrementAndGet();
                }
            }));
            CompletableFuture<Integer> running = occupyWorker(b);
            CompletableFuture<Integer> doomed = b.submit(5);
            CompletableFuture<Integer> kept = b.submit(6);
            assertTrue(doomed.cancel(false));
            assertEquals(0 + 1, b.queueDepth(), "cancelling frees its queue slot at once");
            fn.release();
            assertEquals(12, kept.get(10, TimeUnit.SECONDS));
            running.get();
            assertTrue(doomed.isCancelled());
            assertFalse(fn.seen().contains(5));
            assertEquals(1, cancelled.get());
        }

        @Test
        void aRequestCompletedByItsCallerWhileQueuedIsNotDispatched() throws Exception {
            DynamicBatcher<Integer, Integer> b = batcher(c -> {});
            CompletableFuture<Integer> running = occupyWorker(b);
            CompletableFuture<Integer> answered = b.submit(5);
            answered.complete(99);
            fn.release();
            assertEquals(14, b.submit(7).get(10, TimeUnit.SECONDS));
            running.get();
            assertEquals(99, answered.get());
            assertFalse(fn.seen().contains(5));
            assertEquals(0, b.queueDepth());
        }

        @Test
        void cancellingAfterDispatchCompletesTheFutureAsCancelledAndDoesNotDisturbTheBatch() throws Exception {
            DynamicBatcher<Integer, Integer> b = batcher(c -> c.maxBatchSize(8));
            CompletableFuture<Integer> running = occupyWorker(b);
            assertTrue(running.cancel(false));
            CompletableFuture<Integer> next = b.submit(3);
            fn.release();
            assertEquals(6, next.get(10, TimeUnit.SECONDS));
            assertTrue(running.isCancelled());
        }
    }

    @Nested
    class Failures {
        private final BatchFunction<Integer, Integer> failsOnPoison = in -> {
            if (in.contains(13)) {
                throw new IllegalStateException("cannot handle 13");
            }
            return in.stream().map(x -> x * 2).collect(Collectors.toList());
        };

        private List<CompletableFuture<Integer>> submitBlocked(DynamicBatcher<Integer, Integer> b, RecordingFunction gate,
                int... inputs) throws InterruptedException {
            gate.hold();
            CompletableFuture<Integer> first = b.submit(-1);
            gate.awaitStarted(1);
            List<CompletableFuture<Integer>> fs = new ArrayList<>();
            for (int x : inputs) {
                fs.add(b.submit(x));
            }
            gate.release();
            fs.add(first);
            return fs;
        }

        /** Holds on its first call only, then behaves as {@link #failsOnPoison}. */
        private BatchFunction<Integer, Integer> heldThenPoisonable(RecordingFunction gate, List<Integer> sizes) {
            return in -> {
                sizes.add(in.size());
                if (in.contains(-1)) {
                    return gate.apply(in);
                }
                return failsOnPoison.apply(in);
            };
        }

        @Test
        void withIsolationOnlyTheFailingInputFails() throws Exception {
            RecordingFunction gate = new RecordingFunction();
            List<Integer> sizes = new CopyOnWriteArrayList<>();
            DynamicBatcher<Integer, Integer> b = batcher(heldThenPoisonable(gate, sizes),
                    c -> c.maxBatchSize(8).policy(BatchPolicy.eager())); // all eight in one batch
            List<CompletableFuture<Integer>> fs = submitBlocked(b, gate, 1, 2, 3, 13, 5, 6, 7, 8);
            for (int i = 0; i < 8; i++) {
                int x = List.of(1, 2, 3, 13, 5, 6, 7, 8).get(i);
                if (x == 13) {
                    ModelException e = assertInstanceOf(ModelException.class, failureOf(fs.get(i)));
                    assertInstanceOf(IllegalStateException.class, e.getCause());
                    assertEquals("test", e.source());
                } else {
                    assertEquals(2 * x, fs.get(i).get(10, TimeUnit.SECONDS));
                }
            }
            // 1 held call, then 8 fails -> its half holding 13 (4) fails -> 2 ok, 2 fails -> 1 ok, 1 fails; then the clean half (4)
            assertEquals(List.of(1, 8, 4, 2, 2, 1, 1, 4), sizes);
        }

        @Test
        void withoutIsolationTheWholeBatchFailsWithTheCause() throws Exception {
            RecordingFunction gate = new RecordingFunction();
            DynamicBatcher<Integer, Integer> b = batcher(heldThenPoisonable(gate, new CopyOnWriteArrayList<>()),
                    c -> c.maxBatchSize(8).isolateFailures(false).policy(BatchPolicy.eager())); // one batch
            List<CompletableFuture<Integer>> fs = submitBlocked(b, gate, 1, 13, 3);
            for (int i = 0; i < 3; i++) {
                ModelException e = assertInstanceOf(ModelException.class, failureOf(fs.get(i)));
                assertInstanceOf(IllegalStateException.class, e.getCause());
                assertTrue(e.getMessage().contains("batch of 3"), e.getMessage());
            }
        }

        @Test
        void aWrongNumberOfOutputsFailsEveryInputSayingSo() throws Exception {
            DynamicBatcher<Integer, Integer> b = batcher((List<Integer> in) -> List.of(1), c -> c.maxBatchSize(4));
            List<CompletableFuture<Integer>> fs = new ArrayList<>();
            // all four must be queued before the worker forms the batch: a fixed policy with a full batch
            DynamicBatcher<Integer, Integer> full = batcher((List<Integer> in) -> List.of(1),
                    c -> c.maxBatchSize(4).policy(BatchPolicy.fixed()).maxDelay(Duration.ofHours(1)));
            for (int i = 0; i < 4; i++) {
                fs.add(full.submit(i));
            }
            for (CompletableFuture<Integer> f : fs) {
                ModelException e = assertInstanceOf(ModelException.class, failureOf(f));
                assertTrue(e.getMessage().contains("returned 1 outputs for 4 inputs"), e.getMessage());
            }
            assertEquals(1, b.submit(1).get(10, TimeUnit.SECONDS), "one output for one input is fine");
        }

        @Test
        void aNullResultFailsEveryInputSayingSo() throws Exception {
            DynamicBatcher<Integer, Integer> b = batcher((List<Integer> in) -> null, c -> {});
            ModelException e = assertInstanceOf(ModelException.class, failureOf(b.submit(1)));
            assertTrue(e.getMessage().contains("returned null for 1 inputs"), e.getMessage());
        }

        @Test
        void anInvalidInputRejectedByTheFunctionReachesItsCallerUnwrapped() throws Exception {
            RecordingFunction gate = new RecordingFunction();
            DynamicBatcher<Integer, Integer> b = batcher((List<Integer> in) -> {
                if (in.contains(-1)) {
                    return gate.apply(in);
                }
                if (in.contains(13)) {
                    throw new InvalidInputException("13 is not a valid input");
                }
                return in;
            }, c -> c.maxBatchSize(8));
            List<CompletableFuture<Integer>> fs = submitBlocked(b, gate, 4, 13);
            assertEquals(4, fs.get(0).get(10, TimeUnit.SECONDS));
            InvalidInputException e = assertInstanceOf(InvalidInputException.class, failureOf(fs.get(1)));
            assertEquals("13 is not a valid input", e.getMessage());
        }

        @Test
        void anErrorThrownByTheFunctionFailsTheBatchAndTheWorkerLivesOn() throws Exception {
            AtomicInteger calls = new AtomicInteger();
            DynamicBatcher<Integer, Integer> b = batcher((List<Integer> in) -> {
                if (calls.getAndIncrement() == 0) {
                    throw new StackOverflowError("deep");
                }
                return in;
            }, c -> {});
            ModelException e = assertInstanceOf(ModelException.class, failureOf(b.submit(1)));
            assertInstanceOf(StackOverflowError.class, e.getCause());
            assertEquals(2, b.submit(2).get(10, TimeUnit.SECONDS));
        }
    }

    @Nested
    class Shutdown {
        @Test
        void submissionsAfterCloseFailWithShutdownException() {
            DynamicBatcher<Integer, Integer> b = batcher(c -> c.name("closing"));
            b.close();
            assertTrue(b.isClosed());
            CompletableFuture<Integer> f = b.submit(1);
            assertTrue(f.isDone());
            ShutdownException e = assertInstanceOf(ShutdownException.class, failureOf(f));
            assertTrue(e.getMessage().contains("'closing'"), e.getMessage());
        }

        @Test
        void closeLetsAdmittedRequestsFinish() throws Exception {
            DynamicBatcher<Integer, Integer> b = batcher(c -> c.maxBatchSize(2));
            CompletableFuture<Integer> running = occupyWorker(b);
            List<CompletableFuture<Integer>> queued = new ArrayList<>();
            for (int i = 0; i < 5; i++) {
                queued.add(b.submit(i));
            }
            CountDownLatch closed = new CountDownLatch(1);
            Thread closer = new Thread(() -> {
                b.close();
                closed.countDown();
            });
            closer.start();
            awaitClosed(b);
            assertInstanceOf(ShutdownException.class, failureOf(b.submit(100)));
            assertFalse(closed.await(50, TimeUnit.MILLISECONDS), "close waits for admitted work");
            fn.release();
            assertTrue(closed.await(10, TimeUnit.SECONDS));
            assertEquals(-2, running.get());
            for (int i = 0; i < 5; i++) {
                assertEquals(2 * i, queued.get(i).getNow(null), "finished before close returned");
            }
        }

        @Test
        void closeWithGraceFailsWhatIsLeftAndEndsThreads() throws Exception {
            DynamicBatcher<Integer, Integer> b = batcher(c -> c.name("graceful"));
            CompletableFuture<Integer> running = occupyWorker(b);
            CompletableFuture<Integer> queued = b.submit(1);

            b.close(Duration.ofMillis(20));

            ShutdownException runningError = assertInstanceOf(ShutdownException.class, failureOf(running));
            assertTrue(runningError.getMessage().contains("grace period"), runningError.getMessage());
            assertInstanceOf(ShutdownException.class, failureOf(queued));
            assertFalse(fn.seen().contains(1));
            assertNoThreadsNamed("sluice-graceful-");
        }

        @Test
        void closeEndsEveryThreadOfTheBatcher() throws Exception {
            DynamicBatcher<Integer, Integer> b = batcher(c -> c.name("leakcheck").maxConcurrentBatches(4));
            List<CompletableFuture<Integer>> fs = new ArrayList<>();
            for (int i = 0; i < 1000; i++) {
                fs.add(b.submit(i));
            }
            CompletableFuture.allOf(fs.toArray(new CompletableFuture[0])).get(10, TimeUnit.SECONDS);
            assertTrue(threadsNamed("sluice-leakcheck-").size() >= 2, "former and at least one worker ran");
            b.close();
            assertNoThreadsNamed("sluice-leakcheck-");
        }

        @Test
        void closeCalledFromADependentStageDoesNotWaitForItsOwnThread() throws Exception {
            DynamicBatcher<Integer, Integer> b = batcher(c -> c.name("selfclose").policy(BatchPolicy.fixed())
                    .maxBatchSize(8).maxDelay(Duration.ofHours(1)).closeGracePeriod(Duration.ofHours(1)));
            List<CompletableFuture<Integer>> fs = new ArrayList<>();
            CompletableFuture<Boolean> interruptedAfterClose = new CompletableFuture<>();
            for (int i = 0; i < 8; i++) {
                fs.add(b.submit(i));
            }
            fs.get(0).thenRun(() -> {
                b.close(); // runs on the batcher's worker, inside the batch's completion loop
                interruptedAfterClose.complete(Thread.currentThread().isInterrupted());
            });
            assertFalse(interruptedAfterClose.get(10, TimeUnit.SECONDS));
            for (int i = 0; i < 8; i++) {
                assertEquals(2 * i, fs.get(i).get(10, TimeUnit.SECONDS), "outputs of the batch are delivered");
            }
            assertTrue(b.isClosed());
            assertInstanceOf(ShutdownException.class, failureOf(b.submit(9)));
            assertNoThreadsNamed("sluice-selfclose-");
        }

        @Test
        void aNegativeGraceIsRefusedBeforeAnythingChangesAndALaterCloseStillEndsEveryFuture() throws Exception {
            DynamicBatcher<Integer, Integer> b = batcher(c -> c.name("negative"));
            CompletableFuture<Integer> running = occupyWorker(b);
            CompletableFuture<Integer> queued = b.submit(1);

            assertThrows(IllegalArgumentException.class, () -> b.close(Duration.ofSeconds(-1)));
            assertThrows(NullPointerException.class, () -> b.close(null));

            assertFalse(b.isClosed(), "a refused close leaves the batcher open");
            CompletableFuture<Integer> later = b.submit(2);
            fn.release();
            b.close();
            assertEquals(-2, running.get(10, TimeUnit.SECONDS));
            assertEquals(2, queued.get(10, TimeUnit.SECONDS));
            assertEquals(4, later.get(10, TimeUnit.SECONDS));
            assertNoThreadsNamed("sluice-negative-");
        }

        @Test
        void aGraceTooLongToCountInNanosecondsWaitsForTheDrainAndReturns() throws Exception {
            DynamicBatcher<Integer, Integer> b = batcher(c -> c.name("forever"));
            CompletableFuture<Integer> running = occupyWorker(b);
            CompletableFuture<Integer> queued = b.submit(1);
            fn.release();

            b.close(Duration.ofSeconds(Long.MAX_VALUE));

            assertEquals(-2, running.getNow(null), "finished before close returned");
            assertEquals(2, queued.getNow(null), "finished before close returned");
            assertNoThreadsNamed("sluice-forever-");
        }

        @Test
        void closeIsIdempotent() {
            DynamicBatcher<Integer, Integer> b = batcher(c -> {});
            b.close();
            b.close();
            b.close(Duration.ZERO);
            assertTrue(b.isClosed());
        }

        private void awaitClosed(DynamicBatcher<?, ?> b) throws InterruptedException {
            eventually("the batcher reports itself closed", b::isClosed);
        }
    }

    @Nested
    class Observation {
        @Test
        void anAddedObserverIsToldBesideTheFirstEvenWhenTheFirstThrowsAndOwnsItsOwnWaits() throws Exception {
            List<String> told = new CopyOnWriteArrayList<>();
            List<long[]> arrays = new CopyOnWriteArrayList<>();
            BatchObserver throwing = new BatchObserver() {
                @Override
                public void onBatch(String batcher, int size, long[] waits, long nanos, Throwable failure) {
                    arrays.add(waits);
                    told.add("first " + size);
                    throw new IllegalStateException("observer bug");
                }

                @Override
                public void onRejected(String batcher, Rejection reason) {
                    told.add("first " + reason);
                    throw new IllegalStateException("observer bug");
                }
            };
            BatchObserver metrics = new BatchObserver() {
                @Override
                public void onBatch(String batcher, int size, long[] waits, long nanos, Throwable failure) {
                    arrays.add(waits);
                    told.add("second " + size);
                }

                @Override
                public void onRejected(String batcher, Rejection reason) {
                    told.add("second " + reason);
                }
            };
            DynamicBatcher<Integer, Integer> b = batcher(c -> c.maxBatchSize(1).queueCapacity(1).observer(throwing)
                    .addObserver(metrics));
            CompletableFuture<Integer> running = occupyWorker(b);
            CompletableFuture<Integer> queued = b.submit(1);
            assertInstanceOf(OverloadedException.class, failureOf(b.submit(2)));
            fn.release();
            assertEquals(2, queued.get(10, TimeUnit.SECONDS), "doubled");
            running.get(10, TimeUnit.SECONDS);
            assertEquals(List.of("first OVERLOADED", "second OVERLOADED", "first 1", "second 1", "first 1", "second 1"),
                    told);
            assertNotSame(arrays.get(0), arrays.get(1), "each observer owns the waits it is given");
            assertArrayEquals(arrays.get(0), arrays.get(1));
        }

        @Test
        void theObserverIsToldOfEveryBatchWithSizesWaitsAndTime() throws Exception {
            List<long[]> waits = new CopyOnWriteArrayList<>();
            List<Integer> sizes = new CopyOnWriteArrayList<>();
            List<Long> times = new CopyOnWriteArrayList<>();
            ManualTicker time = new ManualTicker();
            // eager: the five waiting go in one batch, whatever a curve with no time in it says
            DynamicBatcher<Integer, Integer> b = batcher(c -> c.ticker(time).maxBatchSize(8).policy(BatchPolicy.eager())
                    .observer(new BatchObserver() {
                        @Override
                        public void onBatch(String batcher, int size, long[] queueWaitNanos, long executionNanos, Throwable failure) {
                            assertEquals("test", batcher);
                            sizes.add(size);
                            waits.add(queueWaitNanos);
                            times.add(executionNanos);
                        }
                    }));
            CompletableFuture<Integer> running = occupyWorker(b);
            List<CompletableFuture<Integer>> fs = new ArrayList<>();
            for (int i = 0; i < 5; i++) {
                fs.add(b.submit(i));
            }
            time.advance(Duration.ofMillis(5)); // while the first batch runs and five wait
            fn.release();
            CompletableFuture.allOf(fs.toArray(new CompletableFuture[0])).get(10, TimeUnit.SECONDS);
            running.get();
            assertEquals(List.of(1, 5), sizes);
            assertEquals(5, waits.get(1).length);
            for (long w : waits.get(1)) {
                assertTrue(w >= TimeUnit.MILLISECONDS.toNanos(5), "they waited while the held batch ran: " + w);
            }
            assertTrue(times.get(0) >= TimeUnit.MILLISECONDS.toNanos(5), "the held batch took at least 5 ms");
        }

        @Test
        void theObserverIsToldOfRejectionsAndExpiries() throws Exception {
            List<BatchObserver.Rejection> rejections = new CopyOnWriteArrayList<>();
            AtomicInteger expired = new AtomicInteger();
            ManualTicker ticker = new ManualTicker();
            DynamicBatcher<Integer, Integer> b = batcher(c -> c.ticker(ticker).queueCapacity(1).observer(new BatchObserver() {
                @Override
                public void onRejected(String batcher, Rejection reason) {
                    rejections.add(reason);
                }

                @Override
                public void onExpired(String batcher, long queuedNanos) {
                    expired.incrementAndGet();
                }
            }));
            occupyWorker(b);
            CompletableFuture<Integer> expiring = b.submit(1, Duration.ofMillis(1));
            b.submit(2);
            b.submit(3, Duration.ZERO);
            ticker.advance(Duration.ofMillis(1));
            failureOf(expiring);
            fn.release();
            b.close();
            b.submit(4);
            assertEquals(List.of(BatchObserver.Rejection.OVERLOADED, BatchObserver.Rejection.ALREADY_EXPIRED,
                    BatchObserver.Rejection.SHUTDOWN), rejections);
            assertEquals(1, expired.get());
        }

        @Test
        void aThrowingObserverNeverAffectsRequests() throws Exception {
            DynamicBatcher<Integer, Integer> b = batcher(c -> c.queueCapacity(1).observer(new BatchObserver() {
                @Override
                public void onBatch(String batcher, int size, long[] w, long t, Throwable failure) {
                    throw new IllegalStateException("observer bug");
                }

                @Override
                public void onRejected(String batcher, Rejection reason) {
                    throw new IllegalStateException("observer bug");
                }
            }));
            assertEquals(4, b.submit(2).get(10, TimeUnit.SECONDS));
            CompletableFuture<Integer> running = occupyWorker(b);
            b.submit(1);
            assertInstanceOf(OverloadedException.class, failureOf(b.submit(3)));
            fn.release();
            assertEquals(-2, running.get(10, TimeUnit.SECONDS));
        }
    }

    @Nested
    class Idle {
        @Test
        void anIdleBatcherParksItsFormerWithoutATimeout() throws Exception {
            DynamicBatcher<Integer, Integer> b = batcher(c -> c.name("idle"));
            assertEquals(2, b.submit(1).get(10, TimeUnit.SECONDS));
            awaitFormerParkedWithoutTimeout("idle");
        }
    }

    /** Waits (up to a second) for the batcher's former to park with no timeout; fails if it never does. */
    static void awaitFormerParkedWithoutTimeout(String batcher) throws InterruptedException {
        Thread former = threadsNamed("sluice-" + batcher + "-former").get(0);
        Thread.State state = null;
        for (int i = 0; i < 200 && state != Thread.State.WAITING; i++) {
            Thread.sleep(5); // polls a thread's state: there is nothing to wait on
            state = former.getState();
        }
        assertEquals(Thread.State.WAITING, state, "parked until something happens, not polling");
    }

    static List<Thread> threadsNamed(String prefix) {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.getName().startsWith(prefix) && t.isAlive())
                .collect(Collectors.toList());
    }

    static void assertNoThreadsNamed(String prefix) throws InterruptedException {
        for (Thread t : threadsNamed(prefix)) {
            t.join(5000);
        }
        assertEquals(List.of(), threadsNamed(prefix).stream().map(Thread::getName).collect(Collectors.toList()));
    }
}
