package dev.sluice;

import static dev.sluice.Fixtures.cpus;
import static dev.sluice.batching.Eventually.eventually;
import static dev.sluice.batching.TestFutures.failureOf;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.batching.InvalidInputException;
import dev.sluice.batching.ModelException;
import dev.sluice.tensor.DataType;
import dev.sluice.tensor.Tensor;
import dev.sluice.tensor.TensorSignature;
import dev.sluice.tensor.TensorSpec;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Deploying: replicas with their own models and contexts, start failures, bad input. */
class DeployTest {
    private Sluice sluice = Sluice.builder().resources(cpus(4)).build();

    @AfterEach
    void tearDown() {
        sluice.close(Duration.ofSeconds(5));
    }

    @Test
    void eachReplicaGetsItsOwnModelMadeWithItsContext() throws Exception {
        List<ModelContext> contexts = new CopyOnWriteArrayList<>();
        List<Fixtures.GatedModel> models = new CopyOnWriteArrayList<>();
        DeploymentHandle<Integer, Integer> h = sluice.deploy(Deployment.<Integer, Integer>builder("doubler", ctx -> {
            contexts.add(ctx);
            Fixtures.GatedModel m = new Fixtures.GatedModel(ctx.replicaId());
            models.add(m);
            return m;
        }).replicas(3).build());
        h.awaitReady(Duration.ofSeconds(10));
        eventually("three replicas running", () -> h.status().count(ReplicaState.RUNNING) == 3);

        List<CompletableFuture<Integer>> fs = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            fs.add(h.submit(i));
        }
        for (int i = 0; i < 200; i++) {
            assertEquals(2 * i, fs.get(i).get(10, TimeUnit.SECONDS));
        }
        assertEquals(3, models.size());
        Set<String> ids = new HashSet<>();
        for (ModelContext c : contexts) {
            assertEquals("doubler", c.deployment());
            assertTrue(c.replicaId().startsWith("doubler#"), c.replicaId());
            assertEquals(1, c.cpuThreads());
            assertTrue(c.gpu().isEmpty());
            ids.add(c.replicaId());
        }
        assertEquals(3, ids.size(), "distinct replica ids");
        // Each call gives its CPU back a moment after its callers saw the result; idle replicas hold none.
        eventually("the budget idle", () -> sluice.status().resources().cpusInUse() == 0);
    }

    @Test
    void aFactoryThatFailsIsRetriedThenReportedWithItsOwnExceptionAndStackTrace() throws Exception {
        AtomicInteger calls = new AtomicInteger();
        DeploymentHandle<Integer, Integer> h = sluice.deploy(Deployment.<Integer, Integer>builder("broken", ctx -> {
            calls.incrementAndGet();
            throw new IllegalStateException("weights file missing: /models/rec.onnx");
        }).startAttempts(3).build());

        ModelException e = assertThrows(ModelException.class, () -> h.awaitReady(Duration.ofSeconds(10)));
        assertInstanceOf(IllegalStateException.class, e.getCause());
        assertTrue(e.getMessage().contains("weights file missing"), e.getMessage());
        assertEquals(3, calls.get(), "three attempts, then it stops");

        SluiceStatus.DeploymentStatus status = sluice.status().deployment("broken");
        assertEquals(DeploymentState.NOT_STARTING, status.state());
        SluiceStatus.StartFailure failure = status.startFailure();
        assertNotNull(failure);
        assertEquals(3, failure.attempts());
        assertTrue(failure.error().contains("IllegalStateException: weights file missing"), failure.error());
        assertTrue(failure.stackTrace().contains("DeployTest"), "the model's own stack trace:\n" + failure.stackTrace());
        assertTrue(sluice.status().toString().contains("weights file missing"), sluice.status().toString());

        ModelException refused = assertInstanceOf(ModelException.class, failureOf(h.submit(1)));
        assertTrue(refused.getMessage().contains("no replica can start"), refused.getMessage());
        assertEquals(0, sluice.status().resources().cpusInUse(), "failed starts hold no resources");
    }

    @Test
    void aFactoryThatFailsOnceIsRetriedAndServes() throws Exception {
        AtomicInteger calls = new AtomicInteger();
        DeploymentHandle<Integer, Integer> h = sluice.deploy(Deployment.<Integer, Integer>builder("flaky", ctx -> {
            if (calls.incrementAndGet() == 1) {
                throw new java.io.IOException("model server busy");
            }
            return new Fixtures.GatedModel(ctx.replicaId());
        }).build());
        CompletableFuture<Integer> f = h.submit(21);
        assertEquals(42, f.get(10, TimeUnit.SECONDS));
        assertEquals(2, calls.get());
        SluiceStatus.DeploymentStatus status = h.status();
        assertEquals(DeploymentState.SERVING, status.state());
        assertEquals(1, status.startFailure().attempts(), "the earlier failure stays visible");
    }

    @Test
    void requestsSubmittedBeforeTheFirstReplicaRunsWaitAndAreServed() throws Exception {
        java.util.concurrent.CountDownLatch slowStart = new java.util.concurrent.CountDownLatch(1);
        DeploymentHandle<Integer, Integer> h = sluice.deploy(Deployment.<Integer, Integer>builder("slow-start", ctx -> {
            slowStart.await();
            return new Fixtures.GatedModel(ctx.replicaId());
        }).build());
        CompletableFuture<Integer> f = h.submit(5);
        assertEquals(DeploymentState.STARTING, h.status().state());
        slowStart.countDown();
        assertEquals(10, f.get(10, TimeUnit.SECONDS));
    }

    @Test
    void awaitReadyThatRunsOutOfTimeThrowsTimeoutAndTheRequestsStillGetServed() throws Exception {
        java.util.concurrent.CountDownLatch slowStart = new java.util.concurrent.CountDownLatch(1);
        DeploymentHandle<Integer, Integer> h = sluice.deploy(Deployment.<Integer, Integer>builder("slow-start", ctx -> {
            slowStart.await();
            return new Fixtures.GatedModel(ctx.replicaId());
        }).build());
        CompletableFuture<Integer> f = h.submit(5);
        java.util.concurrent.TimeoutException e = assertThrows(java.util.concurrent.TimeoutException.class,
                () -> h.awaitReady(Duration.ofMillis(50)));
        assertTrue(e.getMessage().contains("'slow-start'"), e.getMessage());
        slowStart.countDown();
        assertEquals(10, f.get(10, TimeUnit.SECONDS), "a start-up wait that timed out costs no request");
    }

    @Test
    void aNullInputFailsItsOwnFutureWithInvalidInput() throws Exception {
        DeploymentHandle<Integer, Integer> h = sluice.deploy(
                Deployment.<Integer, Integer>builder("d", ctx -> new Fixtures.GatedModel(ctx.replicaId())).build());
        InvalidInputException e = assertInstanceOf(InvalidInputException.class, failureOf(h.submit(null)));
        assertTrue(e.getMessage().contains("input"), e.getMessage());
        assertEquals(4, h.submit(2).get(10, TimeUnit.SECONDS), "others are not disturbed");
    }

    @Test
    void aReusedNameIsRefusedAndTheFirstDeploymentKeepsServing() throws Exception {
        DeploymentHandle<Integer, Integer> first = sluice.deploy(
                Deployment.<Integer, Integer>builder("d", ctx -> new Fixtures.GatedModel(ctx.replicaId())).build());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> sluice.deploy(
                Deployment.<Integer, Integer>builder("d", ctx -> new Fixtures.GatedModel(ctx.replicaId())).build()));
        assertTrue(e.getMessage().contains("'d' already exists"), e.getMessage());
        assertEquals(6, first.submit(3).get(10, TimeUnit.SECONDS));
        assertEquals(1, sluice.status().deployments().size());
    }

    @Test
    void builderRefusesBadSettingsNamingTheField() {
        ModelFactory<Integer, Integer> f = ctx -> new Fixtures.GatedModel(ctx.replicaId());
        IllegalArgumentException minMax = assertThrows(IllegalArgumentException.class,
                () -> Deployment.builder("d", f).replicas(3, 2));
        assertTrue(minMax.getMessage().contains("min replicas (3) must not exceed max replicas (2)"), minMax.getMessage());
        IllegalArgumentException negative = assertThrows(IllegalArgumentException.class,
                () -> Deployment.builder("d", f).resources(r -> r.gpus(-0.5)));
        assertTrue(negative.getMessage().contains("gpus"), negative.getMessage());
        IllegalArgumentException notWhole = assertThrows(IllegalArgumentException.class,
                () -> Deployment.builder("d", f).resources(r -> r.gpus(1.5)));
        assertTrue(notWhole.getMessage().contains("whole number"), notWhole.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Deployment.builder(" ", f));
        assertThrows(IllegalArgumentException.class, () -> Deployment.builder("d", f).replicas(-1, 2));
        assertThrows(IllegalArgumentException.class, () -> Deployment.builder("d", f).maxOngoingBatchesPerReplica(0));
        assertThrows(IllegalArgumentException.class, () -> Deployment.builder("d", f).replicas(1, 3).initialReplicas(4).build());
    }

    @Test
    void aReplicaThatCouldNeverBePlacedIsRefusedAtDeployAndNothingIsCreated() throws Exception {
        ModelFactory<Integer, Integer> f = ctx -> new Fixtures.GatedModel(ctx.replicaId());
        IllegalArgumentException tooManyCpus = assertThrows(IllegalArgumentException.class,
                () -> sluice.deploy(Deployment.builder("big", f).resources(r -> r.cpus(8)).build()));
        assertEquals("deployment 'big': resources.cpus: each model call needs 8 CPUs of the execution budget, the "
                + "runtime has 4", tooManyCpus.getMessage());
        IllegalArgumentException noGpu = assertThrows(IllegalArgumentException.class,
                () -> sluice.deploy(Deployment.builder("gpu", f).resources(r -> r.gpus(0.5)).build()));
        assertTrue(noGpu.getMessage().contains("no GPUs"), noGpu.getMessage());
        assertEquals(0, sluice.status().deployments().size());
        assertEquals(2, sluice.deploy(Deployment.builder("big", f).build()).submit(1).get(10, TimeUnit.SECONDS));
    }

    @Test
    void theHandleIsFoundByName() {
        DeploymentHandle<Integer, Integer> h = sluice.deploy(
                Deployment.<Integer, Integer>builder("d", ctx -> new Fixtures.GatedModel(ctx.replicaId())).build());
        assertSame(h, sluice.deployment("d").orElseThrow());
        assertTrue(sluice.deployment("other").isEmpty());
    }

    @Test
    void aTensorDeploymentRefusesARequestThatDoesNotMatchItsSignatureBeforeItJoinsABatch() throws Exception {
        TensorSignature sig = new TensorSignature(List.of(new TensorSpec("x", DataType.FP32, new long[] {-1, 2})),
                List.of(new TensorSpec("x", DataType.FP32, new long[] {-1, 2})));
        List<Integer> batchSizes = new CopyOnWriteArrayList<>();
        DeploymentHandle<Map<String, Tensor>, Map<String, Tensor>> h = sluice.deploy(
                Deployment.<Map<String, Tensor>, Map<String, Tensor>>builder("echo", ctx -> batch -> {
                    batchSizes.add(batch.size());
                    return batch;
                }).signature(sig).build());
        h.awaitReady(Duration.ofSeconds(10));
        Map<String, Tensor> good = Map.of("x", Tensor.ofFloats("x", new long[] {1, 2}, 1, 2));
        Map<String, Tensor> wrongShape = Map.of("x", Tensor.ofFloats("x", new long[] {1, 3}, 1, 2, 3));

        CompletableFuture<Map<String, Tensor>> bad = h.submit(wrongShape);
        assertTrue(bad.isCompletedExceptionally(), "refused on the caller's thread, before the queue");
        assertTrue(failureOf(bad) instanceof InvalidInputException e && e.getMessage().contains("dimension 1 of 3"),
                String.valueOf(failureOf(bad)));
        assertSame(good, h.submit(good).get(10, TimeUnit.SECONDS));
        assertEquals(List.of(1), batchSizes, "only the good request reached the model");
        assertEquals(sig, h.deployment().signature().orElseThrow());
        assertTrue(Deployment.builder("plain", ctx -> batch -> batch).build().signature().isEmpty());
    }

    @Test
    void aValidatorsOwnExceptionBecomesBadInputWithItsMessage() throws Exception {
        DeploymentHandle<Integer, Integer> h = sluice.deploy(Deployment.<Integer, Integer>builder("positive",
                ctx -> batch -> batch).validator(i -> {
                    if (i < 0) {
                        throw new IllegalArgumentException("must be positive, was " + i);
                    }
                }).build());
        h.awaitReady(Duration.ofSeconds(10));
        Throwable e = failureOf(h.submit(-3));
        assertInstanceOf(InvalidInputException.class, e);
        assertEquals("'positive': must be positive, was -3", e.getMessage());
        assertEquals(4, h.submit(4).get(10, TimeUnit.SECONDS));
    }

    @Test
    void theRuntimesObserversAreToldOfEveryDeploymentsBatchesBesideTheDeploymentsOwn() throws Exception {
        List<String> runtimeSaw = new CopyOnWriteArrayList<>();
        List<String> secondSaw = new CopyOnWriteArrayList<>();
        List<String> ownSaw = new CopyOnWriteArrayList<>();
        try (Sluice observed = Sluice.builder().resources(cpus(2)).observer(new dev.sluice.batching.BatchObserver() {
            @Override
            public void onBatch(String deployment, int size, long[] waits, long nanos, Throwable failure) {
                runtimeSaw.add(deployment + " " + size);
            }
        }).observer(new dev.sluice.batching.BatchObserver() {
            @Override
            public void onBatch(String deployment, int size, long[] waits, long nanos, Throwable failure) {
                secondSaw.add(deployment + " " + size);
            }
        }).build()) {
            DeploymentHandle<Integer, Integer> a = observed.deploy(Deployment.<Integer, Integer>builder("a",
                    ctx -> batch -> batch).batching(b -> b.observer(new dev.sluice.batching.BatchObserver() {
                        @Override
                        public void onBatch(String deployment, int size, long[] waits, long nanos, Throwable failure) {
                            ownSaw.add(deployment + " " + size);
                        }
                    })).build());
            DeploymentHandle<Integer, Integer> b = observed.deploy(Deployment.<Integer, Integer>builder("b",
                    ctx -> batch -> batch).build());
            assertEquals(1, a.submit(1).get(10, TimeUnit.SECONDS));
            assertEquals(2, b.submit(2).get(10, TimeUnit.SECONDS));
            eventually("both batches observed", () -> runtimeSaw.size() == 2);
            assertEquals(Set.of("a 1", "b 1"), Set.copyOf(runtimeSaw));
            assertEquals(Set.of("a 1", "b 1"), Set.copyOf(secondSaw), "observers add up");
            assertEquals(List.of("a 1"), ownSaw);
        }
    }
}
