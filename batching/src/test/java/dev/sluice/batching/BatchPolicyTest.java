package dev.sluice.batching;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Pure unit tests of the three {@link BatchPolicy} implementations against a hand-made
 * {@link BatchPolicy.State}: no batcher, no threads, no clock. One behaviour per method.
 *
 * <p>The methods are flat (prefixed fixed/eager/adaptive) rather than in {@code @Nested} classes because
 * surefire's {@code -Dtest=BatchPolicyTest} does not select nested classes.
 */
class BatchPolicyTest {

    private static final long US = TimeUnit.MICROSECONDS.toNanos(1);
    private static final long MS = TimeUnit.MILLISECONDS.toNanos(1);

    /** A fixed snapshot of what the batcher sees. */
    record TestState(int queued, int maxBatchSize, long oldestWaitNanos, long maxDelayNanos,
            int runningBatches, int maxConcurrentBatches, long meanInterArrivalNanos) implements BatchPolicy.State {

        /** One request waiting, max batch 32, maxDelay 2 ms, one idle worker, arrival rate unknown. */
        static TestState of() {
            return new TestState(1, 32, 0, 2 * MS, 0, 1, -1);
        }

        TestState queued(int q) {
            return new TestState(q, maxBatchSize, oldestWaitNanos, maxDelayNanos, runningBatches,
                    maxConcurrentBatches, meanInterArrivalNanos);
        }

        TestState oldestWait(long w) {
            return new TestState(queued, maxBatchSize, w, maxDelayNanos, runningBatches,
                    maxConcurrentBatches, meanInterArrivalNanos);
        }

        TestState maxDelay(long d) {
            return new TestState(queued, maxBatchSize, oldestWaitNanos, d, runningBatches,
                    maxConcurrentBatches, meanInterArrivalNanos);
        }

        TestState interArrival(long d) {
            return new TestState(queued, maxBatchSize, oldestWaitNanos, maxDelayNanos, runningBatches,
                    maxConcurrentBatches, d);
        }

        TestState workers(int running, int max) {
            return new TestState(queued, maxBatchSize, oldestWaitNanos, maxDelayNanos, running, max,
                    meanInterArrivalNanos);
        }
    }

    // ------------------------------------------------------------------ fixed

    private final BatchPolicy fixed = BatchPolicy.fixed();

    @Test
    void fixedWaitsTheRestOfMaxDelayMeasuredFromTheOldestRequest() {
        TestState s = TestState.of().queued(3).maxDelay(2 * MS).oldestWait(500 * US);
        assertEquals(1_500 * US, fixed.nanosToWait(s));
    }

    @Test
    void fixedWaitsTheWholeMaxDelayForARequestThatJustArrived() {
        assertEquals(2 * MS, fixed.nanosToWait(TestState.of().maxDelay(2 * MS).oldestWait(0)));
    }

    @Test
    void fixedDispatchesAtOnceWhenTheBatchIsFull() {
        assertTrue(fixed.nanosToWait(TestState.of().queued(32).oldestWait(0)) <= 0);
    }

    @Test
    void fixedDispatchesAtOnceWhenMoreThanAFullBatchWaits() {
        assertTrue(fixed.nanosToWait(TestState.of().queued(33).oldestWait(0)) <= 0);
    }

    @Test
    void fixedDispatchesOnceTheOldestRequestHasWaitedMaxDelay() {
        assertTrue(fixed.nanosToWait(TestState.of().maxDelay(2 * MS).oldestWait(2 * MS)) <= 0);
        assertTrue(fixed.nanosToWait(TestState.of().maxDelay(2 * MS).oldestWait(3 * MS)) <= 0);
    }

    @Test
    void fixedNeverWaitsWithZeroMaxDelay() {
        assertTrue(fixed.nanosToWait(TestState.of().maxDelay(0).oldestWait(0)) <= 0);
    }

    // ------------------------------------------------------------------ eager

    private final BatchPolicy eager = BatchPolicy.eager();

    @Test
    void eagerAlwaysDispatchesAtOnce() {
        TestState[] states = {
            TestState.of(),
            TestState.of().queued(31).oldestWait(0),
            TestState.of().queued(32),
            TestState.of().interArrival(1 * US),
            TestState.of().maxDelay(1_000 * MS),
            TestState.of().workers(3, 4),
        };
        for (TestState s : states) {
            assertEquals(0, eager.nanosToWait(s), s::toString);
        }
    }

    @Test
    void eagerStillDispatchesAtOnceAfterBatchesWithALargeFixedCost() {
        for (int i = 0; i < 100; i++) {
            eager.onBatchExecuted(1 + i % 32, 1 * MS);
        }
        assertEquals(0, eager.nanosToWait(TestState.of().interArrival(1 * US)));
    }

    // ------------------------------------------------------------------ adaptive

    /** A batch costs this much whatever its size: large compared with {@link #FREQUENT}. */
    private static final long A = 1 * MS;
    /** And this much per item. */
    private static final long B = 1 * US;
    /** Frequent arrivals: one every 10 us. */
    private static final long FREQUENT = 10 * US;

    private final AdaptiveBatchPolicy adaptive = new AdaptiveBatchPolicy();

    /** Feeds {@code count} exact observations {@code a + b*n}, n cycling through 1..32. */
    private void learn(int count, long a, long b) {
        for (int i = 0; i < count; i++) {
            int n = 1 + (i * 7) % 32;
            adaptive.onBatchExecuted(n, a + b * n);
        }
    }

    private static TestState oneWaitingFrequentArrivals() {
        return TestState.of().queued(1).interArrival(FREQUENT);
    }

    @Test
    void adaptiveFactoryReturnsAFreshAdaptivePolicy() {
        BatchPolicy p = BatchPolicy.adaptive();
        assertTrue(p instanceof AdaptiveBatchPolicy);
        assertTrue(p != BatchPolicy.adaptive());
    }

