package dev.sluice.batching.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class BatchCostModelTest {
    private final BatchCostModel cost = new BatchCostModel();

    @Test
    void knowsNothingBeforeEnoughBatches() {
        for (int i = 0; i < BatchCostModel.MIN_SAMPLES - 1; i++) {
            cost.record(1 + i, 1_000_000 + 10_000L * (1 + i));
        }
        assertEquals(-1, cost.fixedCostNanos());
        assertEquals(-1, cost.perItemAtFullBatchNanos(32));
    }

    @Test
    void fitsFixedAndPerItemCostFromBatchesOfVaryingSize() {
        for (int i = 0; i < 200; i++) {
            int n = 1 + i % 32;
            cost.record(n, 10_000_000 + 500_000L * n);
        }
        assertEquals(10_000_000, cost.fixedCostNanos(), 1_000);
        assertEquals(500_000, cost.perItemCostNanos(), 100);
        assertEquals(10_000_000 / 32.0 + 500_000, cost.perItemAtFullBatchNanos(32), 200);
    }

    @Test
    void batchesOfOneSizeCannotTellFixedFromPerItemCostSoItAssumesNoSaving() {
        for (int i = 0; i < 100; i++) {
            cost.record(2, 12_000_000);
        }
        assertEquals(0, cost.fixedCostNanos());
        assertEquals(6_000_000, cost.perItemCostNanos(), 1);
        assertEquals(6_000_000, cost.perItemAtFullBatchNanos(32), 1, "no saving promised from fuller batches");
    }

    @Test
    void recentBatchesWeighMost() {
        for (int i = 0; i < 500; i++) {
            int n = 1 + i % 16;
            cost.record(n, 1_000_000 + 100_000L * n);
        }
        for (int i = 0; i < 500; i++) {
            int n = 1 + i % 16;
            cost.record(n, 5_000_000 + 100_000L * n); // the model got slower
        }
        assertEquals(5_000_000, cost.fixedCostNanos(), 5_000);
    }
}
