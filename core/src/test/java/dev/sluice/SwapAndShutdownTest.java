package dev.sluice;

import static dev.sluice.batching.Eventually.eventually;
import static dev.sluice.batching.TestFutures.failureOf;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.batching.ModelException;
import dev.sluice.batching.ShutdownException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** Hot swap under load and shutdown: nothing lost, nothing left running. */
class SwapAndShutdownTest {

    /** Answers "version:input" after a short sleep; records closing. */
    static final class Versioned implements Model<Integer, String> {
        static final Map<String, Versioned> ALL = new ConcurrentHashMap<>();
        final String version;
        volatile boolean closed;

        Versioned(String version, ModelContext ctx) {
            this.version = version;
            ALL.put(version + "/" + ctx.replicaId(), this);
        }

        @Override
        public List<String> predict(List<Integer> batch) {
            LockSupport.parkNanos(200_000);
            return batch.stream().map(x -> version + ":" + x).toList();
        }

        @Override
        public void close() {
            closed = true;
        }
    }

    @Test
    void anUpdateUnderLoadLosesAndFailsNothingAndClosesTheOldModels() throws Exception {
        try (Sluice sluice = Sluice.builder().resources(Fixtures.cpus(8)).build()) {
            List<Versioned> v1 = new CopyOnWriteArrayList<>();
            // Producers submit as fast as they can, far past what two replicas drain: no bound on the expected
            // queue wait, which would refuse part of it (this test is about the swap losing nothing).
            DeploymentHandle<Integer, String> h = sluice.deploy(Deployment.<Integer, String>builder("tagger", ctx -> {
                Versioned m = new Versioned("v1", ctx);
                v1.add(m);
                return m;
            }).replicas(2).batching(b -> b.maxBatchSize(8).unboundedQueueDelay()).build());
            h.awaitReady(Duration.ofSeconds(10));

            AtomicBoolean producing = new AtomicBoolean(true);
            AtomicInteger submitted = new AtomicInteger();
            List<List<CompletableFuture<String>>> sent = new ArrayList<>();
            List<Thread> producers = new ArrayList<>();
            for (int p = 0; p < 3; p++) {
                List<CompletableFuture<String>> mine = new ArrayList<>();
                sent.add(mine);
                Thread t = new Thread(() -> {
                    for (int i = 0; producing.get() || i < 500; i++) {
                        mine.add(h.submit(i));
                        submitted.incrementAndGet();
                        LockSupport.parkNanos(50_000);
                    }
                });
                producers.add(t);
                t.start();
            }
            // Requests in flight on v1 when the swap starts, and more sent after it, whatever the machine's speed.
            eventually("traffic before the swap", () -> submitted.get() >= 300);
            h.update(ctx -> new Versioned("v2", ctx)).get(10, TimeUnit.SECONDS);
            int atSwap = submitted.get();
            eventually("traffic after the swap", () -> submitted.get() >= atSwap + 300);
            producing.set(false);
            for (Thread t : producers) {
                t.join();
            }

            int v1Answers = 0;
            int v2Answers = 0;
            for (List<CompletableFuture<String>> mine : sent) {
                for (int i = 0; i < mine.size(); i++) {
                    String answer = mine.get(i).get(10, TimeUnit.SECONDS); // throws if any failed
                    assertTrue(answer.endsWith(":" + i), answer);
                    if (answer.startsWith("v1:")) {
                        v1Answers++;
                    } else {
                        v2Answers++;
                    }
                }
            }
            assertTrue(v1Answers > 0 && v2Answers > 0, v1Answers + " from v1, " + v2Answers + " from v2");
            assertEquals("v2:7", h.submit(7).get(10, TimeUnit.SECONDS));
            assertEquals(2, h.status().version());
            eventually("old replicas drained and closed", () -> v1.stream().allMatch(m -> m.closed));
            eventually("only v2 replicas left",
                    () -> h.status().replicas().stream().allMatch(r -> r.version() == 2) && h.status().replicas().size() == 2);
        }
    }

