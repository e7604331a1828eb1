package dev.sluice;

import static dev.sluice.Fixtures.cpus;
import static dev.sluice.batching.TestFutures.failureOf;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.batching.BatchPolicy;
import dev.sluice.batching.DynamicBatcher;
import dev.sluice.batching.InvalidInputException;
import dev.sluice.batching.QueueDelayStatus;
import dev.sluice.batching.internal.WorkerBatcher;
import dev.sluice.tensor.DataType;
import dev.sluice.tensor.Tensor;
import dev.sluice.tensor.TensorSignature;
import dev.sluice.tensor.TensorSpec;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
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

        InvalidInputException e = assertThrows(InvalidInputException.class,
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

    @Test
    void anOutOfRangeBatchingValueFailsWhileTheDeploymentIsBuiltNamingTheField() {
        ModelFactory<Integer, Integer> f = ctx -> batch -> batch;
        Map<String, Consumer<Batching.Builder>> bad = Map.of(
                "maxBatchSize must be at least 1, was 0", b -> b.maxBatchSize(0),
                "maxDelay must not be negative, was PT-0.001S", b -> b.maxDelay(Duration.ofMillis(-1)),
                "queueCapacity must be at most 2^29, was 536870913", b -> b.queueCapacity((1 << 29) + 1),
                "closeGracePeriod must not be negative, was PT-1S", b -> b.closeGracePeriod(Duration.ofSeconds(-1)),
                "maxQueueDelay must be positive, was PT0S", b -> b.maxQueueDelay(Duration.ZERO));
        bad.forEach((message, setting) -> {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> Deployment.builder("d", f).batching(setting).build());
            assertEquals(message, e.getMessage());
        });
    }

    @Test
    void preferredBatchSizesAreCheckedAgainstMaxBatchSizeAndWrapTheDeploymentsPolicy() throws Exception {
        ModelFactory<Integer, Integer> f = ctx -> batch -> batch;
        IllegalArgumentException above = assertThrows(IllegalArgumentException.class, () -> Deployment.builder("d", f)
                .batching(b -> b.maxBatchSize(8).preferredBatchSizes(4, 16)).build());
        assertEquals("preferredBatchSizes: 16 is above maxBatchSize 8", above.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Batching.builder().preferredBatchSizes(0, 4));

        Batching b = Batching.builder().maxBatchSize(16).preferredBatchSizes(8, 2, 8).policy(BatchPolicy::eager).build();
        assertArrayEquals(new int[] {2, 8}, b.preferredBatchSizes());
        assertTrue(b.toString().contains("preferred sizes [2, 8]"), b.toString());
        assertArrayEquals(new int[0], Batching.defaults().preferredBatchSizes());
        try (DynamicBatcher<Integer, Integer> batcher = b.applyTo(DynamicBatcher.<Integer, Integer>builder(in -> in)).build()) {
            assertTrue(batcher.toString().contains("policy=eager preferring [2, 8]"), batcher.toString());
        }
    }

    @Test
    void everyBatchingValueTheSettingsAcceptTheBatcherAcceptsToo() {
        for (Batching edge : List.of(
                Batching.builder().maxBatchSize(1).maxDelay(Duration.ZERO).queueCapacity(1).closeGracePeriod(Duration.ZERO).build(),
                Batching.builder().maxBatchSize(Integer.MAX_VALUE).maxDelay(Duration.ofDays(1)).queueCapacity(1 << 29)
                        .closeGracePeriod(Duration.ofDays(365)).isolateFailures(false).maxQueueDelay(Duration.ofDays(1)).build(),
                Batching.builder().maxQueueDelay(Duration.ofNanos(1)).build(),
                Batching.builder().unboundedQueueDelay().build())) {
            assertDoesNotThrow(() -> edge.applyTo(WorkerBatcher.builder()), edge.toString());
        }
    }

    @Test
    void theQueueDelayBoundIsMeasuredByDefaultFixedOrOffAndReachesTheBatcher() {
        Batching measured = Batching.defaults();
        Batching fixed = Batching.builder().maxQueueDelay(Duration.ofMillis(80)).build();
        Batching off = fixed.toBuilder().unboundedQueueDelay().build();

        assertEquals(List.of(true, true, false), List.of(measured.queueDelayBounded(), fixed.queueDelayBounded(),
                off.queueDelayBounded()));
        assertEquals(List.of(Optional.empty(), Optional.of(Duration.ofMillis(80)), Optional.empty()),
                List.of(measured.maxQueueDelay(), fixed.maxQueueDelay(), off.maxQueueDelay()));
        assertEquals(Optional.of(Duration.ofMillis(80)), fixed.toBuilder().build().maxQueueDelay(), "copied");
        assertTrue(fixed.toString().contains("maxQueueDelay PT0.08S"), fixed.toString());
        try (DynamicBatcher<Integer, Integer> a = measured.applyTo(DynamicBatcher.<Integer, Integer>builder(in -> in)).build();
                DynamicBatcher<Integer, Integer> b = fixed.applyTo(DynamicBatcher.<Integer, Integer>builder(in -> in)).build();
                DynamicBatcher<Integer, Integer> c = off.applyTo(DynamicBatcher.<Integer, Integer>builder(in -> in)).build()) {
            assertEquals(new QueueDelayStatus(true, -1, -1, 0), a.queueDelay());
            assertEquals(new QueueDelayStatus(true, 80_000_000, -1, 0), b.queueDelay());
            assertEquals(new QueueDelayStatus(false, -1, -1, 0), c.queueDelay());
        }
    }

    @Test
    void batchingSetInStepsKeepsTheEarlierSteps() {
        Deployment<Integer, Integer> d = Deployment.<Integer, Integer>builder("d", ctx -> batch -> batch)
                .batching(b -> b.maxBatchSize(8)).batching(b -> b.queueCapacity(64)).build();

        Deployment<Integer, Integer> copy = d.toBuilder().batching(b -> b.maxDelay(Duration.ZERO)).build();

        assertEquals(List.of(8, 64, Duration.ZERO), List.of(copy.batching().maxBatchSize(), copy.batching().queueCapacity(),
                copy.batching().maxDelay()));
    }

    @Test
    void eachVersionOfADeploymentGetsAPolicyInstanceOfItsOwn() throws Exception {
        List<BatchPolicy> made = new CopyOnWriteArrayList<>();
        try (Sluice sluice = Sluice.builder().resources(cpus(2)).build()) {
            DeploymentHandle<Integer, Integer> h = sluice.deploy(Deployment.<Integer, Integer>builder("d",
                    ctx -> batch -> batch).batching(b -> b.policy(() -> {
                        BatchPolicy p = BatchPolicy.adaptive();
                        made.add(p);
                        return p;
                    })).build());

            h.update(ctx -> batch -> batch).get(10, TimeUnit.SECONDS);

            assertEquals(2, made.size(), "one per version");
            assertNotSame(made.get(0), made.get(1));
            assertEquals(3, h.submit(3).get(10, TimeUnit.SECONDS));
        }
    }
}
