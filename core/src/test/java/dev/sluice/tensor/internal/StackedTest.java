package dev.sluice.tensor.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import dev.sluice.tensor.Tensor;
import java.util.List;
import org.junit.jupiter.api.Test;

class StackedTest {
    @Test
    void changingTheRowsItHandsOutLeavesHowTheBatchSplitsBack() {
        Tensor a = Tensor.ofFloats("in", new long[] {1, 2}, 1, 2);
        Tensor b = Tensor.ofFloats("in", new long[] {2, 2}, 3, 4, 5, 6);
        TensorBatch.Stacked stacked = TensorBatch.stack(List.of(a, b), 0);

        stacked.rows()[0] = 2;

        assertArrayEquals(new int[] {1, 2}, stacked.rows());
        assertArrayEquals(new float[] {1, 2}, TensorBatch.split(stacked.tensor(), stacked).get(0).toFloatArray());
    }
}
