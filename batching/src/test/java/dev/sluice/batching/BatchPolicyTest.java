package dev.sluice.batching;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.batching.internal.BatchCostCurve;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.IntToLongFunction;
import org.junit.jupiter.api.Test;

/**
 * Pure unit tests of the three {@link BatchPolicy} implementations against a hand-made
 * {@link BatchPolicy.State}: no batcher, no threads, no clock; the adaptive policy's cost curve is fed fake
 * timings in milliseconds. One behaviour per method.
 *
 * <p>The methods are flat (prefixed fixed/eager/adaptive) rather than in {@code @Nested} classes because
 * surefire's {@code -Dtest=BatchPolicyTest} does not select nested classes.
 */
class BatchPolicyTest {

    private static final long US = TimeUnit.MICROSECONDS.toNanos(1);
    private static final long MS = TimeUnit.MILLISECONDS.toNanos(1);

    /** A fixed snapshot of what the batcher sees. */
    record TestState(int queued, int maxBatchSize, long oldestWaitNanos, long maxDelayNanos,
            int runningBatches, int maxConcurrentBatches, long meanInterArrivalNanos, int freeWorkers,
            List<CostCurve.Point> costCurve) implements BatchPolicy.State {

        /** One waiting, max batch 32, maxDelay 2 ms, one idle worker, arrival rate unknown, nothing measured. */
        static TestState of() {
            return new TestState(1, 32, 0, 2 * MS, 0, 1, -1, 1, List.of());
        }

        TestState queued(int q) {
            return new TestState(q, maxBatchSize, oldestWaitNanos, maxDelayNanos, runningBatches,
                    maxConcurrentBatches, meanInterArrivalNanos, freeWorkers, costCurve);
        }

        TestState oldestWait(long w) {
            return new TestState(queued, maxBatchSize, w, maxDelayNanos, runningBatches,
                    maxConcurrentBatches, meanInterArrivalNanos, freeWorkers, costCurve);
        }

        TestState maxDelay(long d) {
            return new TestState(queued, maxBatchSize, oldestWaitNanos, d, runningBatches,
                    maxConcurrentBatches, meanInterArrivalNanos, freeWorkers, costCurve);
        }

        TestState interArrival(long d) {
            return new TestState(queued, maxBatchSize, oldestWaitNanos, maxDelayNanos, runningBatches,
                    maxConcurrentBatches, d, freeWorkers, costCurve);
        }

        /** {@code running} of {@code max} workers busy, so {@code max - running} free. */
        TestState workers(int running, int max) {
            return new TestState(queued, maxBatchSize, oldestWaitNanos, maxDelayNanos, running, max,
                    meanInterArrivalNanos, Math.max(1, max - running), costCurve);
        }

        TestState maxBatchSize(int m) {
            return new TestState(queued, m, oldestWaitNanos, maxDelayNanos, runningBatches,
                    maxConcurrentBatches, meanInterArrivalNanos, freeWorkers, costCurve);
        }

        TestState curve(BatchCostCurve c) {
            return new TestState(queued, maxBatchSize, oldestWaitNanos, maxDelayNanos, runningBatches,
                    maxConcurrentBatches, meanInterArrivalNanos, freeWorkers, c.points());
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
        BatchCostCurve c = new BatchCostCurve(32);
        for (int i = 0; i < 100; i++) {
            eager.onBatchExecuted(1 + i % 32, 1 * MS);
            c.record(1 + i % 32, 1 * MS);
        }
        assertEquals(0, eager.nanosToWait(TestState.of().interArrival(1 * US).curve(c)));
    }

    @Test
    void eagerAndFixedTakeUpToMaxBatchSizeWhateverTheCurveSays() {
        BatchCostCurve c = new BatchCostCurve(32);
        feed(c, RECOGNIZER, 4, 1, 2, 4, 8, 16, 32);
        for (BatchPolicy p : new BatchPolicy[] {eager, fixed}) {
            assertEquals(32, p.batchSize(TestState.of().queued(5).curve(c)), p::toString);
            assertEquals(32, p.targetBatchSize(c.points(), 32), p::toString);
        }
    }

    // ------------------------------------------------------------------ adaptive

    /** The recognizer's measured ms per call on one core (issue 13): n=1 15.7, 2 32.7, 4 64.5, 8 143, 16 338. */
    private static final IntToLongFunction RECOGNIZER = n -> {
        int[] sizes = {1, 2, 4, 8, 16};
        double[] ms = {15.7, 32.7, 64.5, 143.0, 338.0};
        for (int i = 1; i < sizes.length; i++) {
            if (n <= sizes[i]) { // linear between the measured sizes
                double f = (n - sizes[i - 1]) / (double) (sizes[i] - sizes[i - 1]);
                return (long) ((ms[i - 1] + f * (ms[i] - ms[i - 1])) * MS);
            }
        }
        return (long) (338.0 / 16 * n * MS);
    };
    /** A GPU-like model: 2 ms + 0.05 ms per input. */
    private static final IntToLongFunction GPU = n -> 2 * MS + n * 50 * US;
    /** Every input costs 1 ms, whatever the batch. */
    private static final IntToLongFunction FLAT = n -> n * MS;

    /** Records {@code times} calls of each size in {@code sizes}, timed by {@code cost}. */
    private static void feed(BatchCostCurve c, IntToLongFunction cost, int times, int... sizes) {
        for (int n : sizes) {
            for (int i = 0; i < times; i++) {
                c.record(n, cost.applyAsLong(n));
            }
        }
    }

    /**
     * Asks for {@code decisions} batch sizes with {@code queued} waiting and one free worker, timing each
     * chosen batch by {@code cost} into the curve, as the batcher does; returns the sizes chosen.
     */
    private static List<Integer> run(BatchPolicy p, BatchCostCurve c, IntToLongFunction cost, int queued,
            int decisions) {
        List<Integer> sizes = new ArrayList<>();
        for (int i = 0; i < decisions; i++) {
            TestState s = TestState.of().maxBatchSize(c.maxBatchSize()).queued(queued).curve(c);
            int n = Math.min(queued, p.batchSize(s));
            sizes.add(n);
            c.record(n, cost.applyAsLong(n));
        }
        return sizes;
    }

    private static long count(List<Integer> sizes, int size) {
        return sizes.stream().filter(n -> n == size).count();
    }

    private final AdaptiveBatchPolicy adaptive = new AdaptiveBatchPolicy();
    private final BatchCostCurve curve = new BatchCostCurve(32);

    @Test
    void adaptiveFactoryReturnsAFreshAdaptivePolicy() {
        BatchPolicy p = BatchPolicy.adaptive();
        assertTrue(p instanceof AdaptiveBatchPolicy);
        assertTrue(p != BatchPolicy.adaptive());
    }

    @Test
    void adaptiveTakesOneAtATimeBeforeAnythingIsMeasured() {
        assertEquals(1, adaptive.batchSize(TestState.of().queued(32)));
        assertEquals(1, adaptive.targetBatchSize(List.of(), 32));
        assertEquals(0, adaptive.nanosToWait(TestState.of().queued(1).interArrival(10 * US)));
    }

    @Test
    void adaptivePicksOneForTheRecognizersMeasuredCurve() {
        BatchCostCurve c = new BatchCostCurve(16);
        feed(c, RECOGNIZER, 4, 1, 2, 4, 8, 16);
        assertEquals(1, adaptive.targetBatchSize(c.points(), 16));
        assertEquals(1, adaptive.batchSize(TestState.of().maxBatchSize(16).queued(16).curve(c)));
    }

    @Test
    void adaptivePicksMaxBatchSizeForAGpuLikeModel() {
        feed(curve, GPU, 4, 1, 2, 4, 8, 16, 32);
        assertEquals(32, adaptive.targetBatchSize(curve.points(), 32));
        assertEquals(32, adaptive.batchSize(TestState.of().queued(40).curve(curve)));
    }

    @Test
    void adaptivePicksTheSmallestSizeWithinTenPercentOfTheBest() {
        // 1 ms + 1 ms per input: 500, 667, 800, 889, 941, 970 inputs/s at 1..32; 889 is within 10% of 970.
        feed(curve, n -> MS + n * MS, 4, 1, 2, 4, 8, 16, 32);
        assertEquals(8, adaptive.targetBatchSize(curve.points(), 32));
    }

    @Test
    void adaptiveSlowStartDoublesWhileEachStepPays() {
        List<Integer> sizes = run(adaptive, curve, GPU, 64, 40);
        assertEquals(List.of(1, 1, 1, 2, 2, 2, 4, 4, 4, 8, 8, 8, 16, 16, 16), sizes.subList(0, 15),
                "three calls per bucket, then the next bucket up");
        assertEquals(25, count(sizes.subList(15, 40), 32), "then full batches: " + sizes);
        assertEquals(32, adaptive.targetBatchSize(curve.points(), 32));
    }

    @Test
    void adaptiveSlowStartStopsAtTheFirstBucketThatDoesNotPay() {
        BatchCostCurve c = new BatchCostCurve(16);
        List<Integer> sizes = run(adaptive, c, RECOGNIZER, 16, 15);
        assertEquals(List.of(1, 1, 1, 2, 2, 2, 1, 1, 1, 1, 1, 1, 1, 1, 1), sizes,
                "batches of 2 run slower per input than batches of 1, so it goes no further");
        assertEquals(1, adaptive.targetBatchSize(c.points(), 16));
    }

    @Test
    void adaptiveExploresTheBucketAboveTheTargetOnceInAboutSixteenDecisions() {
        feed(curve, FLAT, 4, 1, 2, 4, 8, 16, 32);
        List<Integer> sizes = run(adaptive, curve, FLAT, 64, 340);
        long explored = sizes.size() - count(sizes, 1);
        assertEquals(explored, count(sizes, 2), "only the bucket above the target (1) is explored: " + sizes);
        assertEquals(20, explored, "the first at decision 16, then one every 17 (a turn down, impossible at 1, "
                + "passes)");
        for (int i = 0; i < sizes.size(); i++) {
            assertEquals(i % 17 == 15 ? 2 : 1, sizes.get(i), "decision " + i);
        }
    }

    @Test
    void adaptiveNeverExploresWithOnlyOneRequestWaiting() {
        feed(curve, FLAT, 4, 1, 2, 4);
        assertEquals(200, count(run(adaptive, curve, FLAT, 1, 200), 1));
    }

    @Test
    void adaptiveAtMaxBatchSizeExploresDownOnlyIntoABucketUnusedForStaleAfterCalls() {
        feed(curve, GPU, 4, 1, 2, 4, 8, 16, 32);
        List<Integer> sizes = run(adaptive, curve, GPU, 64, 2 * BatchCostCurve.STALE_AFTER + 2);
        // 16 was last fed four calls before the first decision; decision i sees the calls before it.
        int first = BatchCostCurve.STALE_AFTER - 4;
        assertEquals(List.of(first, first + BatchCostCurve.STALE_AFTER + 1),
                indexesOf(sizes, 16), "16 is tried once it has gone unused for STALE_AFTER calls, then not again until "
                        + "it has gone unused that long again");
        assertEquals(sizes.size() - 2, count(sizes, 32), "the rest are full: " + sizes);
    }

    private static List<Integer> indexesOf(List<Integer> sizes, int size) {
        List<Integer> at = new ArrayList<>();
        for (int i = 0; i < sizes.size(); i++) {
            if (sizes.get(i) == size) {
                at.add(i);
            }
        }
        return at;
    }

    @Test
    void adaptiveFollowsACurveThatChangesFromFlatToGpuLikeAndBack() {
        List<Integer> flat = run(adaptive, curve, FLAT, 64, 300);
        assertEquals(1, adaptive.targetBatchSize(curve.points(), 32));
        assertTrue(count(flat.subList(100, 300), 1) >= 185, "flat: batches of one, bar exploration: " + flat);

        List<Integer> gpu = run(adaptive, curve, GPU, 64, 400);
        assertEquals(32, adaptive.targetBatchSize(curve.points(), 32));
        int learnt = lastIndexOfOtherThan(gpu, 32) + 1;
        assertTrue(learnt <= 20, "GPU-like: full batches after " + learnt + " calls: " + gpu);

        List<Integer> back = run(adaptive, curve, FLAT, 64, 800);
        assertEquals(1, adaptive.targetBatchSize(curve.points(), 32), curve.points().toString());
        int relearnt = lastIndexOfOtherThan(back.subList(0, 600), 1) + 1;
        assertTrue(relearnt <= 60, "flat again: batches of one after " + relearnt + " calls: " + back);
        assertTrue(count(back.subList(600, 800), 1) >= 185, "and it stays there, bar exploration: " + back);
    }

    /** The index of the last size, in the first run of such, before sizes settle on {@code settled}. */
    private static int lastIndexOfOtherThan(List<Integer> sizes, int settled) {
        int last = -1;
        int streak = 0;
        for (int i = 0; i < sizes.size(); i++) {
            if (sizes.get(i) == settled) {
                if (++streak >= 15) { // settled: exploration breaks a run at most once in 16
                    return last;
                }
            } else {
                last = i;
                streak = 0;
            }
        }
        return Integer.MAX_VALUE - 1;
    }

    @Test
    void adaptiveSpreadsAShortQueueEvenlyOverFreeWorkersWhenSmallerBatchesCostNoMorePerInput() {
        // 10 ms per input, but 8 at once run 20% faster: the target is 8, and the fit has no fixed cost.
        feed(curve, n -> n == 8 ? 64 * MS : n * 10 * MS, 4, 1, 2, 4, 8, 16, 32);
        assertEquals(8, adaptive.targetBatchSize(curve.points(), 32));
        TestState twoFree = TestState.of().curve(curve).workers(0, 2);
        assertEquals(5, adaptive.batchSize(twoFree.queued(10)), "10 waiting, 2 free: 5 each");
        assertEquals(2, adaptive.batchSize(twoFree.queued(3)));
        assertEquals(8, adaptive.batchSize(twoFree.queued(20)), "enough for both: the target each");
        assertEquals(8, adaptive.batchSize(TestState.of().curve(curve).queued(10)), "one free worker: the target");
    }

    @Test
    void adaptiveRunsALonePagesLinesOnEveryFreeWorkerForTheRecognizer() {
        BatchCostCurve c = new BatchCostCurve(16);
        feed(c, RECOGNIZER, 4, 1, 2, 4, 8, 16);
        assertEquals(1, adaptive.batchSize(TestState.of().maxBatchSize(16).curve(c).workers(0, 2).queued(12)),
                "each free worker takes one line");
    }

    @Test
    void adaptiveKeepsAShortQueueTogetherWhereSplittingWouldCostMoreThanTenPercentPerInput() {
        feed(curve, GPU, 4, 1, 2, 4, 8, 16, 32);
        // a/s + b <= 1.1 (a/32 + b) with a = 2 ms, b = 0.05 ms: s >= 28.
        int size = adaptive.batchSize(TestState.of().curve(curve).workers(0, 2).queued(10));
        assertEquals(28, size, "one worker takes all ten");
        BatchCostCurve mild = new BatchCostCurve(32);
        feed(mild, n -> MS + n * MS, 4, 1, 2, 4, 8, 16, 32);
        // target 8; a/s + b <= 1.1 (a/8 + b) with a = b = 1 ms: s >= 5.
        assertEquals(5, adaptive.batchSize(TestState.of().curve(mild).workers(0, 2).queued(8)));
    }

    // The wait: a GPU-like model whose call costs a large fixed A and a small B per input.

    /** A batch costs this much whatever its size: large compared with {@link #FREQUENT}. */
    private static final long A = 1 * MS;
    /** And this much per item. */
    private static final long B = 1 * US;
    /** Frequent arrivals: one every 10 us. */
    private static final long FREQUENT = 10 * US;

    private TestState learntLargeFixedCost() {
        feed(curve, n -> A + B * n, 4, 1, 2, 4, 8, 16, 32);
        return TestState.of().curve(curve);
    }

    @Test
    void adaptiveWaitsOnlyOnceTwoBucketsAreKnown() {
        feed(curve, n -> A + B * n, 4, 1);
        feed(curve, n -> A + B * n, 2, 32);
        TestState oneKnown = TestState.of().curve(curve).interArrival(FREQUENT).workers(3, 8);
        assertEquals(0, adaptive.nanosToWait(oneKnown), "a + b*n cannot be fitted to one bucket");
        curve.record(32, A + B * 32);
        assertEquals(FREQUENT, adaptive.nanosToWait(oneKnown.curve(curve)));
    }

    @Test
    void adaptiveWaitsExactlyOneMeanInterArrivalWithALargeFixedCostAndFrequentArrivals() {
        // gain a - d = 990 us; cost with k = 1 and m = min(32, c(1) / d) = 32: 34 d + 33 b = 373 us.
        assertEquals(FREQUENT, adaptive.nanosToWait(learntLargeFixedCost().queued(1).interArrival(FREQUENT)));
    }

    @Test
    void adaptiveDispatchesAtOnceWhenArrivalsAreRare() {
        // One arrival per millisecond: the wait costs as much as the fixed cost it would save.
        assertEquals(0, adaptive.nanosToWait(learntLargeFixedCost().queued(1).interArrival(1 * MS)));
    }

    @Test
    void adaptiveDispatchesAtOnceWhileTheArrivalRateIsUnknown() {
        assertEquals(0, adaptive.nanosToWait(learntLargeFixedCost().queued(1).interArrival(-1)));
    }

    @Test
    void adaptiveDispatchesAtOnceWhenATargetBatchWaits() {
        assertEquals(0, adaptive.nanosToWait(learntLargeFixedCost().queued(32).interArrival(FREQUENT)));
    }

    @Test
    void adaptiveNeverWaitsWhereACallHasNoFixedCost() {
        feed(curve, n -> 20 * US * n, 4, 1, 2, 4, 8, 16, 32);
        for (int k = 1; k < 32; k++) {
            assertEquals(0, adaptive.nanosToWait(TestState.of().curve(curve).queued(k).interArrival(1 * US)
                    .workers(7, 8)), "k=" + k);
        }
    }

    @Test
    void adaptiveNeverWaitsForTheRecognizer() {
        BatchCostCurve c = new BatchCostCurve(16);
        feed(c, RECOGNIZER, 4, 1, 2, 4, 8, 16);
        TestState s = TestState.of().maxBatchSize(16).curve(c);
        for (long d : new long[] {10 * US, 1 * MS, 20 * MS}) {
            assertEquals(0, adaptive.nanosToWait(s.queued(1).interArrival(d).workers(5, 6)), "d=" + d);
        }
    }

    @Test
    void adaptiveNeverAnswersAnythingButZeroOrOneInterArrival() {
        TestState s = learntLargeFixedCost().interArrival(FREQUENT);
        for (int k = 1; k <= 32; k++) {
            long wait = adaptive.nanosToWait(s.queued(k));
            assertTrue(wait == 0 || wait == FREQUENT, "k=" + k + " wait=" + wait);
        }
    }

    @Test
    void adaptiveNeverWaitsWithOneWorkerWhileArrivalsAreBelowCapacity() {
        TestState s = learntLargeFixedCost();
        // Capacity with batches of 32: 32 / c(32). Slower arrivals than that never make a single worker wait.
        double capacityGap = (A + 32.0 * B) / 32;
        for (long d = (long) Math.ceil(capacityGap); d <= 5 * MS; d += 7 * US) {
            for (int k = 1; k < 32; k++) {
                assertEquals(0, adaptive.nanosToWait(s.queued(k).interArrival(d)), "k=" + k + " d=" + d);
            }
        }
    }

    @Test
    void adaptiveWaitsWithSeveralWorkersWhenArrivalsAreQuickAgainstTheFixedCost() {
        TestState s = learntLargeFixedCost();
        // Eight workers: a batch's run delays fewer of the requests behind it, so company is worth waiting for.
        long d = 40 * US;
        assertEquals(0, adaptive.nanosToWait(s.queued(1).interArrival(d).workers(0, 1)));
        assertEquals(d, adaptive.nanosToWait(s.queued(1).interArrival(d).workers(3, 8)));
    }

    @Test
    void adaptiveWaitsForTheGpuLikeModelExactlyWhereTheInequalityHolds() {
        feed(curve, GPU, 4, 1, 2, 4, 8, 16, 32); // fits a = 2 ms, b = 0.05 ms
        TestState s = TestState.of().curve(curve);
        // One waiting, four workers: m = c(1) / 4d; a - d > (2 + m) d + (1 + m) b holds up to d = 460 us.
        assertEquals(450 * US, adaptive.nanosToWait(s.queued(1).workers(3, 4).interArrival(450 * US)));
        assertEquals(0, adaptive.nanosToWait(s.queued(1).workers(3, 4).interArrival(470 * US)));
        // Eight waiting: everyone queued pays the wait; with four workers it never pays, with eight only
        // for arrivals between 13 and 117 us apart.
        for (long d = 1 * US; d < 2 * MS; d += 3 * US) {
            assertEquals(0, adaptive.nanosToWait(s.queued(8).workers(3, 4).interArrival(d)), "d=" + d);
        }
        assertEquals(100 * US, adaptive.nanosToWait(s.queued(8).workers(7, 8).interArrival(100 * US)));
        // One worker, arrivals slower than it serves batches of 32 (one per 112.5 us): never.
        assertEquals(0, adaptive.nanosToWait(s.queued(1).interArrival(113 * US)));
    }

    @Test
    void adaptiveAsksToWaitOnlyWhenTheSizeItChoseExceedsWhatWaits() {
        // With one worker and a large fixed cost, a lone request is sized to grow (so the batcher asks
        // whether to wait); with the recognizer it is a whole batch (so the batcher dispatches it at once).
        assertTrue(adaptive.batchSize(learntLargeFixedCost().queued(1)) > 1);
        BatchCostCurve c = new BatchCostCurve(16);
        feed(c, RECOGNIZER, 4, 1, 2, 4, 8, 16);
        assertEquals(1, new AdaptiveBatchPolicy().batchSize(TestState.of().maxBatchSize(16).curve(c).queued(1)));
    }

    @Test
    void adaptiveTargetBatchSizeLeavesTheDecisionsAlone() {
        feed(curve, FLAT, 4, 1, 2, 4);
        AdaptiveBatchPolicy other = new AdaptiveBatchPolicy();
        BatchCostCurve twin = new BatchCostCurve(32);
        feed(twin, FLAT, 4, 1, 2, 4);
        for (int i = 0; i < 100; i++) {
            adaptive.targetBatchSize(curve.points(), 32);
        }
        assertEquals(run(other, twin, FLAT, 64, 50), run(adaptive, curve, FLAT, 64, 50));
    }

    // ---------------------------------------------------------------- preferred sizes

    @Test
    void preferredSizesCutTheBatchToTheLargestWaitingOneTheInnerPolicyAllows() {
        BatchPolicy p = BatchPolicy.preferring(BatchPolicy.eager(), 16, 4, 8, 4);
        TestState s = TestState.of();
        assertEquals(16, p.batchSize(s.queued(40)), "40 wait: the largest preferred");
        assertEquals(8, p.batchSize(s.queued(10)));
        assertEquals(4, p.batchSize(s.queued(5)));
        assertEquals(4, p.batchSize(s.queued(2)), "fewer than the smallest wait: that size is the batch to wait for");
        assertEquals(0, p.nanosToWait(s.queued(2)), "and eager does not wait for it");
        assertTrue(BatchPolicy.preferring(BatchPolicy.fixed(), 4).nanosToWait(s.queued(2)) > 0, "fixed does");
        assertEquals("eager preferring [4, 8, 16]", p.toString());
    }

    @Test
    void preferredSizesAboveTheInnerPolicysAnswerAreNotUsed() {
        BatchPolicy one = new BatchPolicy() {
            @Override
            public int batchSize(State state) {
                return 6;
            }

            @Override
            public long nanosToWait(State state) {
                return 0;
            }

            @Override
            public int targetBatchSize(List<CostCurve.Point> curve, int maxBatchSize) {
                return 6;
            }
        };
        TestState s = TestState.of();
        assertEquals(4, BatchPolicy.preferring(one, 4, 8).batchSize(s.queued(20)), "8 is above the policy's 6");
        assertEquals(6, BatchPolicy.preferring(one, 8, 16).batchSize(s.queued(20)), "none at or below 6: its answer");
        assertEquals(4, BatchPolicy.preferring(one, 4, 8).targetBatchSize(List.of(), 32));
        assertEquals(6, BatchPolicy.preferring(one, 8).targetBatchSize(List.of(), 32));
    }

    @Test
    void preferredSizesAreCheckedWhenGiven() {
        assertThrows(IllegalArgumentException.class, () -> BatchPolicy.preferring(BatchPolicy.eager()));
        assertThrows(IllegalArgumentException.class, () -> BatchPolicy.preferring(BatchPolicy.eager(), 4, 0));
        assertThrows(NullPointerException.class, () -> BatchPolicy.preferring(null, 4));
    }
}
