package dev.sluice;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The autoscaling rule on a simulated deployment: time moves in 100 ms control passes, and the load is
 * the busy time the replicas accumulate (capped at the replica count: a replica is busy at most all the
 * time). No threads, no sleeping.
 */
class AutoscalerTest {
    private static final long PASS = Duration.ofMillis(100).toNanos();
    private static final AutoscalingPolicy POLICY = AutoscalingPolicy.builder()
            .targetUtilization(0.5).tolerance(0.2)
            .lookBack(Duration.ofSeconds(2)).upscaleDelay(Duration.ofSeconds(3)).downscaleDelay(Duration.ofSeconds(10))
            .build();

    /** A deployment driven by an offered load in replica-equivalents of work per unit time. */
    private static final class Simulation {
        final Autoscaler autoscaler;
        final int min;
        final int max;
        long now;
        long busy;
        int replicas;
        int queue;
        final List<Integer> history = new ArrayList<>();
        Autoscaler.Decision last;

        Simulation(AutoscalingPolicy policy, int min, int max, int replicas) {
            this.autoscaler = new Autoscaler(policy);
            this.min = min;
            this.max = max;
            this.replicas = replicas;
        }

        /** Runs passes for {@code seconds} at {@code load} (busy replica-equivalents wanted). */
        void run(double seconds, double load) {
            run(seconds, () -> load);
        }

        void run(double seconds, java.util.function.DoubleSupplier load) {
            int passes = (int) Math.round(seconds * 10);
            for (int i = 0; i < passes; i++) {
                now += PASS;
                double wanted = load.getAsDouble();
                double served = Math.min(wanted, replicas);
                busy += (long) (served * PASS);
                // Work that does not fit waits in the queue (in requests, 8 per batch here).
                queue = wanted > replicas ? (int) ((wanted - replicas) * 8 * 4) : 0;
                last = autoscaler.decide(now, busy, 0, -1, queue, replicas, min, max, 8, true);
                replicas = last.target();
                history.add(replicas);
            }
        }

        int changesIn(int fromPass) {
            int changes = 0;
            for (int i = Math.max(1, fromPass); i < history.size(); i++) {
                if (!history.get(i).equals(history.get(i - 1))) {
                    changes++;
                }
            }
            return changes;
        }
    }

    /**
     * Replicas that batch, with a batch costing {@code a + b*n}: each replica's share of the arrivals forms
     * batches of the size that keeps it just busy (eager batching), so small batches at light load make
     * every replica look busy. The autoscaler is given the exact cost of an input in a full batch.
     */
    private static final class BatchingFleet {
        final Autoscaler autoscaler = new Autoscaler(POLICY);
        final double a;
        final double b;
        final int maxBatch;
        long now;
        long busy;
        long items;
        double queue;
        int replicas;
        final List<Integer> history = new ArrayList<>();
        Autoscaler.Decision last;

        BatchingFleet(double aSeconds, double bSeconds, int maxBatch, int replicas) {
            this.a = aSeconds;
            this.b = bSeconds;
            this.maxBatch = maxBatch;
            this.replicas = replicas;
        }

        double capacityPerReplica() {
            return maxBatch / (a + b * maxBatch);
        }

        void run(double seconds, double arrivalsPerSecond, int min, int max) {
            double pass = PASS / 1e9;
            for (int i = 0; i < (int) Math.round(seconds * 10); i++) {
                now += PASS;
                double capacity = replicas * capacityPerReplica();
                double offered = arrivalsPerSecond + queue / pass;
                double served = Math.min(offered, capacity);
                queue = Math.max(0, (offered - served) * pass);
                double perReplica = served / Math.max(1, replicas);
                double busyEach;
                if (served >= capacity) {
                    busyEach = 1;
                } else {
                    double n = Math.max(1, Math.min(maxBatch, perReplica * a / (1 - perReplica * b)));
                    busyEach = Math.min(1, perReplica / n * (a + b * n));
                }
                busy += (long) (busyEach * replicas * PASS);
                items += (long) (served * pass);
                last = autoscaler.decide(now, busy, items, (a / maxBatch + b) * 1e9, (int) queue, replicas, min,
                        max, maxBatch, true);
                replicas = last.target();
                history.add(replicas);
            }
        }
    }

