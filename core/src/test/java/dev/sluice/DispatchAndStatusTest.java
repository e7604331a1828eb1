package dev.sluice;

import static dev.sluice.batching.Eventually.eventually;
import static dev.sluice.batching.TestFutures.failureOf;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.batching.ModelException;
import java.lang.reflect.RecordComponent;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Pull dispatch across replicas, ongoing batches per replica, and the status snapshot. */
class DispatchAndStatusTest {
    private final Map<String, Fixtures.GatedModel> models = new ConcurrentHashMap<>();
    private final Sluice sluice = Sluice.builder().resources(Fixtures.cpus(4)).build();

    @AfterEach
    void tearDown() {
        models.values().forEach(Fixtures.GatedModel::release);
        sluice.close(Duration.ofSeconds(5));
    }

    private ModelFactory<Integer, Integer> gated() {
        return ctx -> {
            Fixtures.GatedModel m = new Fixtures.GatedModel(ctx.replicaId());
            models.put(ctx.replicaId(), m);
            return m;
        };
    }

    @Test
    void aBusyReplicaHoldsNothingAnotherCanServe() throws Exception {
        DeploymentHandle<Integer, Integer> h = sluice.deploy(Deployment.builder("d", gated()).replicas(2)
                .batching(b -> b.maxBatchSize(2).maxDelay(Duration.ZERO)).build());
        h.awaitReady(Duration.ofSeconds(10));
        eventually("both running", () -> h.status().count(ReplicaState.RUNNING) == 2);
        models.get("d#1").hold();
        models.get("d#2").hold();
        CompletableFuture<Integer> a = h.submit(1);
        // Only once a replica holds input 1 does input 2 come: sent together, both could form one batch of two.
        eventually("input 1 taken", () -> !models.get("d#1").batches.isEmpty() || !models.get("d#2").batches.isEmpty());
        CompletableFuture<Integer> b = h.submit(2);
        models.get("d#1").awaitStarted();
        models.get("d#2").awaitStarted();
        // Both busy; free one and send more: all of it goes to the free one, none waits behind the busy one.
        String slow = models.get("d#1").batches.get(0).contains(1) ? "d#1" : "d#2";
        String fast = slow.equals("d#1") ? "d#2" : "d#1";
        models.get(fast).release();
        List<CompletableFuture<Integer>> more = new ArrayList<>();
        for (int i = 10; i < 40; i++) {
            more.add(h.submit(i));
        }
        for (int i = 0; i < more.size(); i++) {
            assertEquals(2 * (i + 10), more.get(i).get(10, TimeUnit.SECONDS));
        }
        assertFalse(a.isDone(), "the slow replica is still on its first batch, input 1");
        assertEquals(4, b.get(10, TimeUnit.SECONDS));
        assertEquals(1, models.get(slow).batches.size());
    }

