package dev.sluice;

import static dev.sluice.batching.Eventually.eventually;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.testing.TestRuntime;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Autoscaling and placement inside the runtime, on a manual clock: the test moves time and runs the
 * control passes itself, so delays of seconds take milliseconds.
 */
class ScalingAndPlacementTest {
    private static final Duration PASS = Duration.ofMillis(100);
    private static final GpuDevice GPU0 = new GpuDevice(0, "GPU-test-0", "Test GPU", 16L << 30);
    private static final GpuDevice GPU1 = new GpuDevice(1, "GPU-test-1", "Test GPU", 16L << 30);

    private final Map<String, Fixtures.GatedModel> models = new ConcurrentHashMap<>();
    private final Map<String, ModelContext> contexts = new ConcurrentHashMap<>();
    private TestRuntime runtime;
    private Sluice sluice;

    @AfterEach
    void tearDown() {
        models.values().forEach(Fixtures.GatedModel::release);
        if (sluice != null) {
            sluice.close(Duration.ofSeconds(5));
        }
    }

    private Sluice sluice(Resources resources) {
        runtime = TestRuntime.builder().controlPeriod(PASS).sluice(b -> b.resources(resources)).build();
        sluice = runtime.sluice();
        return sluice;
    }

    private ModelFactory<Integer, Integer> recorded() {
        return ctx -> {
            contexts.put(ctx.replicaId(), ctx);
            Fixtures.GatedModel m = new Fixtures.GatedModel(ctx.replicaId());
            models.put(ctx.replicaId(), m);
            return m;
        };
    }

    private static AutoscalingPolicy fast() {
        return AutoscalingPolicy.builder().targetUtilization(0.5).lookBack(Duration.ofSeconds(1))
                .upscaleDelay(Duration.ofSeconds(1)).downscaleDelay(Duration.ofSeconds(3)).build();
    }

    @Test
    void busyReplicasScaleUpAfterTheUpscaleDelayAndBackDownAfterTheDownscaleDelay() throws Exception {
        sluice(Fixtures.cpus(4));
        DeploymentHandle<Integer, Integer> h = sluice.deploy(Deployment.builder("rec", recorded())
                .replicas(1, 3).autoscaling(fast()).batching(b -> b.maxBatchSize(4).maxDelay(Duration.ZERO)).build());
        eventually("first replica running", runtime::runControlPass, () -> h.status().count(ReplicaState.RUNNING) == 1);
        Fixtures.GatedModel first = models.get("rec#1").hold();
        List<CompletableFuture<Integer>> fs = new ArrayList<>();
        fs.add(h.submit(0));
        first.awaitStarted();
        for (int i = 1; i < 12; i++) {
            fs.add(h.submit(i));
        }

        runtime.advance(Duration.ofMillis(900));
        assertEquals(1, h.status().targetReplicas(), "not before the upscale delay: " + h.status());
        runtime.advance(Duration.ofMillis(1200));
        int target = h.status().targetReplicas();
        assertTrue(target >= 2, "scaled up within lookBack + upscaleDelay: " + h.status());
        eventually("new replicas serve the queue", runtime::runControlPass,
                () -> fs.subList(1, fs.size()).stream().allMatch(CompletableFuture::isDone));
        for (int i = 1; i < fs.size(); i++) {
            assertEquals(2 * i, fs.get(i).get());
        }
        first.release();
        assertEquals(0, fs.get(0).get(10, TimeUnit.SECONDS));

        runtime.advance(Duration.ofMillis(2500));
        assertEquals(target, h.status().targetReplicas(), "not before the downscale delay: " + h.status());
        runtime.advance(Duration.ofSeconds(3));
        assertEquals(1, h.status().targetReplicas(), h.status().toString());
        eventually("extra replicas drained and stopped", runtime::runControlPass, () -> h.status().replicas().size() == 1);
        eventually("their models closed", () -> models.values().stream().filter(m -> m.closed).count() == target - 1);
    }

    @Test
    void scalesToZeroAndTheFirstRequestAfterItIsServed() throws Exception {
        sluice(Fixtures.cpus(2));
        DeploymentHandle<Integer, Integer> h = sluice.deploy(Deployment.builder("idle", recorded())
                .replicas(0, 2).autoscaling(fast()).build());
        eventually("warm replica", runtime::runControlPass, () -> h.status().count(ReplicaState.RUNNING) == 1);
        runtime.advance(Duration.ofSeconds(4));
        eventually("scaled to zero", runtime::runControlPass, () -> h.status().replicas().isEmpty());
        assertEquals(DeploymentState.SCALED_TO_ZERO, h.status().state());
        assertEquals(0, sluice.status().resources().cpusInUse());

        CompletableFuture<Integer> f = h.submit(21); // wakes the control loop itself: no pass driven here
        assertEquals(42, f.get(10, TimeUnit.SECONDS));
        assertEquals(1, h.status().targetReplicas());
    }

