package dev.sluice;

import static dev.sluice.batching.Eventually.eventually;
import static dev.sluice.batching.TestFutures.failureOf;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.batching.ModelException;
import dev.sluice.testing.TestRuntime;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Lost replicas: failed health checks, hangs past the watchdog, Errors; what happens to their requests. */
class HealthTest {
    private static final Duration PASS = Duration.ofMillis(100);

    private final Map<String, TestModel> models = new ConcurrentHashMap<>();
    private final TestRuntime runtime = TestRuntime.builder().controlPeriod(PASS)
            .sluice(b -> b.resources(Fixtures.cpus(4))).build();
    private final Sluice sluice = runtime.sluice();
    private final CountDownLatch hang = new CountDownLatch(1);

    @AfterEach
    void tearDown() {
        hang.countDown();
        sluice.close(Duration.ofSeconds(5));
    }

    /** Doubles its input; hangs on 666 (until the test ends), throws an Error on 13, and can turn unhealthy. */
    final class TestModel implements Model<Integer, Integer> {
        final String id;
        final AtomicBoolean healthy = new AtomicBoolean(true);
        volatile boolean hangHealthCheck;
        volatile boolean closed;
        final List<Integer> seen = java.util.Collections.synchronizedList(new ArrayList<>());

        TestModel(String id) {
            this.id = id;
        }

        @Override
        public List<Integer> predict(List<Integer> batch) throws Exception {
            seen.addAll(batch);
            if (batch.contains(13)) {
                throw new AssertionError("corrupted native state");
            }
            if (batch.contains(666)) {
                hang.await();
            }
            return batch.stream().map(x -> 2 * x).toList();
        }

        @Override
        public boolean isHealthy() throws Exception {
            if (hangHealthCheck) {
                hang.await();
            }
            return healthy.get();
        }

        @Override
        public void close() {
            closed = true;
        }
    }

    private DeploymentHandle<Integer, Integer> deploy(int replicas, java.util.function.UnaryOperator<Deployment.Builder<Integer, Integer>> settings)
            throws Exception {
        Deployment.Builder<Integer, Integer> b = Deployment.<Integer, Integer>builder("rec", ctx -> {
            TestModel m = new TestModel(ctx.replicaId());
            models.put(ctx.replicaId(), m);
            return m;
        }).replicas(replicas).batching(c -> c.maxBatchSize(1).maxDelay(Duration.ZERO));
        DeploymentHandle<Integer, Integer> h = sluice.deploy(settings.apply(b).build());
        eventually("replicas running", runtime::runControlPass, () -> h.status().count(ReplicaState.RUNNING) == replicas);
        return h;
    }

    private static List<String> ids(DeploymentHandle<?, ?> h) {
        return h.status().replicas().stream().map(SluiceStatus.ReplicaStatus::id).sorted().toList();
    }

    @Test
    void aReplicaFailingItsHealthCheckIsReplaced() throws Exception {
        // The timeout is long in clock time: this test moves the clock faster than a real check answers.
        DeploymentHandle<Integer, Integer> h = deploy(1, b -> b.healthCheck(Duration.ofSeconds(1), Duration.ofSeconds(60)));
        runtime.advance(Duration.ofSeconds(3));
        assertEquals(List.of("rec#1"), ids(h), "healthy: kept");

        models.get("rec#1").healthy.set(false);
        runtime.advance(Duration.ofMillis(1200));
        eventually("replaced", runtime::runControlPass, () -> ids(h).equals(List.of("rec#2")) && h.status().count(ReplicaState.RUNNING) == 1);
        eventually("the lost replica's model closed", () -> models.get("rec#1").closed);
        assertEquals(10, h.submit(5).get(10, TimeUnit.SECONDS));
        assertEquals(List.of(5), models.get("rec#2").seen);
    }

    @Test
    void aHealthCheckWithNoAnswerWithinItsTimeoutCountsAsFailed() throws Exception {
        DeploymentHandle<Integer, Integer> h = deploy(1, b -> b.healthCheck(Duration.ofSeconds(1), Duration.ofMillis(500)));
        models.get("rec#1").hangHealthCheck = true;
        runtime.advance(Duration.ofMillis(1100));
        assertEquals(List.of("rec#1"), ids(h), "the check is running, not yet timed out");
        runtime.advance(Duration.ofMillis(600));
        eventually("replaced", runtime::runControlPass, () -> ids(h).equals(List.of("rec#2")));
    }

    @Test
    void aHungReplicaIsReplacedAndItsRequestFailsNamingItWhenNotIdempotent() throws Exception {
        DeploymentHandle<Integer, Integer> h = deploy(2, b -> b.watchdog(Duration.ofSeconds(2)));
        CompletableFuture<Integer> stuck = h.submit(666);
        eventually("hanging", () -> models.values().stream().anyMatch(m -> m.seen.contains(666)));
        String hungId = models.values().stream().filter(m -> m.seen.contains(666)).findFirst().orElseThrow().id;
        List<CompletableFuture<Integer>> others = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            others.add(h.submit(i));
        }
        for (int i = 0; i < 10; i++) {
            assertEquals(2 * i, others.get(i).get(10, TimeUnit.SECONDS), "the other replica serves the queue");
        }

