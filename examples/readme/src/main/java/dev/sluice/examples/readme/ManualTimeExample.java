package dev.sluice.examples.readme;

import dev.sluice.Deployment;
import dev.sluice.DeploymentHandle;
import dev.sluice.DeploymentState;
import dev.sluice.Resources;
import dev.sluice.batching.BatchPolicy;
import dev.sluice.batching.DynamicBatcher;
import dev.sluice.batching.ManualTicker;
import dev.sluice.testing.FakeModel;
import dev.sluice.testing.TestRuntime;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;

public class ManualTimeExample {
    public static void main(String[] args) {
        FakeModel<String, Integer> model = FakeModel.builder(String::length).build();

        // A batcher on manual time: its policy waits for company until the test moves time.
        ManualTicker time = new ManualTicker();
        try (DynamicBatcher<String, Integer> b = DynamicBatcher.builder(model::predict).ticker(time)
                .maxDelay(Duration.ofMillis(5)).policy(BatchPolicy.fixed()).build()) {
            CompletableFuture<Integer> length = b.submit("hello");
            System.out.println(length.isDone());      // false: waiting up to 5 ms for a full batch
            time.advance(Duration.ofMillis(5));       // the wait is over, at once: the batch of one runs
            System.out.println(length.join());        // 5
        }

        // A runtime on manual time: advance() runs the control passes (autoscaling, health checks, watchdog).
        try (TestRuntime t = TestRuntime.builder().sluice(s -> s.resources(Resources.builder().cpus(2).build())).build()) {
            DeploymentHandle<String, Integer> h = t.sluice().deploy(Deployment.<String, Integer>builder(
                    "lengths", ctx -> model).replicas(0, 1).build());
            System.out.println(h.submit("hi").join());                     // 2
            t.advance(Duration.ofMinutes(5));                              // five idle minutes, in no time: to zero
            t.runUntil(() -> h.status().state() == DeploymentState.SCALED_TO_ZERO, Duration.ofSeconds(10));
            System.out.println(h.status().state());                        // SCALED_TO_ZERO
        }
    }
}
