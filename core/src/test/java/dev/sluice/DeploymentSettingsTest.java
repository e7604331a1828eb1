package dev.sluice;

import static dev.sluice.Fixtures.cpus;
import static dev.sluice.Fixtures.failureOf;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.batching.InvalidInputException;
import dev.sluice.tensor.DataType;
import dev.sluice.tensor.Tensor;
import dev.sluice.tensor.TensorSignature;
import dev.sluice.tensor.TensorSpec;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** A deployment's settings: what a copy keeps, what a hot swap keeps. */
class DeploymentSettingsTest {
    private static final TensorSignature SIGNATURE = new TensorSignature(
            List.of(new TensorSpec("x", DataType.FP32, new long[] {-1, 2})),
            List.of(new TensorSpec("x", DataType.FP32, new long[] {-1, 2})));

    @Test
    void anUpdateWithOnlyANewFactoryKeepsTheSignatureAndItsInputCheck() throws Exception {
        List<Integer> batchSizes = new CopyOnWriteArrayList<>();
        try (Sluice sluice = Sluice.builder().resources(cpus(2)).build()) {
            DeploymentHandle<Map<String, Tensor>, Map<String, Tensor>> h = sluice.deploy(
                    Deployment.<Map<String, Tensor>, Map<String, Tensor>>builder("echo", ctx -> batch -> batch)
                            .signature(SIGNATURE).build());
            h.update(ctx -> batch -> {
                batchSizes.add(batch.size());
                return batch;
            }).get(10, TimeUnit.SECONDS);

            CompletableFuture<Map<String, Tensor>> bad = h.submit(Map.of("x", Tensor.ofFloats("x", new long[] {1, 3}, 1, 2, 3)));

            assertTrue(bad.isCompletedExceptionally(), "refused on the caller's thread, before the queue");
            assertInstanceOf(InvalidInputException.class, failureOf(bad));
            assertEquals(SIGNATURE, h.deployment().signature().orElseThrow());
            Map<String, Tensor> good = Map.of("x", Tensor.ofFloats("x", new long[] {1, 2}, 1, 2));
            assertEquals(good, h.submit(good).get(10, TimeUnit.SECONDS));
            assertEquals(List.of(1), batchSizes, "only the good request reached the new model");
        }
    }

    @Test
    void aCopyWithAnotherFactoryKeepsTheValidator() {
        Deployment<Integer, Integer> d = Deployment.<Integer, Integer>builder("positive", ctx -> batch -> batch)
                .validator(i -> {
                    if (i < 0) {
                        throw new IllegalArgumentException("must be positive");
                    }
                }).build();

        Deployment<Integer, Integer> copy = d.toBuilder(ctx -> batch -> batch).build();

        InvalidInputException e = org.junit.jupiter.api.Assertions.assertThrows(InvalidInputException.class,
                () -> copy.validate(-1));
        assertEquals("'positive': must be positive", e.getMessage());
    }

    @Test
    void aCopyWithAnotherFactoryAnswersEverySettingAsTheOriginal() throws Exception {
        Deployment<Map<String, Tensor>, Map<String, Tensor>> d = Deployment
                .<Map<String, Tensor>, Map<String, Tensor>>builder("all", ctx -> batch -> batch)
                .signature(SIGNATURE).replicas(2, 5).initialReplicas(3).maxOngoingBatchesPerReplica(2)
                .resources(r -> r.cpus(2)).autoscaling(AutoscalingPolicy.builder().targetUtilization(0.5).build())
                .healthCheck(Duration.ofSeconds(7), Duration.ofSeconds(2)).watchdog(Duration.ofSeconds(9))
                .idempotent(true).startAttempts(7).build();
        ModelFactory<Map<String, Tensor>, Map<String, Tensor>> other = ctx -> batch -> batch;

        Deployment<Map<String, Tensor>, Map<String, Tensor>> copy = d.toBuilder(other).build();

        assertEquals(other, copy.factory());
        for (Method m : Deployment.class.getMethods()) {
            if (m.getParameterCount() == 0 && m.getDeclaringClass() == Deployment.class && !Modifier.isStatic(m.getModifiers())
                    && !Set.of("factory", "toBuilder", "toString").contains(m.getName())) {
                assertEquals(m.invoke(d), m.invoke(copy), m.getName());
            }
        }
    }
}