    @Test
    void anUpdateWhoseModelCannotStartFailsAndTheOldVersionKeepsServing() throws Exception {
        try (Sluice sluice = Sluice.builder().resources(Fixtures.cpus(4)).build()) {
            DeploymentHandle<Integer, String> h = sluice.deploy(Deployment.<Integer, String>builder("tagger",
                    ctx -> new Versioned("v1", ctx)).startAttempts(2).build());
            h.awaitReady(Duration.ofSeconds(10));
            CompletableFuture<Void> update = h.update(ctx -> {
                throw new IllegalArgumentException("bad checkpoint");
            });
            ModelException e = assertInstanceOf(ModelException.class, failureOf(update));
            assertInstanceOf(IllegalArgumentException.class, e.getCause());
            assertTrue(e.getMessage().contains("v1 keeps serving"), e.getMessage());
            assertEquals("v1:3", h.submit(3).get(10, TimeUnit.SECONDS));
            assertEquals(1, h.status().version());
            eventually("serving v1 only", () -> h.status().state() == DeploymentState.SERVING && h.status().replicas().size() == 1);
        }
    }

    @Test
    void anUpdateOnAFullGpuMovesTrafficOnceTheOldReplicasFreeIt() throws Exception {
        GpuDevice gpu = new GpuDevice(0, "GPU-test-0", "Test GPU", 8L << 30);
        try (Sluice sluice = Sluice.builder().resources(Resources.builder().cpus(8).gpu(gpu).build()).build()) {
            DeploymentHandle<Integer, String> h = sluice.deploy(Deployment.<Integer, String>builder("tagger",
                    ctx -> new Versioned("v1", ctx)).replicas(2).resources(r -> r.gpus(0.5))
                    .batching(b -> b.unboundedQueueDelay()).build()); // 400 at once: none refused for its wait
            h.awaitReady(Duration.ofSeconds(10));
            eventually("both halves of the GPU taken", () -> h.status().count(ReplicaState.RUNNING) == 2);
            List<CompletableFuture<String>> fs = new ArrayList<>();
            for (int i = 0; i < 200; i++) {
                fs.add(h.submit(i));
            }
            CompletableFuture<Void> update = h.update(ctx -> new Versioned("v2", ctx));
            for (int i = 200; i < 400; i++) {
                fs.add(h.submit(i));
                LockSupport.parkNanos(20_000);
            }
            update.get(10, TimeUnit.SECONDS);
            for (int i = 0; i < fs.size(); i++) {
                assertTrue(fs.get(i).get(10, TimeUnit.SECONDS).endsWith(":" + i));
            }
            eventually("two v2 replicas on the GPU", () -> h.status().count(ReplicaState.RUNNING) == 2
                    && h.status().replicas().stream().allMatch(r -> r.version() == 2));
            assertEquals("v2:5", h.submit(5).get(10, TimeUnit.SECONDS));
        }
    }

    @Test
    void anUpdateMayChangeTheSettingsButNotTheName() throws Exception {
        try (Sluice sluice = Sluice.builder().resources(Fixtures.cpus(4)).build()) {
            Deployment<Integer, String> d = Deployment.<Integer, String>builder("tagger", ctx -> new Versioned("v1", ctx)).build();
            DeploymentHandle<Integer, String> h = sluice.deploy(d);
            h.update(d.toBuilder(ctx -> new Versioned("v2", ctx)).replicas(2).build()).get(10, TimeUnit.SECONDS);
            assertEquals(2, h.deployment().minReplicas());
            eventually("two v2 replicas", () -> h.status().count(ReplicaState.RUNNING) == 2
                    && h.status().replicas().stream().allMatch(r -> r.version() == 2));
            assertThrows(IllegalArgumentException.class,
                    () -> h.update(Deployment.<Integer, String>builder("other", ctx -> new Versioned("v3", ctx)).build()));
        }
    }

