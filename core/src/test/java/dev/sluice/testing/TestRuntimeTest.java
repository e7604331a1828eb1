package dev.sluice.testing;

import static dev.sluice.batching.TestFutures.failureOf;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.AutoscalingPolicy;
import dev.sluice.Deployment;
import dev.sluice.DeploymentHandle;
import dev.sluice.DeploymentState;
import dev.sluice.Fixtures;
import dev.sluice.batching.ModelException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The test kit as a user drives it: time moves only with advance(), and the passes it brings run. */
class TestRuntimeTest {
    private static final Duration WAIT = Duration.ofSeconds(10);

    private final TestRuntime runtime = TestRuntime.builder()
            .sluice(b -> b.resources(Fixtures.cpus(2)).closeGracePeriod(Duration.ofSeconds(5)))
            .build();
    private final FakeModel<Integer, Integer> model = FakeModel.<Integer, Integer>builder(x -> 2 * x)
            .hangOn(x -> x == 666).build();

    @AfterEach
    void tearDown() {
        model.releaseHangs();
        runtime.close();
    }

    @Test
    void timeMovesOnlyWhenAdvancedAndInStepsOfTheControlPeriod() {
        long start = runtime.ticker().read();
        runtime.runControlPass();
        assertEquals(start, runtime.ticker().read());
        runtime.advance(Duration.ofMillis(250));
        assertEquals(start + Duration.ofMillis(250).toNanos(), runtime.ticker().read());
        assertThrows(IllegalArgumentException.class, () -> runtime.advance(Duration.ofMillis(-1)));
    }

    @Test
    void anIdleDeploymentScalesToZeroOnlyOnceTheDownscaleDelayHasPassedInRuntimeTime() throws Exception {
        DeploymentHandle<Integer, Integer> h = runtime.sluice().deploy(Deployment.<Integer, Integer>builder("m", ctx -> model)
                .replicas(0, 1).initialReplicas(1).autoscaling(AutoscalingPolicy.builder().lookBack(Duration.ofSeconds(1))
                        .downscaleDelay(Duration.ofSeconds(30)).build()).build());
        assertEquals(4, h.submit(2).get(WAIT.toSeconds(), TimeUnit.SECONDS));

        runtime.advance(Duration.ofSeconds(29));
        assertEquals(1, h.status().targetReplicas(), "29 s of no load: still waiting to scale down");
        runtime.advance(Duration.ofSeconds(3)); // past the delay, counted once the load left the 1 s look-back
        assertEquals(0, h.status().targetReplicas(), h.status().toString());
        runtime.runUntil(() -> h.status().state() == DeploymentState.SCALED_TO_ZERO, WAIT);
    }

    @Test
    void aBatchHungPastTheWatchdogFailsItsRequestOnceThatMuchTimeIsAdvanced() throws Exception {
        DeploymentHandle<Integer, Integer> h = runtime.sluice().deploy(Deployment.<Integer, Integer>builder("m", ctx -> model)
                .watchdog(Duration.ofSeconds(5)).build());
        h.awaitReady(WAIT);
        CompletableFuture<Integer> stuck = h.submit(666);
        runtime.runUntil(() -> model.inputsSeen().contains(666), WAIT);

        runtime.advance(Duration.ofMillis(4900));
        assertTrue(!stuck.isDone(), "not yet past the watchdog");
        runtime.advance(Duration.ofMillis(100));
        ModelException lost = assertInstanceOf(ModelException.class, failureOf(stuck));
        assertTrue(lost.getMessage().contains("watchdog"), lost.getMessage());
    }
}
