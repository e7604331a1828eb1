package dev.sluice.spring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.sluice.Deployment;
import dev.sluice.DeploymentHandle;
import dev.sluice.Resources;
import dev.sluice.Sluice;
import dev.sluice.batching.ShutdownException;
import dev.sluice.onnx.OnnxModel;
import dev.sluice.pipeline.Pipeline;
import dev.sluice.spring.oip.OpenInferenceProtocol;
import dev.sluice.tensor.Tensor;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.AnnotationConfigApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** The runtime beans, what the application may override, start-up deployments and their failures, and close. */
class SluiceAutoConfigurationTest {
    private final ApplicationContextRunner runner = new ApplicationContextRunner()
            .withConfiguration(AutoConfigurations.of(SluiceAutoConfiguration.class));

    @TempDir
    Path dir;

    @Configuration(proxyBeanMethods = false)
    static class TwoDeployments {
        static final Gate GATE = new Gate();

        @Bean
        Deployment<Map<String, Tensor>, Map<String, Tensor>> first() {
            return FakeTensorModels.doubler("first", GATE, FakeTensorModels.recorder(), 16);
        }

        @Bean
        Deployment<String, Integer> second() {
            return Deployment.<String, Integer>builder("second", ctx -> batch -> batch.stream().map(String::length).toList())
                    .resources(r -> r.cpus(0)).build();
        }

        @Bean
        Pipeline<String, Integer> lengths(Sluice sluice) {
            Pipeline.Builder<String> b = Pipeline.builder("lengths");
            return b.build(b.step("length").apply(String::length, b.input()));
        }
    }

    @Test
    void deploymentBeansAreDeployedAtStartUpAndReachableByName() {
        runner.withUserConfiguration(TwoDeployments.class).run(context -> {
            Sluice sluice = context.getBean(Sluice.class);
            assertThat(context.getBean(SluiceDeployments.class).handles()).containsOnlyKeys("first", "second");
            @SuppressWarnings("unchecked")
            DeploymentHandle<String, Integer> second = (DeploymentHandle<String, Integer>) sluice.deployment("second")
                    .orElseThrow();
            assertThat(second.submit("four").get()).isEqualTo(4);
            assertThat(context.getBean(SluicePipelines.class).all()).containsOnlyKeys("lengths");
            assertThat(context).doesNotHaveBean(OpenInferenceProtocol.class); // not a web application
        });
    }

    @Test
    void closingTheContextDrainsAdmittedRequestsThenClosesTheRuntime() throws Exception {
        Map<String, Tensor> x = Map.of("x", Tensor.ofFloats("x", new long[] {1, 4}, 1, 2, 3, 4));
        CompletableFuture<Map<String, Tensor>> admitted;
        DeploymentHandle<Map<String, Tensor>, Map<String, Tensor>> first;
        Thread closer;
        TwoDeployments.GATE.close();
        try {
            AnnotationConfigApplicationContext context = new AnnotationConfigApplicationContext();
            context.register(TwoDeployments.class, SluiceAutoConfiguration.class);
            context.refresh();
            @SuppressWarnings("unchecked")
            DeploymentHandle<Map<String, Tensor>, Map<String, Tensor>> h =
                    (DeploymentHandle<Map<String, Tensor>, Map<String, Tensor>>) context.getBean(Sluice.class)
                            .deployment("first").orElseThrow();
            first = h;
            admitted = first.submit(x);
            closer = new Thread(context::close);
            closer.start();
            // close() refuses new requests at once, while the admitted one is still held by the gate
            await().until(() -> first.submit(x).isCompletedExceptionally());
            assertThat(admitted).isNotDone();
        } finally {
            TwoDeployments.GATE.open();
        }
        closer.join(10_000);
        assertThat(closer.isAlive()).isFalse();
        assertThat(admitted.get().get("y").toFloatArray()).containsExactly(2, 4, 6, 8);
        assertThat(first.submit(x)).failsWithin(Duration.ofSeconds(5)).withThrowableThat()
                .withCauseInstanceOf(ShutdownException.class);
    }

    @Test
    void theApplicationsOwnSluiceAndResourcesBeansAreUsed() {
        Resources oneCpu = Resources.builder().cpus(1).build();
        runner.withBean(Resources.class, () -> oneCpu).run(context -> {
            assertThat(context).hasSingleBean(Resources.class);
            assertThat(context.getBean(Resources.class)).isSameAs(oneCpu);
            assertThat(context.getBean(Sluice.class).status().resources().cpus()).isEqualTo(1);
        });
        Sluice own = Sluice.builder().resources(Resources.builder().cpus(3).build()).build();
        runner.withBean(Sluice.class, () -> own).withUserConfiguration(TwoDeployments.class).run(context -> {
            assertThat(context.getBean(Sluice.class)).isSameAs(own);
            assertThat(own.deployment("first")).isPresent(); // deployed on the application's runtime
        });
    }