    @Test
    void closeFinishesWhatWasAdmittedThenRefusesAndClosesModels() throws Exception {
        Sluice sluice = Sluice.builder().resources(Fixtures.cpus(2)).build();
        Map<String, Fixtures.GatedModel> models = new ConcurrentHashMap<>();
        DeploymentHandle<Integer, Integer> h = sluice.deploy(Deployment.<Integer, Integer>builder("d", ctx -> {
            Fixtures.GatedModel m = new Fixtures.GatedModel(ctx.replicaId()).hold();
            models.put(ctx.replicaId(), m);
            return m;
        }).batching(b -> b.maxBatchSize(4)).build());
        List<CompletableFuture<Integer>> fs = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            fs.add(h.submit(i));
        }
        eventually("running", () -> models.size() == 1);
        models.values().iterator().next().awaitStarted();
        CompletableFuture<Void> closing = CompletableFuture.runAsync(() -> sluice.close(Duration.ofSeconds(10)));
        eventually("refusing", () -> h.submit(99).isCompletedExceptionally());
        assertInstanceOf(ShutdownException.class, failureOf(h.submit(99)));
        assertFalse(closing.isDone(), "close waits for the admitted requests");

        models.values().forEach(Fixtures.GatedModel::release);
        closing.get(10, TimeUnit.SECONDS);
        for (int i = 0; i < 10; i++) {
            assertEquals(2 * i, fs.get(i).get(1, TimeUnit.SECONDS));
        }
        assertTrue(models.values().stream().allMatch(m -> m.closed));
        assertEquals(DeploymentState.CLOSED, h.status().state());
        assertThrows(IllegalStateException.class, () -> sluice.deploy(
                Deployment.<Integer, Integer>builder("late", ctx -> new Fixtures.GatedModel("x")).build()));
        sluice.close(); // idempotent
    }

    @Test
    void requestsStillRunningWhenTheGracePeriodEndsFailWithShutdown() throws Exception {
        Sluice sluice = Sluice.builder().resources(Fixtures.cpus(2)).build();
        Fixtures.GatedModel[] model = new Fixtures.GatedModel[1];
        DeploymentHandle<Integer, Integer> h = sluice.deploy(Deployment.<Integer, Integer>builder("d", ctx -> {
            model[0] = new Fixtures.GatedModel(ctx.replicaId()).hold();
            return model[0];
        }).batching(b -> b.maxBatchSize(1)).build());
        CompletableFuture<Integer> running = h.submit(1);
        CompletableFuture<Integer> queued = h.submit(2);
        eventually("running", () -> model[0] != null);
        model[0].awaitStarted();
        sluice.close(Duration.ofMillis(100));
        assertInstanceOf(ShutdownException.class, failureOf(running));
        assertInstanceOf(ShutdownException.class, failureOf(queued));
        model[0].release();
    }

    @Test
    void closeWithANegativeGraceIsRefusedAndChangesNothingSoEveryQueuedRequestStillEnds() throws Exception {
        Sluice sluice = Sluice.builder().resources(Fixtures.cpus(2)).build();
        Fixtures.GatedModel[] model = new Fixtures.GatedModel[1];
        DeploymentHandle<Integer, Integer> h = sluice.deploy(Deployment.<Integer, Integer>builder("d", ctx -> {
            model[0] = new Fixtures.GatedModel(ctx.replicaId()).hold();
            return model[0];
        }).batching(b -> b.maxBatchSize(1)).build());
        List<CompletableFuture<Integer>> fs = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            fs.add(h.submit(i));
        }
        eventually("running", () -> model[0] != null);
        model[0].awaitStarted(); // one request runs, four are queued

        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> sluice.close(Duration.ofSeconds(-1)));
        assertTrue(e.getMessage().contains("grace"), e.getMessage());
        assertThrows(NullPointerException.class, () -> sluice.close(null));
        CompletableFuture<Integer> later = h.submit(5);

        model[0].release();
        sluice.close(Duration.ofSeconds(10));
        for (int i = 0; i < 6; i++) {
            CompletableFuture<Integer> f = i < 5 ? fs.get(i) : later;
            assertEquals(2 * i, f.get(10, TimeUnit.SECONDS), "request " + i + " was served");
        }
        assertEquals(DeploymentState.CLOSED, h.status().state());
    }

    @Test
    void aModelWhoseBatchOutlivesTheCloseIsClosedOnlyOnceThatBatchReturns() throws Exception {
        Sluice sluice = Sluice.builder().resources(Fixtures.cpus(2)).build();
        Fixtures.DeafModel model = new Fixtures.DeafModel();
        DeploymentHandle<Integer, Integer> h = sluice.deploy(Deployment.<Integer, Integer>builder("d", ctx -> model).build());
        CompletableFuture<Integer> stuck = h.submit(666);
        assertTrue(model.entered.await(10, TimeUnit.SECONDS));

        sluice.close(Duration.ofMillis(100));
        assertInstanceOf(ShutdownException.class, failureOf(stuck));
        assertEquals(1, model.closed.getCount(), "not closed while its batch still runs");

        model.release.countDown();
        assertTrue(model.closed.await(10, TimeUnit.SECONDS), "closed once the batch returned");
        assertFalse(model.closedWhileRunning.get());
    }

    @Test
    void closeLeavesNoThreadBehind() throws Exception {
        Set<Thread> before = Thread.getAllStackTraces().keySet();
        Sluice sluice = Sluice.builder().resources(Fixtures.cpus(4)).build();
        DeploymentHandle<Integer, Integer> a = sluice.deploy(Deployment.<Integer, Integer>builder("a",
                ctx -> new Fixtures.GatedModel(ctx.replicaId())).replicas(2).maxOngoingBatchesPerReplica(2)
                .healthCheck(Duration.ofMillis(10), Duration.ofSeconds(1)).build());
        DeploymentHandle<Integer, Integer> b = sluice.deploy(Deployment.<Integer, Integer>builder("b",
                ctx -> new Fixtures.GatedModel(ctx.replicaId())).build());
        for (int i = 0; i < 50; i++) {
            a.submit(i).get(10, TimeUnit.SECONDS);
            b.submit(i).get(10, TimeUnit.SECONDS);
        }
        sluice.close();
        Set<Thread> started = Thread.getAllStackTraces().keySet().stream()
                .filter(t -> !before.contains(t) && t.getName().startsWith("sluice-")).collect(Collectors.toSet());
        for (Thread t : started) {
            t.join(5_000);
        }
        List<String> alive = started.stream().filter(Thread::isAlive).map(Thread::getName).toList();
        assertEquals(List.of(), alive, "threads left running after close");
    }

    @Test
    void everyFutureOfAClosingRuntimeEndsExactlyOnce() throws Exception {
        Sluice sluice = Sluice.builder().resources(Fixtures.cpus(4)).build();
        DeploymentHandle<Integer, String> h = sluice.deploy(Deployment.<Integer, String>builder("d",
                ctx -> new Versioned("v1", ctx)).replicas(2).build());
        h.awaitReady(Duration.ofSeconds(10));
        List<CompletableFuture<String>> fs = new CopyOnWriteArrayList<>();
        CountDownLatch started = new CountDownLatch(1);
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
        sluice.close(Duration.ofSeconds(20));
        producer.join();
        int ok = 0;
        int refused = 0;
        for (CompletableFuture<String> f : fs) {
            assertTrue(f.isDone(), "every future is complete once close returned and the producer stopped");
            try {
                f.get();
                ok++;
            } catch (ExecutionException e) {
                assertTrue(e.getCause() instanceof ShutdownException
                        || e.getCause() instanceof dev.sluice.batching.OverloadedException, e.getCause().toString());
                refused++;
            }
        }
        assertEquals(20_000, ok + refused);
        assertTrue(ok > 0);
    }
}
