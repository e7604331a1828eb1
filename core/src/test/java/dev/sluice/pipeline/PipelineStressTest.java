package dev.sluice.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.sluice.Deployment;
import dev.sluice.DeploymentHandle;
import dev.sluice.Resources;
import dev.sluice.Sluice;
import dev.sluice.batching.OverloadedException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;

/**
 * Producers run a diamond pipeline with a deployment call, a fan-out, a flaky retried step and a join,
 * with random deadlines and cancellations, over a deployment whose model sometimes fails. Every future must
 * end exactly once, with the right value or an error that fits, and nothing may stay in flight.
 */
class PipelineStressTest {
    private static final int PRODUCERS = 4;
    private static final int PER_PRODUCER = 2_500;

    @Test
    void everyPipelineRequestEndsExactlyOnce() throws Exception {
        AtomicInteger modelBatches = new AtomicInteger();
        try (Sluice sluice = Sluice.builder().resources(Resources.builder().cpus(4).build()).build()) {
            DeploymentHandle<Integer, Integer> model = sluice.deploy(Deployment.<Integer, Integer>builder("square",
                    ctx -> batch -> {
                        if (modelBatches.incrementAndGet() % 97 == 0) {
                            throw new IllegalStateException("model hiccup");
                        }
                        LockSupport.parkNanos(20_000);
                        return batch.stream().map(x -> x * x).toList();
                    }).replicas(2).batching(b -> b.maxBatchSize(32).maxDelay(Duration.ofMillis(1))
                            .queueCapacity(1 << 16)).build());
            model.awaitReady(Duration.ofSeconds(10));

            Pipeline.Builder<Integer> b = Pipeline.<Integer>builder("stress").maxInFlight(20_000)
                    // The producers offer far more than the model can do; this test is about how requests end
                    // under retries, failures and cancellation, so it admits them all (the next test refuses).
                    .unboundedLatency();
            Ref<Integer> squared = b.step("square").retry(RetryPolicy.attempts(3).noBackoff()).call(model, b.input());
            Ref<List<Integer>> spread = b.step("spread").apply((Integer x) -> List.of(x, x + 1, x + 2), b.input());
            Ref<List<Integer>> each = b.step("each").retry(RetryPolicy.attempts(3).noBackoff()).each(model, spread);
            Ref<Integer> flaky = b.step("flaky").retry(RetryPolicy.attempts(4).noBackoff()).apply((Integer x) -> {
                if (ThreadLocalRandom.current().nextInt(10) == 0) {
                    throw new IllegalStateException("flake");
                }
                return x;
            }, squared);
            Ref<Integer> sum = b.step("sum").apply((Integer s, List<Integer> e) -> s + e.stream().mapToInt(v -> v).sum(),
                    flaky, each);
            Pipeline<Integer, Integer> p = b.build(sum);

            List<List<CompletableFuture<Result<Integer>>>> all = new ArrayList<>();
            List<Thread> producers = new ArrayList<>();
            for (int t = 0; t < PRODUCERS; t++) {
                List<CompletableFuture<Result<Integer>>> mine = new ArrayList<>(PER_PRODUCER);
                all.add(mine);
                Thread producer = new Thread(() -> {
                    ThreadLocalRandom rnd = ThreadLocalRandom.current();
                    for (int i = 0; i < PER_PRODUCER; i++) {
                        int roll = rnd.nextInt(100);
                        CompletableFuture<Result<Integer>> f = roll < 10
                                ? p.submit(i % 1000, Duration.ofMillis(1 + rnd.nextInt(20))) : p.submit(i % 1000);
                        mine.add(f);
                        if (roll >= 97) {
                            f.cancel(false);
                        }
                        if ((i & 31) == 0) {
                            LockSupport.parkNanos(500_000);
                        }
                    }
                });
                producers.add(producer);
                producer.start();
            }
            for (Thread t : producers) {
                t.join();
            }
            int ok = 0;
            int failed = 0;
            int cancelled = 0;
            int overloaded = 0;
            for (List<CompletableFuture<Result<Integer>>> mine : all) {
                for (int i = 0; i < mine.size(); i++) {
                    int x = i % 1000;
                    try {
                        Result<Integer> r = mine.get(i).get(30, TimeUnit.SECONDS);
                        assertEquals(x * x + x * x + (x + 1) * (x + 1) + (x + 2) * (x + 2), r.value());
                        assertEquals(Trace.Outcome.OK, r.trace().outcome());
                        ok++;
                    } catch (CancellationException e) {
                        cancelled++;
                    } catch (ExecutionException e) {
                        if (e.getCause() instanceof PipelineStepException s) {
                            assertTrue(s.trace() != null && s.trace().outcome() == Trace.Outcome.FAILED, "failures carry their trace");
                            failed++;
                        } else if (e.getCause() instanceof OverloadedException) {
                            overloaded++;
                        } else {
                            fail("unexpected failure: " + e.getCause());
                        }
                    }
                }
            }
            String outcome = ok + " ok, " + failed + " failed, " + cancelled + " cancelled, " + overloaded + " overloaded";
            assertEquals(PRODUCERS * PER_PRODUCER, ok + failed + cancelled + overloaded, outcome);
            assertTrue(ok > PRODUCERS * PER_PRODUCER / 2, outcome);
            assertTrue(cancelled > 0, "the cancellations raced the steps: " + outcome);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (p.inFlight() > 0 && System.nanoTime() < deadline) {
                Thread.sleep(5);
            }
            assertEquals(0, p.inFlight(), "nothing stays in flight");
            assertEquals(0, p.admission().inFlight(), "the admission counts nothing in flight");
            assertEquals(0, p.admission().workInFlight());
        }
    }

