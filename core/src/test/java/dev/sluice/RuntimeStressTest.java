package dev.sluice;

import static dev.sluice.batching.Eventually.eventually;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.sluice.batching.DeadlineExceededException;
import dev.sluice.batching.ModelException;
import dev.sluice.batching.OverloadedException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;

/**
 * Producers submit while the runtime autoscales, replicas hang past the watchdog or throw Errors and are
 * replaced, health checks run, and the model is swapped mid-way. Every future must end exactly once,
 * with the right value or a typed error that fits what happened to it.
 */
class RuntimeStressTest {
    private static final int PRODUCERS = 4;
    private static final int PER_PRODUCER = 15_000;
    /** Inputs that make a replica hang (until the test ends) or throw an Error. */
    private static final int HANG_EVERY = 4001;
    private static final int ERROR_EVERY = 3001;

    private final CountDownLatch endOfTest = new CountDownLatch(1);
    private final AtomicInteger models = new AtomicInteger();

    private Model<Integer, Integer> model(int offset) {
        models.incrementAndGet();
        return batch -> {
            for (int x : batch) {
                if (x > 0 && x % HANG_EVERY == 0) {
                    endOfTest.await();
                }
                if (x > 0 && x % ERROR_EVERY == 0) {
                    throw new AssertionError("model corrupted by input " + x);
                }
            }
            LockSupport.parkNanos(50_000 + 5_000L * batch.size());
            List<Integer> out = new ArrayList<>(batch.size());
            batch.forEach(x -> out.add(x + offset));
            return out;
        };
    }

    @Test
    void everyRequestEndsExactlyOnceThroughScalingFailuresAndASwap() throws Exception {
        Sluice sluice = Sluice.builder().resources(Fixtures.cpus(6)).controlPeriod(Duration.ofMillis(10)).build();
        try {
            DeploymentHandle<Integer, Integer> h = sluice.deploy(Deployment.<Integer, Integer>builder("stress",
                            ctx -> model(0))
                    .replicas(1, 4)
                    .batching(b -> b.maxBatchSize(16).maxDelay(Duration.ofMillis(1)).queueCapacity(8192))
                    .autoscaling(AutoscalingPolicy.builder().targetUtilization(0.5).lookBack(Duration.ofMillis(200))
                            .upscaleDelay(Duration.ofMillis(100)).downscaleDelay(Duration.ofMillis(300)).build())
                    .watchdog(Duration.ofMillis(300))
                    .healthCheck(Duration.ofMillis(50), Duration.ofSeconds(2))
                    .idempotent(true)
                    .build());
            h.awaitReady(Duration.ofSeconds(10));

            List<List<CompletableFuture<Integer>>> futures = new ArrayList<>();
            AtomicInteger submitted = new AtomicInteger();
            List<Thread> producers = new ArrayList<>();
            for (int p = 0; p < PRODUCERS; p++) {
                List<CompletableFuture<Integer>> mine = new ArrayList<>(PER_PRODUCER);
                futures.add(mine);
                Thread t = new Thread(() -> {
                    ThreadLocalRandom rnd = ThreadLocalRandom.current();
                    for (int i = 0; i < PER_PRODUCER; i++) {
                        int roll = rnd.nextInt(100);
                        CompletableFuture<Integer> f = roll < 10
                                ? h.submit(i, Duration.ofMillis(1 + rnd.nextInt(30))) : h.submit(i);
                        mine.add(f);
                        submitted.incrementAndGet();
                        if (roll == 99) {
                            f.cancel(false);
                        }
                        if ((i & 7) == 0) {
                            LockSupport.parkNanos(rnd.nextInt(200_000, 2_000_000)); // bursts and lulls
                        }
                    }
                });
                producers.add(t);
                t.start();
            }
            // The swap lands in the middle of the traffic, however fast this machine sends it.
            eventually("a quarter of the traffic sent", () -> submitted.get() >= PRODUCERS * PER_PRODUCER / 4);
            CompletableFuture<Void> swapped = h.update(ctx -> model(0));
            for (Thread t : producers) {
                t.join();
            }
            swapped.get(30, TimeUnit.SECONDS);

            int values = 0;
            int lost = 0;
            int expired = 0;
            int cancelled = 0;
            int overloaded = 0;
            for (List<CompletableFuture<Integer>> mine : futures) {
                for (int i = 0; i < mine.size(); i++) {
                    boolean poison = i > 0 && (i % HANG_EVERY == 0 || i % ERROR_EVERY == 0);
                    try {
                        assertEquals(i, mine.get(i).get(30, TimeUnit.SECONDS));
                        assertTrue(!poison, "a poison input never yields a value: " + i);
                        values++;
                    } catch (CancellationException e) {
                        cancelled++;
                    } catch (ExecutionException e) {
                        Throwable c = e.getCause();
                        if (c instanceof DeadlineExceededException) {
                            expired++;
                        } else if (c instanceof OverloadedException) {
                            overloaded++;
                        } else if (c instanceof ModelException m) {
                            boolean lostNeighbour = m.getMessage().contains("replica was lost");
                            assertTrue(poison || lostNeighbour, "unexpected model failure for " + i + ": " + m);
                            assertTrue(m.replica() != null && m.replica().startsWith("stress#"), m.getMessage());
                            lost++;
                        } else {
                            fail("unexpected failure for " + i + ": " + c);
                        }
                    }
                }
            }
            assertEquals(PRODUCERS * PER_PRODUCER, values + lost + expired + cancelled + overloaded);
            String outcome = values + " served, " + lost + " lost, " + expired + " expired, " + cancelled
                    + " cancelled, " + overloaded + " overloaded";
            assertTrue(values > PRODUCERS * PER_PRODUCER / 2, "most were served: " + outcome);
            assertTrue(lost > 0, "poison inputs failed their replicas");
            assertTrue(models.get() > 2, "replicas were replaced and swapped: " + models.get() + " models made");
            assertEquals(0, h.status().queueDepth());
        } finally {
            endOfTest.countDown();
            sluice.close(Duration.ofSeconds(10));
        }
    }
}
