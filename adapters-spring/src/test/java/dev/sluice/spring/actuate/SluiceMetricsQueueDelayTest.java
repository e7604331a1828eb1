package dev.sluice.spring.actuate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.Deployment;
import dev.sluice.DeploymentHandle;
import dev.sluice.Resources;
import dev.sluice.Sluice;
import dev.sluice.batching.ManualTicker;
import dev.sluice.batching.OverloadedException;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A deployment's admission by expected queue delay in Micrometer: the bound beside the queue depth, and its
 * refusals in {@code sluice.rejected}. On a manual ticker, each call 100 ms of it, batches of one: the default
 * bound is 16 x 100 ms (over the one-second floor).
 */
class SluiceMetricsQueueDelayTest {

    @Test
    void theBoundIsAGaugeOnceMeasuredAndEachRefusalCountsAsQueueDelay() throws Exception {
        ManualTicker ticker = new ManualTicker();
        CountDownLatch[] gate = {new CountDownLatch(0)};
        Semaphore started = new Semaphore(0);
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        Sluice[] runtime = new Sluice[1];
        SluiceMetrics metrics = new SluiceMetrics(() -> runtime[0]);
        try (Sluice sluice = Sluice.builder().resources(Resources.builder().cpus(1).build()).ticker(ticker)
                .observer(metrics).build()) {
            runtime[0] = sluice;
            metrics.bindTo(registry);
            DeploymentHandle<Integer, Integer> h = sluice.deploy(Deployment.<Integer, Integer>builder("scorer", ctx -> batch -> {
                started.release();
                gate[0].await();
                ticker.advance(Duration.ofMillis(100));
                return batch;
            }).batching(b -> b.maxBatchSize(1).maxDelay(Duration.ZERO)).build());
            h.awaitReady(Duration.ofSeconds(10));
            h.submit(0).get(10, TimeUnit.SECONDS); // the meters exist from the first event on
            assertTrue(Double.isNaN(registry.get("sluice.queue.delay.bound").tag("deployment", "scorer").gauge().value()),
                    "no bound before the second measurement");
            h.submit(0).get(10, TimeUnit.SECONDS);
            assertEquals(1.6, registry.get("sluice.queue.delay.bound").tag("deployment", "scorer").gauge().value(), 1e-9);

            gate[0] = new CountDownLatch(1);
            started.drainPermits();
            List<CompletableFuture<Integer>> admitted = new ArrayList<>(List.of(h.submit(-1)));
            assertTrue(started.tryAcquire(10, TimeUnit.SECONDS));
            for (int i = 1; i <= 17; i++) {
                admitted.add(h.submit(i));
            }
            CompletableFuture<Integer> refused = h.submit(99);

            assertTrue(refused.isCompletedExceptionally());
            assertEquals(OverloadedException.Limit.QUEUE_DELAY,
                    ((OverloadedException) refused.handle((v, t) -> t).join()).limit());
            assertEquals(1.0, registry.get("sluice.rejected").tags("deployment", "scorer", "reason", "queue_delay")
                    .counter().count());
            assertEquals(17.0, registry.get("sluice.queue.depth").tag("deployment", "scorer").gauge().value());
            gate[0].countDown();
            for (CompletableFuture<Integer> f : admitted) {
                f.get(10, TimeUnit.SECONDS);
            }
        } finally {
            gate[0].countDown();
        }
    }
}
