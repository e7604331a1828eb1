package dev.sluice;

import static dev.sluice.batching.Eventually.eventually;
import static dev.sluice.batching.TestFutures.failureOf;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.batching.ShutdownException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Undeploying one deployment: it drains, closes its models, frees its resources and its name. */
class UndeployTest {
    private static final GpuDevice GPU0 = new GpuDevice(0, "GPU-test-0", "Test GPU", 16L << 30);

    private final Sluice sluice = Sluice.builder().resources(Resources.builder().cpus(4).gpu(GPU0).build()).build();
    private final Map<String, Fixtures.GatedModel> models = new ConcurrentHashMap<>();

    @AfterEach
    void tearDown() {
        models.values().forEach(Fixtures.GatedModel::release);
        sluice.close(Duration.ofSeconds(5));
    }

    private ModelFactory<Integer, Integer> held() {
        return ctx -> {
            Fixtures.GatedModel m = new Fixtures.GatedModel(ctx.replicaId()).hold();
            models.put(ctx.replicaId(), m);
            return m;
        };
    }

    @Test
    void undeployRefusesNewRequestsAndFinishesEveryAdmittedOneBeforeItReturns() throws Exception {
        DeploymentHandle<Integer, Integer> h = sluice.deploy(Deployment.builder("d", held())
                .batching(b -> b.maxBatchSize(1)).build());
        List<CompletableFuture<Integer>> fs = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            fs.add(h.submit(i));
        }
        eventually("running", () -> models.size() == 1);
        Fixtures.GatedModel model = models.get("d#1");
        model.awaitStarted(); // one runs, four are queued

        CompletableFuture<Void> undeploying = CompletableFuture.runAsync(() -> sluice.undeploy("d", Duration.ofSeconds(10)));
        eventually("refusing", () -> h.submit(99).isCompletedExceptionally());
        assertInstanceOf(ShutdownException.class, failureOf(h.submit(99)));
        assertFalse(undeploying.isDone(), "undeploy waits for the admitted requests");

        model.release();
        undeploying.get(10, TimeUnit.SECONDS);
        for (int i = 0; i < 5; i++) {
            assertTrue(fs.get(i).isDone(), "request " + i + " ended before undeploy returned");
            assertEquals(2 * i, fs.get(i).get());
        }
        assertTrue(model.closed, "its model was closed");
    }

    @Test
    void undeployFreesTheGpuSharesOfItsReplicas() throws Exception {
        DeploymentHandle<Integer, Integer> h = sluice.deploy(Deployment.builder("d", Fixtures.doubler())
                .replicas(2).resources(r -> r.cpus(1).gpus(0.25)).build());
        eventually("both running", () -> h.status().count(ReplicaState.RUNNING) == 2);
        assertEquals(0.5, sluice.status().resources().gpus().get(0).free(), 1e-9);

        sluice.undeploy("d");

        SluiceStatus status = sluice.status();
        assertEquals(0, status.resources().cpusInUse());
        assertEquals(1.0, status.resources().gpus().get(0).free(), 1e-9);
        assertNull(status.deployment("d"));
        assertTrue(sluice.deployment("d").isEmpty());
    }

    @Test
    void aNameIsFreeToDeployAgainOnceUndeployed() throws Exception {
        DeploymentHandle<Integer, Integer> first = sluice.deploy(Deployment.builder("d", Fixtures.doubler()).build());
        assertEquals(2, first.submit(1).get(10, TimeUnit.SECONDS));
        sluice.undeploy("d");

        DeploymentHandle<Integer, Integer> second = sluice.deploy(Deployment.<Integer, Integer>builder("d",
                ctx -> batch -> batch.stream().map(x -> -x).toList()).build());
        assertEquals(-3, second.submit(3).get(10, TimeUnit.SECONDS));
        assertInstanceOf(ShutdownException.class, failureOf(first.submit(3)), "the old handle stays closed");
    }

    @Test
    void everyRequestSubmittedAroundAnUndeployEndsExactlyOnceWithAValueOrShutdown() throws Exception {
        // A queue that holds every request, whatever its expected wait: none is refused as overload, so each ends
        // served or shut down.
        DeploymentHandle<Integer, Integer> h = sluice.deploy(Deployment.builder("d", Fixtures.doubler()).replicas(2)
                .batching(b -> b.queueCapacity(32_768).unboundedQueueDelay()).build());
        h.awaitReady(Duration.ofSeconds(10));
        List<CompletableFuture<Integer>> fs = new java.util.concurrent.CopyOnWriteArrayList<>();
        java.util.concurrent.CountDownLatch started = new java.util.concurrent.CountDownLatch(1);
        Thread producer = new Thread(() -> {
            for (int i = 0; i < 20_000; i++) {
                fs.add(h.submit(i));
                if (i == 100) {
                    started.countDown();
                }
            }
        });
        producer.start();
        started.await();
        sluice.undeploy("d", Duration.ofSeconds(20));
        producer.join();
        int served = 0;
        for (int i = 0; i < fs.size(); i++) {
            CompletableFuture<Integer> f = fs.get(i);
            assertTrue(f.isDone(), "request " + i + " ended");
            if (f.isCompletedExceptionally()) {
                assertInstanceOf(ShutdownException.class, failureOf(f));
            } else {
                assertEquals(2 * i, f.get());
                served++;
            }
        }
        assertEquals(20_000, fs.size());
        assertTrue(served > 0);
    }

    @Test
    void undeployOfAnUnknownNameIsRefusedNamingIt() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> sluice.undeploy("nope"));
        assertTrue(e.getMessage().contains("'nope'"), e.getMessage());
    }

    @Test
    void otherDeploymentsKeepServingWhileOneIsUndeployed() throws Exception {
        DeploymentHandle<Integer, Integer> stays = sluice.deploy(Deployment.builder("stays", Fixtures.doubler()).build());
        sluice.deploy(Deployment.builder("goes", Fixtures.doubler()).build());
        sluice.undeploy("goes");
        assertEquals(14, stays.submit(7).get(10, TimeUnit.SECONDS));
        assertEquals(List.of("stays"), sluice.status().deployments().stream().map(SluiceStatus.DeploymentStatus::name).toList());
    }
}