    @Test
    void fractionalReplicasShareAGpuAndAPendingOneIsPlacedWhenItFreesUp() throws Exception {
        sluice(Resources.builder().cpus(8).gpu(GPU0).build());
        DeploymentHandle<Integer, Integer> small = sluice.deploy(Deployment.builder("small", recorded())
                .replicas(0, 2).initialReplicas(2).autoscaling(fast()).resources(r -> r.gpus(0.5)).build());
        eventually("two halves of gpu:0", runtime::runControlPass, () -> small.status().count(ReplicaState.RUNNING) == 2);
        for (SluiceStatus.ReplicaStatus r : small.status().replicas()) {
            assertTrue(r.placement().contains("0.5 of gpu:0"), r.placement());
        }
        assertEquals(8L << 30, contexts.get("small#1").gpuMemoryLimitBytes(), "half of the device's memory");

        DeploymentHandle<Integer, Integer> big = sluice.deploy(Deployment.builder("big", recorded())
                .resources(r -> r.gpus(0.75)).build());
        runtime.runControlPass();
        SluiceStatus.ReplicaStatus pending = big.status().replicas().get(0);
        assertEquals(ReplicaState.PENDING, pending.state());
        assertTrue(pending.pendingReason().contains("needs 0.75 GPU"), pending.pendingReason());
        assertTrue(sluice.status().toString().contains("needs 0.75 GPU"), sluice.status().toString());
        CompletableFuture<Integer> waiting = big.submit(4);

        runtime.advance(Duration.ofSeconds(4)); // "small" has no load: it scales to zero and frees the GPU
        eventually("big placed once small freed gpu:0", runtime::runControlPass, () -> big.status().count(ReplicaState.RUNNING) == 1);
        assertEquals(8, waiting.get(10, TimeUnit.SECONDS));
        ModelContext ctx = contexts.get("big#1");
        assertEquals(0.75, ctx.gpu().orElseThrow().fraction(), 1e-9);
        assertEquals(GPU0, ctx.gpu().orElseThrow().device());
    }

    @Test
    void aDeploymentWhoseOnlyReplicaWaitsForAGpuShareSaysItWaitsForResourcesAndWhy() throws Exception {
        sluice(Resources.builder().cpus(1).gpu(GPU0).build());
        DeploymentHandle<Integer, Integer> first = sluice.deploy(Deployment.builder("first", recorded())
                .resources(r -> r.gpus(1)).build());
        eventually("first running", runtime::runControlPass, () -> first.status().count(ReplicaState.RUNNING) == 1);
        DeploymentHandle<Integer, Integer> second = sluice.deploy(Deployment.builder("second", recorded())
                .resources(r -> r.gpus(0.5)).build());
        runtime.runControlPass();

        SluiceStatus.DeploymentStatus s = second.status();
        assertEquals(DeploymentState.WAITING_FOR_RESOURCES, s.state());
        String reason = s.replicas().get(0).pendingReason();
        assertEquals("needs 0.5 GPU, every GPU is fully taken", reason);
        assertTrue(s.stateDetail().contains("1 replica(s) waiting for resources: " + reason), s.stateDetail());
        assertTrue(s.toString().contains("second v1 waiting for resources (1 replica(s) waiting"), s.toString());
    }

    @Test
    void aReplicaNeedingTwoGpusGetsTwoWholeOnes() throws Exception {
        sluice(Resources.builder().cpus(4).gpu(GPU0).gpu(GPU1).build());
        DeploymentHandle<Integer, Integer> h = sluice.deploy(Deployment.builder("pair", recorded())
                .resources(r -> r.gpus(2)).build());
        eventually("running", runtime::runControlPass, () -> h.status().count(ReplicaState.RUNNING) == 1);
        Placement p = contexts.get("pair#1").placement();
        assertEquals(2, p.gpus().size());
        assertEquals(List.of(GPU0, GPU1), p.gpus().stream().map(Placement.GpuShare::device).toList());
        assertTrue(p.gpus().stream().allMatch(s -> s.fraction() == 1.0));
        SluiceStatus.ResourceStatus free = sluice.status().resources();
        assertTrue(free.gpus().stream().allMatch(g -> g.free() == 0.0), free.toString());
    }

    @Test
    void differentDeploymentsGetDifferentResources() throws Exception {
        sluice(Resources.builder().cpus(4).gpu(GPU0).build());
        DeploymentHandle<Integer, Integer> cpu = sluice.deploy(Deployment.builder("cpu", recorded())
                .resources(r -> r.cpus(2)).build());
        DeploymentHandle<Integer, Integer> gpu = sluice.deploy(Deployment.builder("gpu", recorded())
                .resources(r -> r.cpus(1).gpus(0.25).gpuMemory(2L << 30)).build());
        eventually("both running", runtime::runControlPass,
                () -> cpu.status().count(ReplicaState.RUNNING) == 1 && gpu.status().count(ReplicaState.RUNNING) == 1);
        assertEquals(2, contexts.get("cpu#1").cpuThreads());
        assertTrue(contexts.get("cpu#1").gpu().isEmpty());
        assertEquals(2L << 30, contexts.get("gpu#1").gpuMemoryLimitBytes());
        SluiceStatus status = sluice.status();
        assertEquals(0, status.resources().cpusInUse(), "CPUs are held by calls, not by replicas");
        assertEquals(0.75, status.resources().gpus().get(0).free(), 1e-9);
        assertNotNull(status.deployment("gpu"));
        assertFalse(status.toString().isBlank());
    }
}
