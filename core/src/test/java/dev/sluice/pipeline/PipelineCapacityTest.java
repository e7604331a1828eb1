package dev.sluice.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.Deployment;
import dev.sluice.DeploymentHandle;
import dev.sluice.Model;
import dev.sluice.Resources;
import dev.sluice.internal.CpuMeter;
import dev.sluice.testing.TestRuntime;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * What a pipeline learns it can do when its load leaves CPUs idle: the rate it finished at, over the share of
 * its runtime's CPU budget that model calls held meanwhile. On a manual clock, with a model whose calls the test
 * starts and ends, so every time and every CPU held is exact.
 */
class PipelineCapacityTest {
    private static final long MS = TimeUnit.MILLISECONDS.toNanos(1);

    /** Calls let through one at a time by the test: each waits for a permit of {@code finish}. */
    private static final class Stepped implements Model<Integer, Integer> {
        final Semaphore started = new Semaphore(0);
        final Semaphore finish = new Semaphore(0);

        @Override
        public List<Integer> predict(List<Integer> batch) throws Exception {
            started.release();
            finish.acquire();
            return batch;
        }
    }

    @Test
    void atHalfTheCpusBusyAPipelineLearnsTwiceTheRateItWasOffered() throws Exception {
        Stepped model = new Stepped();
        try (TestRuntime t = TestRuntime.builder().sluice(b -> b.resources(Resources.builder().cpus(2).build())).build()) {
            // One replica, one request per call, one CPU per call: the calls run one at a time on a 2-CPU budget.
            DeploymentHandle<Integer, Integer> h = t.sluice().deploy(Deployment.<Integer, Integer>builder("m", ctx -> model)
                    .batching(x -> x.maxBatchSize(1)).replicas(1).resources(r -> r.cpus(1)).build());
            h.awaitReady(Duration.ofSeconds(10));
            Pipeline.Builder<Integer> b = Pipeline.<Integer>builder("p").ticker(t.ticker());
            Pipeline<Integer, Integer> p = b.build(b.step("model").call(h, b.input()));

            // Alone: its idle latency, 100 ms.
            CompletableFuture<Result<Integer>> first = p.submit(0);
            step(t, model, first);
            assertEquals(Duration.ofMillis(100), p.admission().idleLatency());
            assertEquals(0.0, p.admission().workPerSecond(), "no rate before a sample with company");

            // Four at once, served one after another in 400 ms: 10 per second, with one CPU of two held all along.
            List<CompletableFuture<Result<Integer>>> four = new ArrayList<>();
            for (int i = 1; i <= 4; i++) {
                four.add(p.submit(i));
            }
            for (CompletableFuture<Result<Integer>> f : four) {
                step(t, model, f);
            }
            assertEquals(0.5, p.admission().budgetUtilization(), 1e-9);
            assertEquals(20.0, p.admission().workPerSecond(), 1e-9,
                    "what it could finish with both CPUs, not the 10 per second it was offered");
        }
    }

    /** Waits for the model's next call to start, lets 100 ms pass, ends the call and waits for {@code run}. */
    private static void step(TestRuntime t, Stepped model, CompletableFuture<Result<Integer>> run) throws Exception {
        assertTrue(model.started.tryAcquire(10, TimeUnit.SECONDS), "the call started");
        t.ticker().advance(Duration.ofMillis(100));
        model.finish.release();
        run.get(10, TimeUnit.SECONDS);
    }

    /** A meter the test sets: {@code held} CPU-milliseconds at {@code at} ms, of two CPUs. */
    private static final class SetMeter implements CpuMeter {
        long held;
        long at;

        @Override
        public Reading read() {
            return new Reading(held * MS, at * MS, 2);
        }
    }

    /**
     * One run alone for 100 ms, then four at once ended together after 400 ms (a busy period of four idle
     * latencies with four runs: one sample of 10 per second) while the meter's CPUs were {@code utilization} busy.
     */
    private static Pipeline.AdmissionStatus sampleAt(double utilization) {
        SetMeter meter = new SetMeter();
        LatencyAdmission a = new LatencyAdmission("p", 0, meter);
        a.admit(1, 0, Long.MAX_VALUE);
        a.ended(1, 100 * MS, true, true, 100 * MS);
        meter.at = 1000;
        meter.held = 5000; // what was held before the busy period does not count
        for (int i = 0; i < 4; i++) {
            a.admit(1, 1000 * MS, Long.MAX_VALUE);
        }
        meter.at = 1400;
        meter.held = 5000 + Math.round(utilization * 2 * 400);
        for (int i = 0; i < 4; i++) {
            a.ended(1, 400 * MS, i == 0, true, 1400 * MS);
        }
        return a.status();
    }

    @Test
    void aSampleIsDividedByTheUtilizationOnlyWhenTheBudgetWasAtLeastHalfUsed() {
        assertEquals(10.0 / 0.75, sampleAt(0.75).workPerSecond(), 1e-6);
        assertEquals(0.75, sampleAt(0.75).budgetUtilization(), 1e-9);
        assertEquals(10.0, sampleAt(1.0).workPerSecond(), 1e-6, "saturated: the rate is what it can do");
        assertEquals(20.0, sampleAt(0.5).workPerSecond(), 1e-6);
        assertEquals(10.0, sampleAt(0.4).workPerSecond(), 1e-6,
                "the budget is not what limits it (remote steps, light load): the rate counts as measured");
        assertEquals(0.4, sampleAt(0.4).budgetUtilization(), 1e-9);
    }

    @Test
    void withoutAMeterTheRateIsAsMeasuredAndNoUtilizationIsShown() {
        LatencyAdmission a = new LatencyAdmission("p", 0);
        a.admit(1, 0, Long.MAX_VALUE);
        a.ended(1, 100 * MS, true, true, 100 * MS);
        for (int i = 0; i < 4; i++) {
            a.admit(1, 1000 * MS, Long.MAX_VALUE);
        }
        for (int i = 0; i < 4; i++) {
            a.ended(1, 400 * MS, i == 0, true, 1400 * MS);
        }
        assertEquals(10.0, a.status().workPerSecond(), 1e-6);
        assertTrue(Double.isNaN(a.status().budgetUtilization()));
    }
}
