package dev.sluice.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.AutoscalerAction;
import java.util.List;
import org.junit.jupiter.api.Test;

class AutoscaleStepBenchmarkTest {

    @Test
    void neededIsTheLoadOverTheTargetRoundedUpAndCapped() {
        // 80% of 4 replicas = 3.2 replicas' worth; 3.2 / 0.7 = 4.6, capped at 4.
        assertEquals(4, AutoscaleStepBenchmark.needed(3.2, 0.7, 1, 4));
        assertEquals(5, AutoscaleStepBenchmark.needed(3.2, 0.7, 1, 8));
        // 10% of 4 = 0.4; 0.4 / 0.7 = 0.57.
        assertEquals(1, AutoscaleStepBenchmark.needed(0.4, 0.7, 1, 4));
        // Exactly two replicas' worth at the target is two, not three (rounding noise).
        assertEquals(2, AutoscaleStepBenchmark.needed(1.4, 0.7, 1, 4));
        // Never below one, nor below min.
        assertEquals(1, AutoscaleStepBenchmark.needed(0, 0.7, 0, 4));
        assertEquals(2, AutoscaleStepBenchmark.needed(0.1, 0.7, 2, 4));
    }

    @Test
    void theDefaultModelIsLinearSoTheOfferedLoadIsWhatTheAutoscalerMeasures() {
        AutoscaleStepBenchmark.Options o = new AutoscaleStepBenchmark.Options();
        assertEquals(0, o.cost().batchNanos(0));
        assertEquals(1_000, o.replicaCapacity(), 1e-9);
        assertEquals(400, o.phases().get(0).ratePerSecond(), 1e-9);
        assertEquals(3_200, o.phases().get(1).ratePerSecond(), 1e-9);
    }

    @Test
    void phasesStepFromLowToHighAndBack() {
        AutoscaleStepBenchmark.Options o = AutoscaleStepBenchmark.Options.parse(new String[] {
            "--low-s", "4", "--high-s", "6", "--down-s", "8", "--fixed-us", "1000", "--per-item-us", "100",
            "--max-batch", "10"});
        double one = 10 / 0.002;
        assertEquals(one, o.replicaCapacity(), 1e-6);
        List<PhasedArrivals.Phase> p = o.phases();
        assertEquals(3, p.size());
        assertEquals(0.1 * 4 * one, p.get(0).ratePerSecond(), 1e-6);
        assertEquals(0.8 * 4 * one, p.get(1).ratePerSecond(), 1e-6);
        assertEquals(0.1 * 4 * one, p.get(2).ratePerSecond(), 1e-6);
        assertEquals(6_000_000_000L, p.get(1).durationNanos());
        AutoscaleStepBenchmark.Options noDown = AutoscaleStepBenchmark.Options.parse(new String[] {"--down-s", "0"});
        assertEquals(2, noDown.phases().size());
    }

    @Test
    void optionsBuildThePolicyAndRefuseNonsense() {
        AutoscaleStepBenchmark.Options o = AutoscaleStepBenchmark.Options.parse(new String[] {
            "--look-back-ms", "3000", "--upscale-delay-ms", "500", "--downscale-delay-ms", "7000",
            "--target-utilization", "0.6"});
        assertEquals(3000, o.autoscaling().lookBack().toMillis());
        assertEquals(500, o.autoscaling().upscaleDelay().toMillis());
        assertEquals(7000, o.autoscaling().downscaleDelay().toMillis());
        assertEquals(0.6, o.autoscaling().targetUtilization());
        assertThrows(IllegalArgumentException.class,
                () -> AutoscaleStepBenchmark.Options.parse(new String[] {"--target-utilization", "1.5"}));
        assertThrows(IllegalArgumentException.class,
                () -> AutoscaleStepBenchmark.Options.parse(new String[] {"--look-back-ms", "0"}));
        assertThrows(IllegalArgumentException.class,
                () -> AutoscaleStepBenchmark.Options.parse(new String[] {"--high-s", "0"}));
        assertThrows(IllegalArgumentException.class,
                () -> AutoscaleStepBenchmark.Options.parse(new String[] {"--sample-ms", "0"}));
    }

    @Test
    void csvHasOneRowPerSampleWithTimesFromTheStep() {
        long ms = 1_000_000;
        List<AutoscaleStepBenchmark.Sample> samples = List.of(
                new AutoscaleStepBenchmark.Sample(0, 100, 1, 1, 0, 0, 0, AutoscalerAction.HOLD, "r"),
                new AutoscaleStepBenchmark.Sample(100 * ms, 800, 1, 3, 2, 0, 40, AutoscalerAction.SCALE_UP, "load 1.2, wants 3"),
                new AutoscaleStepBenchmark.Sample(200 * ms, 800, 3, 3, 0, 0, 5, AutoscalerAction.HOLD, "r"));
        LatencyLog log = new LatencyLog();
        long start = 1_000 * ms;
        log.completed(start + 150 * ms, 7 * ms);
        String csv = AutoscaleStepBenchmark.csv(samples, log, start, 100 * ms, 100 * ms);
        String[] lines = csv.split("\n");
        assertEquals(1 + samples.size(), lines.length);
        assertTrue(lines[0].startsWith("t_s,"), lines[0]);
        assertTrue(lines[1].startsWith("-0.100,100.0,1,1,0,0,0,0,,hold"), lines[1]);
        assertTrue(lines[2].startsWith("0.000,800.0,1,3,2,0,40,0,,scale up"), lines[2]);
        assertTrue(lines[3].startsWith("0.100,800.0,3,3,0,0,5,1,7.00"), lines[3]);
    }
}