    @Test
    void replicasThatLookBusyOnlyBecauseTheirBatchesAreSmallScaleDown() {
        // 10 ms + 0.5 ms per item, batches up to 32: one replica serves 1,231/s at full batches. At 400/s
        // four replicas each run batches of about one, back to back, and are busy all the time; the inputs
        // need 400 * (10/32 + 0.5) ms = 0.33 replicas of work.
        BatchingFleet f = new BatchingFleet(0.010, 0.0005, 32, 4);
        f.run(30, 400, 1, 4);
        assertEquals(1, f.replicas, f.history.toString());
        assertTrue(f.last.reason().contains("0.33 replicas' work at full batches"), f.last.reason());
        f.run(30, 400, 1, 4);
        assertEquals(1, f.replicas, "and it stays there: " + f.history.subList(300, 600));
    }

    @Test
    void aStepTo80PercentOfFourReplicasAtFullBatchesScalesToFourAndStays() {
        BatchingFleet f = new BatchingFleet(0.010, 0.0005, 32, 1);
        double fourAt80 = 0.8 * 4 * f.capacityPerReplica();
        f.run(10, 0.1 * 4 * f.capacityPerReplica(), 1, 4);
        assertEquals(1, f.replicas, f.history.toString());
        f.run(30, fourAt80, 1, 4);
        List<Integer> afterStep = f.history.subList(100, 400);
        int reached = afterStep.indexOf(4);
        assertTrue(reached >= 0 && reached < 60, "four within lookBack + upscale delays: " + afterStep);
        assertTrue(afterStep.subList(reached, afterStep.size()).stream().allMatch(n -> n == 4),
                "and held, no flapping: " + afterStep);
    }

    @Test
    void aSteadyLoadSettlesAndStaysSettled() {
        Random noise = new Random(42);
        Simulation s = new Simulation(POLICY, 1, 10, 1);
        // 2.2 replicas' worth of work, +-10% noise per pass; target 0.5 wants ceil(2.2 / 0.5) = 5.
        s.run(60, () -> 2.2 * (0.9 + 0.2 * noise.nextDouble()));
        int settledAt = s.history.size() - 1;
        while (settledAt > 0 && s.history.get(settledAt - 1).equals(s.history.get(settledAt))) {
            settledAt--;
        }
        assertTrue(settledAt < 200, "settled within 20 s, at pass " + settledAt + ": " + s.history);
        assertEquals(0, s.changesIn(200), "no change in the last 40 s: " + s.history.subList(200, 600));
        int settled = s.replicas;
        assertTrue(settled >= 5 && settled <= 6, "ceil(load / target) replicas, with noise: " + settled);
    }

    @Test
    void aLoadRightAtABoundaryDoesNotFlap() {
        // 1.0 busy at target 0.5: up wants 2; down (tolerance 0.2) wants ceil(1.0 / 0.4) = 3 > 2: hold.
        Random noise = new Random(7);
        Simulation s = new Simulation(POLICY, 1, 10, 2);
        s.run(120, () -> 1.0 * (0.95 + 0.1 * noise.nextDouble()));
        assertTrue(s.changesIn(0) <= 1, "at most one move, then steady: " + s.history);
    }

