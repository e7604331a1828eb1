package dev.sluice.bench;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.HdrHistogram.Histogram;
import org.junit.jupiter.api.Test;

class DispatchBenchmarkTest {

    @Test
    void theSlowReplicaCountsAtAThirdOfAFastOne() {
        DispatchBenchmark.Options o = new DispatchBenchmark.Options();
        List<ReplicaModel<Integer>> models = o.models();
        assertEquals(4, models.size());
        // 32 / (10 ms + 32 * 0.5 ms) = 32 / 26 ms per fast replica; the slow one takes 78 ms per full batch.
        double fast = 32 / 0.026;
        assertEquals(fast, models.get(1).cost().capacity(32), 1e-6);
        assertEquals(fast / 3, models.get(0).cost().capacity(32), 1e-6);
        assertEquals((3 + 1.0 / 3) * fast, DispatchBenchmark.capacity(models, 32), 1e-6);
        assertEquals(0.8 * (3 + 1.0 / 3) * fast, o.offeredRate(), 1e-6);
    }

    @Test
    void capacityFollowsTheOptions() {
        DispatchBenchmark.Options o = DispatchBenchmark.Options.parse(new String[] {
            "--replicas", "3", "--slowdown", "2", "--load", "0.5", "--fixed-us", "1000", "--per-item-us", "100",
            "--max-batch", "10"});
        double fast = 10 / 0.002; // 1 ms + 10 * 0.1 ms
        assertEquals(2 * fast + fast / 2, DispatchBenchmark.capacity(o.models(), 10), 1e-6);
        assertEquals(0.5 * 2.5 * fast, o.offeredRate(), 1e-6);
    }

    @Test
    void optionsRefuseNonsense() {
        assertThrows(IllegalArgumentException.class, () -> DispatchBenchmark.Options.parse(new String[] {"--replicas", "1"}));
        assertThrows(IllegalArgumentException.class, () -> DispatchBenchmark.Options.parse(new String[] {"--policy", "lazy"}));
        assertThrows(IllegalArgumentException.class, () -> DispatchBenchmark.Options.parse(new String[] {"--repeat", "0"}));
        assertThrows(IllegalArgumentException.class, () -> DispatchBenchmark.Options.parse(new String[] {"--bogus", "1"}));
        assertThrows(IllegalArgumentException.class, () -> DispatchBenchmark.Options.parse(new String[] {"--load"}));
    }

    @Test
    void runFiguresComeFromTheWindowCounters() {
        Histogram h = new Histogram(3);
        DispatchBenchmark.Run r = new DispatchBenchmark.Run("pull", 2.0, 1_000, 0, 0, new long[] {10, 30, 30, 30},
                new long[] {100, 300, 300, 300}, h, h);
        assertEquals(500, r.throughput(), 1e-9);
        assertEquals(10, r.meanBatch(), 1e-9);
        assertEquals(0.1, r.slowShare(), 1e-9);
        assertEquals(10, r.slowMeanBatch(), 1e-9);
        assertEquals(-1, r.latency(99));
    }

    @Test
    void ratiosPairTheRunsOfARepetition() {
        List<DispatchBenchmark.Run> pull = List.of(run("pull", 2_000_000), run("pull", 3_000_000));
        List<DispatchBenchmark.Run> p2c = List.of(run("p2c", 4_000_000), run("p2c", 3_000_000));
        assertArrayEquals(new double[] {0.5, 1.0}, DispatchBenchmark.ratios(pull, p2c, 50), 0.001);
    }

    private static DispatchBenchmark.Run run(String dispatch, long latencyNanos) {
        Histogram h = new Histogram(3);
        h.recordValue(latencyNanos);
        return new DispatchBenchmark.Run(dispatch, 1, 1, 0, 0, new long[] {1}, new long[] {1}, h, h);
    }
}
