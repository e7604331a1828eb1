package dev.sluice.spring;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.Deployment;
import dev.sluice.grpc.OipGrpcClient;
import dev.sluice.grpc.SluiceGrpcServer;
import dev.sluice.spring.grpc.SluiceGrpcAutoConfiguration;
import dev.sluice.spring.grpc.SluiceGrpcLifecycle;
import dev.sluice.spring.grpc.SluiceGrpcProperties;
import dev.sluice.tensor.Tensor;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** With sluice-grpc on the class path, the application serves the protocol over gRPC on sluice.grpc.port. */
class SluiceGrpcAutoConfigurationTest {
    private final ApplicationContextRunner runner = new ApplicationContextRunner()
            .withConfiguration(AutoConfigurations.of(SluiceAutoConfiguration.class, SluiceGrpcAutoConfiguration.class))
            .withUserConfiguration(Doubler.class)
            .withPropertyValues("sluice.grpc.port=0", "sluice.grpc.address=127.0.0.1");

    @Configuration(proxyBeanMethods = false)
    static class Doubler {
        @Bean
        Deployment<Map<String, Tensor>, Map<String, Tensor>> doubler() {
            return FakeTensorModels.doubler("doubler", new Gate(), FakeTensorModels.recorder(), 16);
        }
    }

    @Test
    void theServerRunsWithTheContextAndServesItsDeployments() {
        AtomicReference<SluiceGrpcLifecycle> lifecycle = new AtomicReference<>();
        runner.run(context -> {
            SluiceGrpcLifecycle grpc = context.getBean(SluiceGrpcLifecycle.class);
            lifecycle.set(grpc);
            assertThat(grpc.isRunning()).isTrue();
            assertThat(grpc.address().getAddress().getHostAddress()).isEqualTo("127.0.0.1");
            try (OipGrpcClient client = OipGrpcClient.connect("127.0.0.1:" + grpc.address().getPort())) {
                Map<String, Tensor> y = client.infer("doubler",
                        List.of(Tensor.ofFloats("x", new long[] {1, 4}, 1, 2, 3, 4)), Duration.ofSeconds(10));
                assertThat(y.get("y").toFloatArray()).containsExactly(2, 4, 6, 8);
            }
        });
        assertThat(lifecycle.get().isRunning()).as("stopped with the context").isFalse();
    }

    @Test
    void theDefaultPortIs8081AndTheDefaultMessageLimit64MiB() {
        SluiceGrpcProperties defaults = new SluiceGrpcProperties();
        assertThat(defaults.getPort()).isEqualTo(8081);
        assertThat(defaults.getMaxInboundMessageSize().toBytes()).isEqualTo(64L * 1024 * 1024);
        assertThat(defaults.isEnabled()).isTrue();
    }

    @Test
    void sluiceGrpcEnabledFalseTurnsItOff() {
        runner.withPropertyValues("sluice.grpc.enabled=false")
                .run(context -> assertThat(context).doesNotHaveBean(SluiceGrpcLifecycle.class));
    }

    @Test
    void withoutSluiceGrpcOnTheClassPathThereIsNoServer() {
        runner.withClassLoader(new FilteredClassLoader(SluiceGrpcServer.class))
                .run(context -> assertThat(context).doesNotHaveBean(SluiceGrpcLifecycle.class));
    }
}