    @Test
    void oneOngoingBatchPerReplicaByDefaultAndMoreWhenAllowed() throws Exception {
        AtomicInteger running = new AtomicInteger();
        AtomicInteger most = new AtomicInteger();
        CountDownLatch gate = new CountDownLatch(1);
        ModelFactory<Integer, Integer> counting = ctx -> batch -> {
            most.accumulateAndGet(running.incrementAndGet(), Math::max);
            try {
                gate.await();
                return batch;
            } finally {
                running.decrementAndGet();
            }
        };
        DeploymentHandle<Integer, Integer> one = sluice.deploy(Deployment.builder("one", counting)
                .batching(b -> b.maxBatchSize(1)).build());
        DeploymentHandle<Integer, Integer> two = sluice.deploy(Deployment.builder("two", counting)
                .maxOngoingBatchesPerReplica(3).batching(b -> b.maxBatchSize(1)).build());
        List<CompletableFuture<Integer>> fs = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            fs.add(one.submit(i));
        }
        eventually("one batch on 'one'", () -> running.get() == 1);
        for (int i = 0; i < 5; i++) {
            fs.add(two.submit(i));
        }
        eventually("three more on 'two'", () -> running.get() == 4);
        assertEquals(4, one.status().queueDepth(), "the rest waits in the queue, not in a replica");
        assertEquals(2, two.status().queueDepth());
        assertEquals(3, two.status().replicas().get(0).inFlight());
        gate.countDown();
        for (CompletableFuture<Integer> f : fs) {
            f.get(10, TimeUnit.SECONDS);
        }
        assertEquals(4, most.get(), "1 on 'one' + 3 on 'two' at once, never more, over the whole run");
    }

    @Test
    void theStatusCountsBatchesAndShowsTheLastError() throws Exception {
        DeploymentHandle<Integer, Integer> h = sluice.deploy(Deployment.<Integer, Integer>builder("d", ctx -> batch -> {
            if (batch.contains(-1)) {
                throw new IllegalArgumentException("negative input");
            }
            return batch;
        }).batching(b -> b.maxBatchSize(1)).build());
        for (int i = 0; i < 10; i++) {
            h.submit(i).get(10, TimeUnit.SECONDS);
        }
        ModelException e = assertInstanceOf(ModelException.class, failureOf(h.submit(-1)));
        assertEquals("d#1", e.replica());

        SluiceStatus.DeploymentStatus d = sluice.status().deployment("d");
        assertEquals(DeploymentState.SERVING, d.state());
        assertEquals(1, d.version());
        assertEquals(1, d.targetReplicas());
        SluiceStatus.ReplicaStatus r = d.replicas().get(0);
        assertEquals("d#1", r.id());
        assertEquals(ReplicaState.RUNNING, r.state());
        assertEquals("1 CPU", r.placement());
        assertNull(r.pendingReason());
        assertEquals(11, r.batches());
        assertEquals(1.0, r.meanBatchSize(), 1e-9);
        assertTrue(r.lastError().contains("negative input"), r.lastError());
        assertEquals(0, r.inFlight());
        // The last call gives its CPU back a moment after its caller saw the result.
        eventually("the budget idle", () -> sluice.status().resources().cpusInUse() == 0);
        String text = sluice.status().toString();
        assertTrue(text.startsWith("sluice: budget: 0 of 4 CPUs in use, 0 calls waiting"), text);
        assertTrue(text.contains("d v1 serving (1 replica(s) running): 1 replica(s), target 1 (min 1, max 1), queue 0;"
                + " autoscaler "), text);
        assertTrue(text.contains("d#1 v1 RUNNING on 1 CPU; in flight 0, 11 batches, mean batch 1.0; last error: "
                + "java.lang.IllegalArgumentException: negative input"), text);
        // The batcher's cost curve: the ten calls that returned, all of one input (the failed one is not a cost).
        assertEquals(1, d.costCurve().targetBatchSize());
        assertEquals(1, d.costCurve().points().size());
        assertEquals(10, d.costCurve().points().get(0).samples());
        assertTrue(text.contains("; batch size target 1; 1: "), text);
    }

    @Test
    void theStatusIsAnImmutableSnapshotOfPlainValues() throws Exception {
        DeploymentHandle<Integer, Integer> h = sluice.deploy(Deployment.builder("d", gated()).build());
        h.awaitReady(Duration.ofSeconds(10));
        SluiceStatus before = sluice.status();
        h.submit(1).get(10, TimeUnit.SECONDS);
        assertEquals(0, before.deployment("d").replicas().get(0).batches(), "a snapshot does not change");
        assertThrows(UnsupportedOperationException.class, () -> before.deployments().clear());
        assertPlain(SluiceStatus.class);
    }

    /** Records of strings, numbers, booleans, enums and lists of such records: what a JSON mapper writes as is. */
    private static void assertPlain(Class<?> type) {
        assertTrue(type.isRecord(), type + " is a record");
        for (RecordComponent c : type.getRecordComponents()) {
            Class<?> t = c.getType();
            if (t.isPrimitive() || t == String.class || t == Integer.class || t.isEnum()) {
                continue;
            }
            if (t == List.class) {
                Class<?> element = (Class<?>) ((java.lang.reflect.ParameterizedType) c.getGenericType())
                        .getActualTypeArguments()[0];
                assertPlain(element);
            } else {
                assertPlain(t);
            }
        }
    }
}