    /**
     * Producers outrun a step that two threads serve, under a tight latency bound, so admission refuses often
     * while requests end on the step's threads: every future still ends exactly once, as a value or as a
     * time-based refusal, and the admission's books balance.
     */
    @Test
    void underATightLatencyBoundEveryRequestEndsOnceAsAValueOrARefusal() throws Exception {
        java.util.concurrent.ExecutorService twoThreads = java.util.concurrent.Executors.newFixedThreadPool(2);
        try {
            Pipeline.Builder<Integer> b = Pipeline.<Integer>builder("tight").latencyBound(Duration.ofMillis(2))
                    .maxInFlight(1 << 20);
            Ref<Integer> out = b.step("work").run(Task.async((Integer x) -> CompletableFuture.supplyAsync(() -> {
                LockSupport.parkNanos(100_000);
                return x + 1;
            }, twoThreads)), b.input());
            Pipeline<Integer, Integer> p = b.build(out);
            // Admission refuses only once it has measured its rate (in one busy period: 50 ms, and as many runs
            // ended as were in flight): measure it first, with bursts long enough for that.
            for (int round = 0; p.admission().workPerSecond() == 0; round++) {
                assertTrue(round < 100, "no rate measured after " + round + " bursts: " + p.admission());
                List<CompletableFuture<Result<Integer>>> burst = new ArrayList<>();
                for (int i = 0; i < 2_000; i++) {
                    burst.add(p.submit(i));
                }
                for (CompletableFuture<Result<Integer>> f : burst) {
                    f.handle((r, e) -> r).get(30, TimeUnit.SECONDS); // one refused once the rate is in is fine
                }
            }
            long refusedWhileLearning = p.admission().refused();

            List<List<CompletableFuture<Result<Integer>>>> all = new ArrayList<>();
            List<Thread> producers = new ArrayList<>();
            for (int t = 0; t < PRODUCERS; t++) {
                List<CompletableFuture<Result<Integer>>> mine = new ArrayList<>(PER_PRODUCER);
                all.add(mine);
                Thread producer = new Thread(() -> {
                    for (int i = 0; i < PER_PRODUCER; i++) {
                        mine.add(p.submit(i));
                    }
                });
                producers.add(producer);
                producer.start();
            }
            for (Thread t : producers) {
                t.join();
            }
            int ok = 0;
            int refused = 0;
            for (List<CompletableFuture<Result<Integer>>> mine : all) {
                for (int i = 0; i < mine.size(); i++) {
                    try {
                        assertEquals(i + 1, mine.get(i).get(30, TimeUnit.SECONDS).value());
                        ok++;
                    } catch (ExecutionException e) {
                        if (!(e.getCause() instanceof OverloadedException o)
                                || o.limit() != OverloadedException.Limit.EXPECTED_LATENCY) {
                            fail("unexpected failure: " + e.getCause());
                        }
                        refused++;
                    }
                }
            }
            String outcome = ok + " ok, " + refused + " refused";
            assertEquals(PRODUCERS * PER_PRODUCER, ok + refused, outcome);
            assertTrue(ok > 0 && refused > 0, "both admitted and refused: " + outcome);
            assertEquals(refused, p.admission().refused() - refusedWhileLearning, outcome);
            assertEquals(0, p.inFlight());
            assertEquals(0, p.admission().inFlight());
            assertEquals(0, p.admission().workInFlight());
        } finally {
            twoThreads.shutdownNow();
        }
    }
}
