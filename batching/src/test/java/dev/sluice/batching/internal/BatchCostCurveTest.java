package dev.sluice.batching.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.sluice.batching.CostCurve;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The bucketed cost curve: fake timings in milliseconds, recorded on the test thread unless said otherwise. */
class BatchCostCurveTest {
    private static final long MS = TimeUnit.MILLISECONDS.toNanos(1);

    private final BatchCostCurve curve = new BatchCostCurve(20);

    private static List<String> ranges(List<CostCurve.Point> points) {
        List<String> r = new ArrayList<>();
        points.forEach(p -> r.add(p.minSize() + "-" + p.maxSize()));
        return r;
    }

    @Test
    void bucketsDoubleAndTheLastEndsAtMaxBatchSize() {
        int[] sizes = {1, 2, 3, 4, 5, 8, 9, 16, 17, 20};
        int[] buckets = {0, 1, 2, 2, 3, 3, 4, 4, 5, 5};
        for (int i = 0; i < sizes.length; i++) {
            assertEquals(buckets[i], BatchCostCurve.bucketOf(sizes[i]), "size " + sizes[i]);
        }
        assertEquals(List.of(1, 2, 3, 5, 9, 17), List.of(BatchCostCurve.bucketMin(0), BatchCostCurve.bucketMin(1),
                BatchCostCurve.bucketMin(2), BatchCostCurve.bucketMin(3), BatchCostCurve.bucketMin(4),
                BatchCostCurve.bucketMin(5)));
        assertEquals(20, BatchCostCurve.bucketMax(5, 20));
        assertEquals(16, BatchCostCurve.bucketMax(4, 20));
        assertEquals(31, BatchCostCurve.bucketOf(Integer.MAX_VALUE));
        assertEquals(Integer.MAX_VALUE, BatchCostCurve.bucketMax(31, Integer.MAX_VALUE));
    }

    @Test
    void eachCallCountsInTheBucketOfItsSizeAndOnlyMeasuredBucketsAppear() {
        for (int n : new int[] {1, 3, 4, 17, 20, 20}) {
            curve.record(n, n * MS);
        }
        assertEquals(List.of("1-1", "3-4", "17-20"), ranges(curve.points()));
        assertEquals(List.of(1L, 2L, 3L), curve.points().stream().map(CostCurve.Point::samples).toList());
    }

    @Test
    void theSecondCallReplacesTheFirstThenAPlainMeanUntilAFifthThenAFifth() {
        curve.record(1, 100 * MS); // a cold first call
        curve.record(1, 10 * MS);
        assertEquals(10 * MS, curve.points().get(0).meanNanos(), 1e-6, "the first call only stands in");
        curve.record(1, 20 * MS);
        curve.record(1, 30 * MS);
        assertEquals(20 * MS, curve.points().get(0).meanNanos(), 1e-6, "the mean of all but the first");
        for (int i = 0; i < 2; i++) {
            curve.record(1, 20 * MS);
        }
        curve.record(1, 70 * MS);
        assertEquals(30 * MS, curve.points().get(0).meanNanos(), 1e-6, "a fifth of the way to the new call");
    }

    @Test
    void recentCallsWeighMostSoAChangedCostIsLearnt() {
        for (int i = 0; i < 20; i++) {
            curve.record(8, 10 * MS);
        }
        for (int i = 0; i < 20; i++) {
            curve.record(8, 20 * MS);
        }
        // 0.8^20 of the old cost is left: about 1%.
        assertEquals(20 * MS, curve.points().get(0).meanNanos(), 0.02 * 10 * MS);
    }

    @Test
    void theMeanSizeOfABucketFollowsItsCalls() {
        curve.record(5, 5 * MS);
        curve.record(6, 6 * MS);
        curve.record(8, 8 * MS);
        CostCurve.Point p = curve.points().get(0);
        assertEquals(7.0, p.meanSize(), 1e-9);
        assertEquals(1000.0, p.itemsPerSecond(), 1e-6);
    }

    @Test
    void aBucketUnusedForStaleAfterCallsIsReplacedByItsNextCall() {
        for (int i = 0; i < 10; i++) {
            curve.record(1, MS);
        }
        curve.record(2, 5 * MS);
        for (int i = 0; i < BatchCostCurve.STALE_AFTER; i++) {
            curve.record(1, MS);
        }
        assertEquals(BatchCostCurve.STALE_AFTER, curve.points().get(1).batchesAgo());
        curve.record(2, 5 * MS); // STALE_AFTER calls of other sizes since its last: still a running mean
        assertEquals(5 * MS, curve.points().get(1).meanNanos(), 1e-6);
        for (int i = 0; i < 20; i++) {
            curve.record(2, 2 * MS);
        }
        for (int i = 0; i <= BatchCostCurve.STALE_AFTER; i++) {
            curve.record(1, MS);
        }
        curve.record(2, 9 * MS);
        assertEquals(9 * MS, curve.points().get(1).meanNanos(), 1e-6, "more than STALE_AFTER since: replaced");
        assertEquals(0, curve.points().get(1).batchesAgo());
        assertEquals(1, curve.points().get(0).batchesAgo());
    }