        runtime.advance(Duration.ofMillis(2100));
        ModelException e = assertInstanceOf(ModelException.class, failureOf(stuck));
        assertEquals(hungId, e.replica());
        assertTrue(e.getMessage().contains("watchdog"), e.getMessage());
        assertTrue(e.getMessage().contains("not marked idempotent"), e.getMessage());
        eventually("replacement running", runtime::runControlPass,
                () -> h.status().count(ReplicaState.RUNNING) == 2 && !ids(h).contains(hungId));
    }

    @Test
    void aHungReplicasRequestIsRetriedOnceElsewhereWhenIdempotent() throws Exception {
        DeploymentHandle<Integer, Integer> h = deploy(2, b -> b.watchdog(Duration.ofSeconds(2)).idempotent(true));
        // The request that hangs on one replica hangs on the next as well: retried once, then it fails.
        CompletableFuture<Integer> poison = h.submit(666);
        eventually("hanging", () -> models.values().stream().filter(m -> m.seen.contains(666)).count() == 1);
        runtime.advance(Duration.ofMillis(2100));
        eventually("retried on a second replica", runtime::runControlPass,
                () -> models.values().stream().filter(m -> m.seen.contains(666)).count() == 2);
        assertFalse(poison.isDone(), "still running its one retry");
        runtime.advance(Duration.ofMillis(2100));
        ModelException e = assertInstanceOf(ModelException.class, failureOf(poison));
        assertTrue(e.getMessage().contains("watchdog"), e.getMessage());
        assertEquals(2, models.values().stream().filter(m -> m.seen.contains(666)).count(), "ran twice, not more");
        eventually("two healthy replicas again", runtime::runControlPass, () -> h.status().count(ReplicaState.RUNNING) == 2);
        assertEquals(8, h.submit(4).get(10, TimeUnit.SECONDS));
    }

    @Test
    void anInFlightRequestOfAReplicaLostToAHangIsServedByAnotherWhenIdempotent() throws Exception {
        // One replica hangs on an ordinary request (a stuck driver, say); the retry elsewhere succeeds.
        AtomicBoolean firstCall = new AtomicBoolean(true);
        CountDownLatch stuck = new CountDownLatch(1);
        DeploymentHandle<Integer, Integer> h = sluice.deploy(Deployment.<Integer, Integer>builder("rec", ctx -> batch -> {
            if (firstCall.getAndSet(false)) {
                stuck.countDown();
                hang.await();
            }
            return batch.stream().map(x -> 2 * x).toList();
        }).replicas(2).watchdog(Duration.ofSeconds(1)).idempotent(true).build());
        eventually("running", runtime::runControlPass, () -> h.status().count(ReplicaState.RUNNING) == 2);
        CompletableFuture<Integer> f = h.submit(21);
        assertTrue(stuck.await(10, TimeUnit.SECONDS));
        runtime.advance(Duration.ofMillis(1100));
        assertEquals(42, f.get(10, TimeUnit.SECONDS));
    }

    @Test
    void aLostReplicasModelIsClosedOnlyOnceItsHungBatchHasReturned() throws Exception {
        Map<String, Fixtures.DeafModel> deaf = new ConcurrentHashMap<>();
        DeploymentHandle<Integer, Integer> h = sluice.deploy(Deployment.<Integer, Integer>builder("rec", ctx -> {
            Fixtures.DeafModel m = new Fixtures.DeafModel();
            deaf.put(ctx.replicaId(), m);
            return m;
        }).watchdog(Duration.ofSeconds(2)).build());
        eventually("running", runtime::runControlPass, () -> h.status().count(ReplicaState.RUNNING) == 1);
        CompletableFuture<Integer> stuck = h.submit(666);
        Fixtures.DeafModel hung = deaf.get("rec#1");
        assertTrue(hung.entered.await(10, TimeUnit.SECONDS));

        runtime.advance(Duration.ofMillis(2100));
        assertInstanceOf(ModelException.class, failureOf(stuck));
        eventually("replacement running", runtime::runControlPass, () -> ids(h).equals(List.of("rec#2"))
                && h.status().count(ReplicaState.RUNNING) == 1);
        assertEquals(4, h.submit(2).get(10, TimeUnit.SECONDS));
        assertEquals(1, hung.closed.getCount(), "not closed while its batch still runs");

        hung.release.countDown();
        assertTrue(hung.closed.await(10, TimeUnit.SECONDS), "closed once the batch returned");
        assertFalse(hung.closedWhileRunning.get());
    }

    @Test
    void anErrorFromTheModelReplacesTheReplicaAndFailsOnlyThatRequestWhenNotIdempotent() throws Exception {
        DeploymentHandle<Integer, Integer> h = deploy(2, b -> b);
        CompletableFuture<Integer> bad = h.submit(13);
        ModelException e = assertInstanceOf(ModelException.class, failureOf(bad));
        assertInstanceOf(AssertionError.class, e.getCause());
        assertTrue(e.replica().startsWith("rec#"), e.replica());
        assertTrue(e.getMessage().contains("threw java.lang.AssertionError"), e.getMessage());
        eventually("replaced", runtime::runControlPass, () -> h.status().count(ReplicaState.RUNNING) == 2 && !ids(h).contains(e.replica()));
        eventually("the lost replica's model closed", () -> models.get(e.replica()).closed);
        for (int i = 0; i < 10; i++) {
            assertEquals(2 * i, h.submit(i).get(10, TimeUnit.SECONDS));
        }
    }

    @Test
    void anErrorOnARetriedRequestFailsItAfterTwoReplicas() throws Exception {
        DeploymentHandle<Integer, Integer> h = deploy(2, b -> b.idempotent(true));
        ModelException e = assertInstanceOf(ModelException.class, failureOf(h.submit(13)));
        assertInstanceOf(AssertionError.class, e.getCause());
        eventually("both replaced", runtime::runControlPass, () -> h.status().count(ReplicaState.RUNNING) == 2
                && models.values().stream().filter(m -> m.seen.contains(13)).count() == 2);
        assertEquals(2, models.values().stream().filter(m -> m.seen.contains(13)).count(), "ran twice, not more");
        assertEquals(6, h.submit(3).get(10, TimeUnit.SECONDS));
    }
}