    @Test
    void theRequestTimeoutIs30sByDefaultZeroMeansNoneAndANegativeOneStopsStartUp() {
        runner.run(context -> {
            SluiceProperties.Http http = context.getBean(SluiceProperties.class).getHttp();
            assertThat(http.getRequestTimeout()).isEqualTo(Duration.ofSeconds(30));
            assertThat(http.requestTimeoutOrNull()).isEqualTo(Duration.ofSeconds(30));
        });
        runner.withPropertyValues("sluice.http.request-timeout=0")
                .run(context -> assertThat(context.getBean(SluiceProperties.class).getHttp().requestTimeoutOrNull()).isNull());
        runner.withPropertyValues("sluice.http.request-timeout=-1s").run(context -> {
            assertThat(context).hasFailed();
            assertThat(context).getFailure().rootCause()
                    .hasMessageContaining("sluice.http.request-timeout must be positive, or 0 for no limit, was PT-1S");
        });
    }

    @Test
    void twoDeploymentsOfOneNameStopStartUp() {
        runner.withUserConfiguration(TwoDeployments.class)
                .withBean("again", Deployment.class, () -> FakeTensorModels.doubler("first", new Gate(), List.of(), 1))
                .run(context -> assertThat(context).getFailure().rootCause()
                        .hasMessageContaining("Two Deployment beans are named 'first'"));
    }

    @Test
    void anOnnxModelDeclaredInPropertiesIsDeployedWithItsSettings() throws Exception {
        Path model = Files.write(dir.resolve("tiny.onnx"), dev.sluice.onnx.TestModels.identity(4));
        runner.withPropertyValues("sluice.models.tiny.path=" + model, "sluice.models.tiny.max-batch-size=4",
                "sluice.models.tiny.max-delay=1ms", "sluice.models.tiny.queue-capacity=8",
                "sluice.models.tiny.preferred-batch-sizes=2,4", "sluice.models.tiny.max-queue-delay=75ms",
                "sluice.models.tiny.min-replicas=1", "sluice.models.tiny.max-replicas=2", "sluice.models.tiny.cpus=1")
                .run(context -> {
                    assertThat(context).hasNotFailed();
                    @SuppressWarnings("unchecked")
                    DeploymentHandle<Map<String, Tensor>, Map<String, Tensor>> tiny =
                            (DeploymentHandle<Map<String, Tensor>, Map<String, Tensor>>) context.getBean(Sluice.class)
                                    .deployment("tiny").orElseThrow();
                    Deployment<?, ?> d = tiny.deployment();
                    assertThat(d.minReplicas()).isEqualTo(1);
                    assertThat(d.maxReplicas()).isEqualTo(2);
                    assertThat(d.resources().cpus()).isEqualTo(1);
                    assertThat(d.batching().preferredBatchSizes()).containsExactly(2, 4);
                    assertThat(d.batching().maxQueueDelay()).contains(Duration.ofMillis(75));
                    assertThat(tiny.status().queueDelay().maxQueueDelay()).contains(Duration.ofMillis(75));
                    assertThat(d.signature().orElseThrow().inputNames()).containsExactly("x");
                    Map<String, Tensor> y = tiny.submit(Map.of("x", Tensor.ofFloats("x", new long[] {1, 4}, 1, 2, 3, 4)))
                            .get();
                    assertThat(y.get("y").toFloatArray()).containsExactly(1, 2, 3, 4);
                });
    }

    @Test
    void aWrongModelPathStopsStartUpNamingTheProperty() {
        runner.withPropertyValues("sluice.models.rec.path=" + dir.resolve("missing.onnx"))
                .run(context -> assertThat(context).getFailure().rootCause()
                        .hasMessageContaining("sluice.models.rec.path").hasMessageContaining("no file at"));
    }

    @Test
    void aFileThatIsNoModelStopsStartUpNamingTheProperty() throws Exception {
        Path notAModel = Files.writeString(dir.resolve("rec.onnx"), "this is not a protobuf");
        runner.withPropertyValues("sluice.models.rec.path=" + notAModel)
                .run(context -> assertThat(context).getFailure().rootCause()
                        .hasMessageContaining("sluice.models.rec.path")
                        .hasMessageContaining("ONNX Runtime cannot load"));
    }

    @Test
    void aDirectoryStopsStartUpNamingTheProperty() {
        runner.withPropertyValues("sluice.models.rec.path=" + dir)
                .run(context -> assertThat(context).getFailure().rootCause()
                        .hasMessageContaining("sluice.models.rec.path").hasMessageContaining("is not a readable file"));
    }

