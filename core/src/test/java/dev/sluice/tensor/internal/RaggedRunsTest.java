package dev.sluice.tensor.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.sluice.tensor.Tensor;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Splitting a ragged batch into runs of similar sizes, without a model. */
class RaggedRunsTest {
    private static Map<String, Tensor> line(int width) {
        return Map.of("x", Tensor.ofFloats("x", new long[] {1, 1, width}, new float[width]));
    }

    @Test
    void requestsOfVeryDifferentSizesRunApartSmallestFirst() {
        List<int[]> runs = RaggedRuns.plan(List.of(line(100), line(2000), line(110), line(1900)), List.of("x"), 0.25);

        assertEquals(2, runs.size());
        assertArrayEquals(new int[] {0, 2}, runs.get(0));
        assertArrayEquals(new int[] {3, 1}, runs.get(1));
    }

    @Test
    void withoutABoundTheWholeBatchIsOneRun() {
        List<int[]> runs = RaggedRuns.plan(List.of(line(100), line(2000), line(110)), List.of("x"),
                Double.POSITIVE_INFINITY);

        assertEquals(1, runs.size());
        assertEquals(3, runs.get(0).length);
    }

    @Test
    void requestsOfOneSizeNeverSplit() {
        assertEquals(1, RaggedRuns.plan(List.of(line(64), line(64), line(64)), List.of("x"), 0).size());
    }
}
