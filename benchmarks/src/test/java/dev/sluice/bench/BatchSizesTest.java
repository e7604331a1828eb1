package dev.sluice.bench;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.junit.jupiter.api.Test;

class BatchSizesTest {

    @Test
    void eachBatchIsCountedUnderItsModelAndSize() {
        BatchSizes sizes = new BatchSizes(8);
        sizes.onBatch("cls", 1, new long[1], 10, null);
        sizes.onBatch("cls", 3, new long[3], 10, null);
        sizes.record("cls", 3);
        sizes.record("rec", 20); // above maxSize: counted as 8
        long[] snap = sizes.snapshot(List.of("det", "cls", "rec"));
        assertEquals(3 * 9, snap.length);
        BatchSizes.Distribution det = BatchSizes.Distribution.of(snap, 0, 3);
        BatchSizes.Distribution cls = BatchSizes.Distribution.of(snap, 1, 3);
        BatchSizes.Distribution rec = BatchSizes.Distribution.of(snap, 2, 3);
        assertEquals(0, det.calls());
        assertEquals(3, cls.calls());
        assertEquals(7, cls.items());
        assertEquals(7 / 3.0, cls.mean(), 1e-12);
        assertEquals(3, cls.max());
        assertEquals(8, rec.max());
    }

    @Test
    void theSharesByClassAddUpAndTheTextLeavesEmptyClassesOut() {
        BatchSizes sizes = new BatchSizes(64);
        for (int s : new int[] {1, 1, 2, 3, 4, 5, 9, 17, 40, 64}) {
            sizes.record("rec", s);
        }
        BatchSizes.Distribution d = BatchSizes.Distribution.of(sizes.snapshot(List.of("rec")), 0, 1);
        // classes 1, 2, 3-4, 5-8, 9-16, 17-32, 33+
        assertArrayEquals(new double[] {20, 10, 20, 10, 10, 10, 20}, d.classShares(), 1e-9);
        assertEquals("10 calls, mean 14.60, max 64; 1: 20% 2: 10% 3-4: 20% 5-8: 10% 9-16: 10% 17-32: 10% 33+: 20%",
                d.text());
        BatchSizes.Distribution none = BatchSizes.Distribution.of(new BatchSizes(4).snapshot(List.of("x")), 0, 1);
        assertEquals("no calls", none.text());
        assertEquals(0, none.mean());
    }

    @Test
    void aBatchOfNothingAndACapBelowOneAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> new BatchSizes(0));
        assertThrows(IllegalArgumentException.class, () -> new BatchSizes(4).record("x", 0));
    }
}