    @Test
    void theQueueDelayBoundIsMeasuredUnlessSetAndZeroSwitchesItOff() throws Exception {
        Path model = Files.write(dir.resolve("tiny.onnx"), dev.sluice.onnx.TestModels.identity(4));
        runner.withPropertyValues("sluice.models.tiny.path=" + model).run(context -> {
            Deployment<?, ?> d = context.getBean(Sluice.class).deployment("tiny").orElseThrow().deployment();
            assertThat(d.batching().queueDelayBounded()).isTrue();
            assertThat(d.batching().maxQueueDelay()).isEmpty();
        });
        runner.withPropertyValues("sluice.models.tiny.path=" + model, "sluice.models.tiny.max-queue-delay=0").run(context -> {
            DeploymentHandle<?, ?> h = context.getBean(Sluice.class).deployment("tiny").orElseThrow();
            assertThat(h.deployment().batching().queueDelayBounded()).isFalse();
            assertThat(h.status().queueDelay().bounded()).isFalse();
        });
        runner.withPropertyValues("sluice.models.tiny.path=" + model, "sluice.models.tiny.max-queue-delay=-5ms")
                .run(context -> assertThat(context).getFailure().rootCause()
                        .hasMessageContaining("sluice.models.tiny.max-queue-delay")
                        .hasMessageContaining("maxQueueDelay must be positive"));
    }

    @Test
    void aBadBatchingSettingStopsStartUpNamingTheProperty() throws Exception {
        Path model = Files.write(dir.resolve("tiny.onnx"), dev.sluice.onnx.TestModels.identity(4));
        runner.withPropertyValues("sluice.models.tiny.path=" + model, "sluice.models.tiny.max-batch-size=0")
                .run(context -> assertThat(context).getFailure().rootCause()
                        .hasMessageContaining("sluice.models.tiny.max-batch-size")
                        .hasMessageContaining("maxBatchSize must be at least 1"));
        runner.withPropertyValues("sluice.models.tiny.path=" + model, "sluice.models.tiny.max-batch-size=4",
                "sluice.models.tiny.preferred-batch-sizes=2,8")
                .run(context -> assertThat(context).getFailure().rootCause()
                        .hasMessageContaining("sluice.models.tiny.preferred-batch-sizes")
                        .hasMessageContaining("8 is above maxBatchSize 4"));
        runner.withPropertyValues("sluice.models.tiny.path=" + model, "sluice.models.tiny.min-replicas=3",
                "sluice.models.tiny.max-replicas=2")
                .run(context -> assertThat(context).getFailure().rootCause()
                        .hasMessageContaining("sluice.models.tiny.min-replicas"));
    }

    @Test
    void modelsInPropertiesWithoutSluiceGpuStopStartUpSayingWhatIsMissing() {
        runner.withClassLoader(new FilteredClassLoader(OnnxModel.class))
                .withPropertyValues("sluice.models.rec.path=/models/rec.onnx")
                .run(context -> assertThat(context).getFailure().rootCause()
                        .hasMessageContaining("sluice.models.rec.path").hasMessageContaining("sluice-gpu"));
    }

    @Test
    void aMisspelledModelSettingStopsStartUpNamingItAndTheNearestKnownSetting() throws Exception {
        Path model = Files.write(dir.resolve("tiny.onnx"), dev.sluice.onnx.TestModels.identity(4));
        runner.withPropertyValues("sluice.models.tiny.path=" + model, "sluice.models.tiny.max-batch-sise=8")
                .run(context -> assertThat(context).getFailure().rootCause()
                        .hasMessageContaining("sluice.models.tiny.max-batch-sise")
                        .hasMessageContaining("did you mean max-batch-size"));
    }

    @Test
    void anUnknownModelSettingStopsStartUpWhateverItsSpelling() throws Exception {
        Path model = Files.write(dir.resolve("tiny.onnx"), dev.sluice.onnx.TestModels.identity(4));
        runner.withPropertyValues("sluice.models.tiny.path=" + model, "sluice.models.tiny.warmupRequests=3")
                .run(context -> assertThat(context).getFailure().rootCause()
                        .hasMessageContaining("sluice.models.tiny.warmuprequests")
                        .hasMessageContaining("not a setting of a model"));
    }

    @Test
    void padValuesAreKnownSettingsForAnyInputName() throws Exception {
        Path model = Files.write(dir.resolve("tiny.onnx"), dev.sluice.onnx.TestModels.identity(4));
        runner.withPropertyValues("sluice.models.tiny.path=" + model, "sluice.models.tiny.pad.x=0",
                "sluice.models.tiny.maxBatchSize=4")
                .run(context -> assertThat(context).hasNotFailed());
    }
}