    @Test
    void adaptiveDispatchesAtOnceBeforeItHasSeenAnyBatch() {
        assertEquals(-1, adaptive.fixedCostNanos());
        assertEquals(-1, adaptive.perItemCostNanos());
        assertEquals(0, adaptive.nanosToWait(oneWaitingFrequentArrivals()));
    }

    @Test
    void adaptiveDispatchesAtOnceWithFewerThanMinSamplesBatches() {
        learn(AdaptiveBatchPolicy.MIN_SAMPLES - 1, A, B);
        assertEquals(-1, adaptive.fixedCostNanos(), "the fit must not be trusted yet");
        assertEquals(0, adaptive.nanosToWait(oneWaitingFrequentArrivals()));
    }

    @Test
    void adaptiveStartsWaitingAtMinSamplesBatches() {
        // The same data as the test above plus one batch: now the fit is trusted, and this state pays to wait.
        learn(AdaptiveBatchPolicy.MIN_SAMPLES, A, B);
        assertEquals(FREQUENT, adaptive.nanosToWait(oneWaitingFrequentArrivals()));
    }

    @Test
    void adaptiveLearnsFixedAndPerItemCostFromExactObservations() {
        long a = 300_000;
        long b = 2_500;
        learn(64, a, b);
        assertEquals(a, adaptive.fixedCostNanos(), a * 0.01);
        assertEquals(b, adaptive.perItemCostNanos(), b * 0.01);
    }

    @Test
    void adaptiveForgetsOldObservations() {
        learn(64, 300_000, 2_500);
        learn(400, 50_000, 10_000);
        assertEquals(50_000, adaptive.fixedCostNanos(), 50_000 * 0.01);
        assertEquals(10_000, adaptive.perItemCostNanos(), 10_000 * 0.01);
    }

    @Test
    void adaptiveAttributesAllCostToPerItemWhenSizesNeverVary() {
        for (int i = 0; i < 50; i++) {
            adaptive.onBatchExecuted(16, A + B * 16);
        }
        double perItem = (A + B * 16) / 16.0;
        assertEquals(0, adaptive.fixedCostNanos());
        assertEquals(perItem, adaptive.perItemCostNanos(), perItem * 0.01);
    }

    @Test
    void adaptiveDispatchesAtOnceWhenSizesNeverVary() {
        for (int i = 0; i < 50; i++) {
            adaptive.onBatchExecuted(16, A + B * 16);
        }
        assertEquals(0, adaptive.nanosToWait(oneWaitingFrequentArrivals()));
    }

    @Test
    void adaptiveWaitsExactlyOneMeanInterArrivalWithALargeFixedCostAndFrequentArrivals() {
        learn(64, A, B);
        // gain a - d = 990 us; cost with k = 1 and m = min(32, c(1) / d) = 32: 34 d + 33 b = 373 us.
        assertEquals(FREQUENT, adaptive.nanosToWait(oneWaitingFrequentArrivals()));
    }

    @Test
    void adaptiveDispatchesAtOnceWhenArrivalsAreRare() {
        learn(64, A, B);
        // One arrival per millisecond: the wait costs as much as the fixed cost it would save.
        assertEquals(0, adaptive.nanosToWait(oneWaitingFrequentArrivals().interArrival(1 * MS)));
    }

    @Test
    void adaptiveDispatchesAtOnceWhileTheArrivalRateIsUnknown() {
        learn(64, A, B);
        assertEquals(0, adaptive.nanosToWait(oneWaitingFrequentArrivals().interArrival(-1)));
    }

    @Test
    void adaptiveDispatchesAtOnceWhenTheBatchIsFull() {
        learn(64, A, B);
        assertEquals(0, adaptive.nanosToWait(oneWaitingFrequentArrivals().queued(32)));
    }

    @Test
    void adaptiveDispatchesAtOnceWhenThereIsNoFixedCost() {
        learn(64, 0, 20 * US);
        assertEquals(0, adaptive.fixedCostNanos(), 1.0);
        assertEquals(0, adaptive.nanosToWait(oneWaitingFrequentArrivals()));
    }

    @Test
    void adaptiveNeverAnswersAnythingButZeroOrOneInterArrival() {
        learn(64, A, B);
        for (int k = 1; k <= 32; k++) {
            long wait = adaptive.nanosToWait(oneWaitingFrequentArrivals().queued(k));
            assertTrue(wait == 0 || wait == FREQUENT, "k=" + k + " wait=" + wait);
        }
    }

    @Test
    void adaptiveNeverWaitsWithOneWorkerWhileArrivalsAreBelowCapacity() {
        learn(64, A, B);
        // Capacity with batches of 32: 32 / c(32). Slower arrivals than that never make a single worker wait.
        double capacityGap = (A + 32.0 * B) / 32;
        for (long d = (long) Math.ceil(capacityGap); d <= 5 * MS; d += 7 * US) {
            for (int k = 1; k < 32; k++) {
                assertEquals(0, adaptive.nanosToWait(TestState.of().queued(k).interArrival(d)), "k=" + k + " d=" + d);
            }
        }
    }

    @Test
    void adaptiveWaitsWithSeveralWorkersWhenArrivalsAreQuickAgainstTheFixedCost() {
        learn(64, A, B);
        // Eight workers: a batch's run delays fewer of the requests behind it, so company is worth waiting for.
        long d = 40 * US;
        assertEquals(0, adaptive.nanosToWait(TestState.of().queued(1).interArrival(d).workers(0, 1)));
        assertEquals(d, adaptive.nanosToWait(TestState.of().queued(1).interArrival(d).workers(3, 8)));
    }
}