    @Test
    void sizesAboveMaxCountInTheLastBucketAndSizesBelowOneAreIgnored() {
        curve.record(0, MS);
        curve.record(-3, MS);
        curve.record(1_000, MS);
        assertEquals(List.of("17-20"), ranges(curve.points()));
        assertEquals(1, curve.points().get(0).samples());
    }

    @Test
    void aNegativeTimeCountsAsZero() {
        curve.record(1, -5);
        assertEquals(0, curve.points().get(0).meanNanos());
    }

    @Test
    void readsShareOneSnapshotUntilTheNextCall() {
        curve.record(1, MS);
        List<CostCurve.Point> seen = curve.points();
        assertSame(seen, curve.points());
        curve.record(1, MS);
        assertEquals(1, seen.get(0).samples(), "a snapshot never changes");
        assertThrows(UnsupportedOperationException.class, () -> seen.add(seen.get(0)));
    }

    @Test
    void callsRecordedFromManyThreadsAreAllCounted() throws Exception {
        BatchCostCurve shared = new BatchCostCurve(32);
        int threads = 4;
        int each = 5_000;
        CountDownLatch start = new CountDownLatch(1);
        List<Thread> ts = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            int size = 1 << t;
            Thread th = new Thread(() -> {
                try {
                    start.await();
                } catch (InterruptedException e) {
                    return;
                }
                for (int i = 0; i < each; i++) {
                    shared.record(size, size * MS);
                }
            });
            ts.add(th);
            th.start();
        }
        start.countDown();
        for (Thread th : ts) {
            th.join(TimeUnit.SECONDS.toMillis(30));
        }
        List<CostCurve.Point> points = shared.points();
        assertEquals(threads, points.size());
        for (CostCurve.Point p : points) {
            assertEquals(each, p.samples(), p.toString());
            assertEquals(p.meanSize() * MS, p.meanNanos(), 1e-6, "a size and a time from the same calls");
        }
    }

    @Test
    void theFitOfAFixedAndPerItemCostIsExact() {
        BatchCostCurve c = new BatchCostCurve(32);
        for (int n : new int[] {1, 2, 4, 8, 16, 32}) {
            for (int i = 0; i < 3; i++) {
                c.record(n, 2 * MS + n * MS / 20);
            }
        }
        BatchCostCurve.Fit fit = BatchCostCurve.fit(c.points(), 3);
        assertEquals(2 * MS, fit.fixedNanos(), 1);
        assertEquals(MS / 20.0, fit.perItemNanos(), 1e-3);
    }

    @Test
    void aCurveWhoseInputsCostMoreInLargerBatchesFitsNoFixedCost() {
        BatchCostCurve c = new BatchCostCurve(16);
        double[] ms = {15.7, 32.7, 64.5, 143, 338}; // the recognizer on one core
        for (int b = 0; b < ms.length; b++) {
            for (int i = 0; i < 3; i++) {
                c.record(1 << b, (long) (ms[b] * MS));
            }
        }
        BatchCostCurve.Fit fit = BatchCostCurve.fit(c.points(), 3);
        assertEquals(0, fit.fixedNanos());
        assertEquals(338 * MS / 16.0, fit.perItemNanos(), 1.5 * MS, "through the origin, near the largest batch's");
    }

    @Test
    void noFitWithFewerThanTwoTrustedBuckets() {
        curve.record(1, MS);
        curve.record(1, MS);
        curve.record(1, MS);
        curve.record(2, 2 * MS);
        curve.record(2, 2 * MS);
        assertNull(BatchCostCurve.fit(curve.points(), 3));
    }

    @Test
    void aMaxBatchSizeBelowOneIsRefused() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new BatchCostCurve(0));
        assertEquals("maxBatchSize must be at least 1, was 0", e.getMessage());
    }

    @Test
    void theSnapshotShowsTheTargetAndEachPointCompactly() {
        BatchCostCurve c = new BatchCostCurve(8);
        c.record(1, 15_700_000);
        c.record(3, 48_000_000);
        c.record(4, 64_000_000); // replaces the first call of its bucket
        assertEquals("target 1; 1: 15.7 ms (x1), 3-4 (mean 4.0): 64.0 ms (x2)",
                new CostCurve(c.points(), 1).toString());
        assertEquals("target 8; nothing measured yet", new CostCurve(List.of(), 8).toString());
    }
}
