package dev.sluice.spring;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.Deployment;
import dev.sluice.DeploymentHandle;
import dev.sluice.Sluice;
import dev.sluice.spring.grpc.SluiceGrpcAutoConfiguration;
import dev.sluice.spring.grpc.SluiceGrpcLifecycle;
import dev.sluice.tensor.Tensor;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.web.server.context.WebServerGracefulShutdownLifecycle;
import org.springframework.context.SmartLifecycle;

/** sluice.shutdown-delay and the order of the shutdown's phases around Spring Boot's web server. */
class GracefulShutdownSettingsTest {
    private final ApplicationContextRunner runner = new ApplicationContextRunner()
            .withConfiguration(AutoConfigurations.of(SluiceAutoConfiguration.class, SluiceGrpcAutoConfiguration.class))
            .withPropertyValues("sluice.grpc.port=0", "sluice.grpc.address=127.0.0.1");

    @Test
    void theDelayIsOffByDefaultOutsideKubernetesAndFiveSecondsOnIt() {
        runner.run(context -> assertThat(context.getBean(GracefulShutdown.class).delay()).isZero());
        runner.withPropertyValues("spring.main.cloud-platform=kubernetes").run(context ->
                assertThat(context.getBean(GracefulShutdown.class).delay()).isEqualTo(Duration.ofSeconds(5)));
        runner.withPropertyValues("spring.main.cloud-platform=kubernetes", "sluice.shutdown-delay=0s").run(context ->
                assertThat(context.getBean(GracefulShutdown.class).delay()).isZero());
        runner.withPropertyValues("sluice.shutdown-delay=3s").run(context ->
                assertThat(context.getBean(GracefulShutdown.class).delay()).isEqualTo(Duration.ofSeconds(3)));
    }

    @Test
    void pausingTheContextAsTheTestFrameworkDoesWithCachedContextsLeavesTheRuntimeServing() {
        runner.withBean("doubler", Deployment.class,
                () -> FakeTensorModels.doubler("doubler", new Gate(), FakeTensorModels.recorder(), 16))
                .run(context -> {
                    context.pause();
                    context.restart();
                    @SuppressWarnings("unchecked")
                    DeploymentHandle<Map<String, Tensor>, Map<String, Tensor>> doubler =
                            (DeploymentHandle<Map<String, Tensor>, Map<String, Tensor>>) context.getBean(Sluice.class)
                                    .deployment("doubler").orElseThrow();
                    Map<String, Tensor> y = doubler.submit(Map.of("x", Tensor.ofFloats("x", new long[] {1, 4},
                            1, 2, 3, 4))).get(10, TimeUnit.SECONDS);
                    assertThat(y.get("y").toFloatArray()).containsExactly(2, 4, 6, 8);
                });
    }

    @Test
    void aNegativeDelayFailsTheStartNamingTheProperty() {
        runner.withPropertyValues("sluice.shutdown-delay=-1s").run(context -> assertThat(context).getFailure()
                .rootCause().hasMessage("sluice.shutdown-delay must not be negative, was PT-1S"));
    }

    @Test
    void theRuntimeFailsWhatIsLeftBeforeTheDrainPhaseTimesOutSoTheAnswersStillGoOut() {
        runner.withPropertyValues("sluice.shutdown-grace-period=10s", "spring.lifecycle.timeout-per-shutdown-phase=30s")
                .run(context -> assertThat(context.getBean(GracefulShutdown.class).runtimeGrace())
                        .isEqualTo(Duration.ofSeconds(10)));
        runner.withPropertyValues("sluice.shutdown-grace-period=30s") // the phase timeout's default: 30 s
                .run(context -> assertThat(context.getBean(GracefulShutdown.class).runtimeGrace())
                        .isEqualTo(Duration.ofSeconds(28)));
    }

    @Test
    void unreadyFirstThenTheTransportsDrainWithTheWebServerThenTheRuntimeClosesBeforeTheWebServerStops() {
        runner.run(context -> {
            int delay = context.getBean("sluiceShutdownDelay", SmartLifecycle.class).getPhase();
            int drain = context.getBean("sluiceShutdownDeadline", SmartLifecycle.class).getPhase();
            int runtime = context.getBean("sluiceRuntimeShutdown", SmartLifecycle.class).getPhase();
            assertThat(drain).isEqualTo(WebServerGracefulShutdownLifecycle.SMART_LIFECYCLE_PHASE)
                    .isEqualTo(context.getBean(SluiceGrpcLifecycle.class).getPhase());
            assertThat(delay).isGreaterThan(drain); // stopped first
            // Spring Boot's WebServerStartStopLifecycle (package-private) stops the web server 1024 below the drain.
            assertThat(runtime).isLessThan(drain).isGreaterThan(drain - 1024);
        });
    }
}
