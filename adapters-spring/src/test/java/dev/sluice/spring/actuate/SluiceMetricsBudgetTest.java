package dev.sluice.spring.actuate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.Deployment;
import dev.sluice.DeploymentHandle;
import dev.sluice.Resources;
import dev.sluice.Sluice;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The execution budget's gauges read the runtime's budget as it is when scraped. */
class SluiceMetricsBudgetTest {

    @Test
    void theBudgetGaugesShowTheCpusHeldAndTheCallsWaiting() throws Exception {
        CountDownLatch gate = new CountDownLatch(1);
        CountDownLatch entered = new CountDownLatch(1);
        try (Sluice sluice = Sluice.builder().resources(Resources.builder().cpus(1).build()).build()) {
            SimpleMeterRegistry registry = new SimpleMeterRegistry();
            new SluiceMetrics(() -> sluice).bindTo(registry);
            DeploymentHandle<Integer, Integer> h = sluice.deploy(Deployment.<Integer, Integer>builder("held", ctx -> batch -> {
                entered.countDown();
                gate.await();
                return batch;
            }).replicas(2).build());
            h.awaitReady(Duration.ofSeconds(10));
            assertEquals(1.0, registry.get("sluice.budget.cpus").gauge().value());
            assertEquals(0.0, registry.get("sluice.budget.cpus.used").gauge().value());

            CompletableFuture<Integer> running = h.submit(1);
            assertTrue(entered.await(10, TimeUnit.SECONDS));
            CompletableFuture<Integer> waiting = h.submit(2);
            long giveUpAt = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (registry.get("sluice.budget.waiting").gauge().value() != 1.0) {
                assertTrue(System.nanoTime() < giveUpAt, "the second call never waited for the budget");
                Thread.onSpinWait(); // its replica's thread comes to the budget on its own
            }
            assertEquals(1.0, registry.get("sluice.budget.cpus.used").gauge().value());

            gate.countDown();
            assertEquals(List.of(1, 2), List.of(running.get(10, TimeUnit.SECONDS), waiting.get(10, TimeUnit.SECONDS)));
        } finally {
            gate.countDown();
        }
    }
}