    @Test
    void aLoadStepScalesUpWithinLookBackPlusUpscaleDelayAndBackDownAfterTheDownscaleDelay() {
        Simulation s = new Simulation(POLICY, 1, 4, 1);
        s.run(10, 0.3); // 10 s quiet: one replica
        assertEquals(1, s.replicas);
        int step = s.history.size();
        s.run(10, 3.2); // needs ceil(3.2 / 0.5) = 7, capped at 4
        int reached = s.history.subList(step, s.history.size()).indexOf(4);
        assertTrue(reached >= 0, "reached 4: " + s.history);
        double seconds = (reached + 1) / 10.0;
        assertTrue(seconds >= 3.0, "not before the upscale delay: " + seconds + " s");
        assertTrue(seconds <= 2.0 + 3.0 + 0.2, "within lookBack + upscaleDelay: " + seconds + " s");

        int drop = s.history.size();
        s.run(30, 0.3);
        List<Integer> after = s.history.subList(drop, s.history.size());
        int firstDown = -1;
        for (int i = 0; i < after.size(); i++) {
            if (after.get(i) < 4) {
                firstDown = i;
                break;
            }
        }
        assertTrue(firstDown >= 0, "scaled down: " + after);
        assertTrue((firstDown + 1) / 10.0 >= 10.0, "not before the downscale delay: " + (firstDown + 1) / 10.0 + " s");
        assertEquals(1, s.replicas, "back to one after the quiet period: " + after);
    }

    @Test
    void aBurstThatEndsBeforeTheUpscaleDelayDoesNotScale() {
        // A burst stays in the look-back average for lookBack (2 s) after it ends, so the wish to scale up
        // lasts burst + 2 s; a 0.5 s burst stays under the 3 s delay.
        Simulation s = new Simulation(POLICY, 1, 4, 1);
        s.run(5, 0.3);
        s.run(0.5, 3.0);
        s.run(10, 0.3);
        assertTrue(s.history.stream().allMatch(n -> n == 1), s.history.toString());
    }

    @Test
    void scalesToZeroAfterTheDownscaleDelayWithoutLoadAndFromZeroAtOnce() {
        Simulation s = new Simulation(POLICY, 0, 4, 1);
        s.run(9.5, 0);
        assertEquals(1, s.replicas, "not before the downscale delay");
        s.run(2, 0);
        assertEquals(0, s.replicas);
        assertEquals(1, s.changesIn(0), "one step, 1 -> 0: " + s.history);

        s.now += PASS;
        Autoscaler.Decision d = s.autoscaler.decide(s.now, s.busy, 0, -1, 1, 0, 0, 4, 8, true);
        assertEquals(1, d.target(), "a waiting request at zero starts a replica without delay");
        assertTrue(d.reason().contains("no replica"), d.reason());
    }

    @Test
    void staysWithinMinAndMax() {
        Simulation s = new Simulation(POLICY, 2, 3, 2);
        s.run(20, 10);
        assertEquals(3, s.replicas);
        s.run(30, 0);
        assertEquals(2, s.replicas);
    }

    @Test
    void neverScalesDownWhileDraining() {
        Autoscaler a = new Autoscaler(POLICY);
        long now = 0;
        Autoscaler.Decision d = null;
        for (int i = 0; i < 300; i++) {
            now += PASS;
            d = a.decide(now, 0, 0, -1, 0, 3, 0, 4, 8, false);
        }
        assertEquals(3, d.target());
    }

    @Test
    void repeatedPassesAtOneInstantChangeNothing() {
        Simulation once = new Simulation(POLICY, 1, 4, 1);
        Simulation twice = new Simulation(POLICY, 1, 4, 1);
        for (int i = 0; i < 100; i++) {
            once.run(0.1, 3.0);
            twice.run(0.1, 3.0);
            twice.last = twice.autoscaler.decide(twice.now, twice.busy, 0, -1, twice.queue, twice.replicas, 1, 4, 8, true);
            twice.replicas = twice.last.target();
        }
        assertEquals(once.history, twice.history);
    }

    @Test
    void theDecisionSaysWhatItMeasured() {
        Simulation s = new Simulation(POLICY, 1, 4, 1);
        s.run(3, 1.0);
        assertTrue(s.last.reason().contains("1.00 busy"), s.last.reason());
        assertTrue(s.last.reason().contains("target 0.50"), s.last.reason());
        assertTrue(s.last.action() == AutoscalerAction.WAITING_TO_SCALE_UP || s.last.action() == AutoscalerAction.SCALE_UP,
                s.last.action().toString());
    }
}
