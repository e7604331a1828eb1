package dev.sluice.grpc;

import static dev.sluice.batching.Eventually.eventually;
import static dev.sluice.batching.TestFutures.failureOf;
import static dev.sluice.grpc.RemoteCluster.T;
import static dev.sluice.grpc.RemoteCluster.input;
import static dev.sluice.grpc.RemoteCluster.marker;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.ReplicaState;
import dev.sluice.batching.DeadlineExceededException;
import dev.sluice.batching.Dispatch;
import dev.sluice.batching.DynamicBatcher;
import dev.sluice.pipeline.Pipeline;
import dev.sluice.pipeline.Ref;
import dev.sluice.pipeline.Result;
import dev.sluice.pipeline.Trace;
import dev.sluice.tensor.Tensor;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.ForwardingClientCall;
import io.grpc.ForwardingClientCallListener;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@link RemoteDeployment} against several {@link SluiceGrpcServer}s in this JVM on 127.0.0.2, 127.0.0.3, ...
 * (see {@link RemoteCluster}): routing by load, failover, deadlines and cancellation over the wire, pipelines.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class RemoteDeploymentTest {

    /** Counts how each call (each attempt of a request) of a channel ended, by status code. */
    static final class Attempts implements ClientInterceptor {
        final Map<Status.Code, AtomicInteger> ended = new ConcurrentHashMap<>();

        int count(Status.Code code) {
            AtomicInteger n = ended.get(code);
            return n == null ? 0 : n.get();
        }

        int failed() {
            return ended.entrySet().stream().filter(e -> e.getKey() != Status.Code.OK)
                    .mapToInt(e -> e.getValue().get()).sum();
        }

        @Override
        public <Q, R> ClientCall<Q, R> interceptCall(MethodDescriptor<Q, R> method, CallOptions options, Channel next) {
            return new ForwardingClientCall.SimpleForwardingClientCall<>(next.newCall(method, options)) {
                @Override
                public void start(Listener<R> listener, Metadata headers) {
                    super.start(new ForwardingClientCallListener.SimpleForwardingClientCallListener<>(listener) {
                        @Override
                        public void onClose(Status status, Metadata trailers) {
                            ended.computeIfAbsent(status.getCode(), c -> new AtomicInteger()).incrementAndGet();
                            super.onClose(status, trailers);
                        }
                    }, headers);
                }
            };
        }
    }

    private static RemoteDeployment remote(List<String> addresses, Attempts attempts, boolean idempotent)
            throws Exception {
        RemoteDeployment r = RemoteDeployment.builder("remote-doubler").model(RemoteCluster.MODEL)
                .addresses(addresses).timeout(T).idempotent(idempotent).maxAttempts(4)
                .channel(c -> c.intercept(attempts)).build();
        r.awaitReady(T); // one server connected: wait for all, so that none misses the test's first requests
        eventually("every server connected", () -> r.status().replicas().size() == addresses.size()
                && r.status().replicas().stream().allMatch(s -> s.state() == ReplicaState.RUNNING));
        return r;
    }

    private static RemoteDeployment remote(List<String> addresses) throws Exception {
        return remote(addresses, new Attempts(), true);
    }

    @Test
    void routesAwayFromTheServerWhoseCallsAreHeld() throws Exception {
        try (RemoteCluster cluster = RemoteCluster.start(3); RemoteDeployment remote = remote(cluster.addresses())) {
            RemoteCluster.Node held = cluster.node(0);
            held.gate.close();
            List<CompletableFuture<Map<String, Tensor>>> all = new ArrayList<>();
            for (int i = 1; i <= 30; i++) {
                CompletableFuture<Map<String, Tensor>> f = remote.submit(input(i));
                all.add(f);
                // Next request once this one is answered, or is held by the gated server's model.
                eventually("request " + i + " answered or held", () -> f.isDone() || held.gate.reached());
                if (!f.isDone()) {
                    held.gate.awaitBatch();
                }
            }
            // A call held there counts as in flight: the less loaded servers got every request after the first
            // one it held. Round robin or a random pick would have sent it about ten.
            long heldThere = all.stream().filter(f -> !f.isDone()).count();
            assertTrue(heldThere <= 1, "the server holding calls got " + heldThere);
            assertEquals(30 - heldThere, cluster.node(1).seen.size() + cluster.node(2).seen.size());
            held.gate.open();
            for (int i = 0; i < all.size(); i++) {
                assertEquals(i + 1, marker(all.get(i).get(10, TimeUnit.SECONDS)));
            }
            assertEquals(heldThere, held.seen.size());
        }
    }

    @ParameterizedTest(name = "idempotent: {0}")
    @ValueSource(booleans = {true, false})
    void aServerWhoseQueueIsFullRefusesAndItsRequestsGoElsewhere(boolean idempotent) throws Exception {
        try (RemoteCluster cluster = RemoteCluster.start(2, 1);
                OipGrpcClient direct = OipGrpcClient.connect(cluster.node(0).address())) {
            RemoteCluster.Node full = cluster.node(0);
            full.gate.close();
            // Fill the first server: one request held by its model, one waiting in its queue of one.
            CompletableFuture<InferResult> heldOne = direct.inferAsync(request(1000), T);
            full.gate.awaitBatch();
            CompletableFuture<InferResult> queued = direct.inferAsync(request(1001), T);
            eventually("the second request is queued", () -> full.queueDepth() == 1);

            Attempts attempts = new Attempts();
            try (RemoteDeployment remote = remote(cluster.addresses(), attempts, idempotent)) {
                AtomicInteger completions = new AtomicInteger();
                for (int i = 1; i <= 50; i++) {
                    CompletableFuture<Map<String, Tensor>> f = remote.submit(input(i));
                    f.whenComplete((v, e) -> completions.incrementAndGet());
                    assertEquals(i, marker(f.get(10, TimeUnit.SECONDS)), "request " + i);
                }
                assertEquals(50, completions.get());
                assertTrue(attempts.count(Status.Code.RESOURCE_EXHAUSTED) >= 1,
                        "no request was refused, so none was retried: " + attempts.ended);
                assertEquals(50, cluster.node(1).seen.size());
            }
            full.gate.open();
            heldOne.get(10, TimeUnit.SECONDS);
            queued.get(10, TimeUnit.SECONDS);
        }
    }

    @Test
    void aServerStoppedMidCallLosesNoRequest() throws Exception {
        Attempts attempts = new Attempts();
        try (RemoteCluster cluster = RemoteCluster.start(3);
                RemoteDeployment remote = remote(cluster.addresses(), attempts, true)) {
            RemoteCluster.Node dying = cluster.node(0);
            dying.gate.close();
            List<CompletableFuture<Map<String, Tensor>>> all = new ArrayList<>();
            AtomicInteger completions = new AtomicInteger();
            for (int i = 1; i <= 200 && !dying.gate.reached(); i++) {
                CompletableFuture<Map<String, Tensor>> f = remote.submit(input(i));
                f.whenComplete((v, e) -> completions.incrementAndGet());
                all.add(f);
                eventually("request " + i + " answered or held", () -> f.isDone() || dying.gate.reached());
            }
            assertTrue(dying.gate.reached(), "no request reached the server to be stopped");
            for (int i = 0; i < 40; i++) { // more load while it dies
                int marker = all.size() + 1;
                CompletableFuture<Map<String, Tensor>> f = remote.submit(input(marker));
                f.whenComplete((v, e) -> completions.incrementAndGet());
                all.add(f);
            }
            dying.server.close(); // no grace: its calls in flight are cancelled
            for (int i = 0; i < all.size(); i++) {
                assertEquals(i + 1, marker(all.get(i).get(10, TimeUnit.SECONDS)), "request " + (i + 1));
            }
            assertEquals(all.size(), completions.get());
            assertTrue(attempts.failed() >= 1, "the held call did not fail over: " + attempts.ended);
        }
    }

    @Test
    void aServerShuttingDownGracefullyFinishesWhatItAdmittedAndGetsNoMore() throws Exception {
        Attempts attempts = new Attempts();
        try (RemoteCluster cluster = RemoteCluster.start(3);
                RemoteDeployment remote = remote(cluster.addresses(), attempts, false)) {
            RemoteCluster.Node draining = cluster.node(0);
            draining.gate.close();
            List<CompletableFuture<Map<String, Tensor>>> all = new ArrayList<>();
            CompletableFuture<Map<String, Tensor>> admitted = null;
            for (int i = 1; i <= 200 && admitted == null; i++) {
                CompletableFuture<Map<String, Tensor>> f = remote.submit(input(i));
                all.add(f);
                eventually("request " + i + " answered or held", () -> f.isDone() || draining.gate.reached());
                if (!f.isDone()) {
                    admitted = f;
                }
            }
            assertTrue(admitted != null, "no request reached the server to be drained");
            float admittedMarker = all.size();
            draining.server.shutdown(); // as on SIGTERM: unready, takes no new calls, finishes what it has
            for (int i = 0; i < 30; i++) {
                all.add(remote.submit(input(all.size() + 1)));
            }
            for (int i = 0; i < all.size(); i++) {
                if (all.get(i) != admitted) {
                    assertEquals(i + 1, marker(all.get(i).get(10, TimeUnit.SECONDS)), "request " + (i + 1));
                }
            }
            assertFalse(admitted.isDone());
            draining.gate.open();
            assertEquals(admittedMarker, marker(admitted.get(10, TimeUnit.SECONDS)));
            assertEquals(List.of(admittedMarker), draining.seen); // it ran there, once, and nothing after it
            assertTrue(draining.server.awaitTermination(T));
        }
    }

    @Test
    void anExpiredRequestNeverReachesTheRemoteModel() throws Exception {
        try (RemoteCluster cluster = RemoteCluster.start(1);
                RemoteDeployment remote = remote(cluster.addresses())) {
            RemoteCluster.Node node = cluster.node(0);
            node.gate.close();
            CompletableFuture<Map<String, Tensor>> first = remote.submit(input(1));
            node.gate.awaitBatch();
            CompletableFuture<Map<String, Tensor>> late = remote.submit(input(2), Duration.ofMillis(200));
            Throwable failure = failureOf(late);
            assertInstanceOf(DeadlineExceededException.class, failure);
            assertTrue(failure.getMessage().contains("remote-doubler"), failure.getMessage());
            node.gate.open();
            assertEquals(1, marker(first.get(10, TimeUnit.SECONDS)));
            assertEquals(3, marker(remote.submit(input(3)).get(10, TimeUnit.SECONDS)));
            assertEquals(List.of(1f, 3f), node.seen);
        }
    }

    @Test
    void cancellingTheFutureWithdrawsTheRemoteRequest() throws Exception {
        try (RemoteCluster cluster = RemoteCluster.start(1);
                RemoteDeployment remote = remote(cluster.addresses())) {
            RemoteCluster.Node node = cluster.node(0);
            node.gate.close();
            CompletableFuture<Map<String, Tensor>> first = remote.submit(input(1));
            node.gate.awaitBatch();
            CompletableFuture<Map<String, Tensor>> cancelled = remote.submit(input(2));
            eventually("the request waits in the server's queue", () -> node.queueDepth() == 1);
            assertTrue(cancelled.cancel(false));
            eventually("the server withdrew it", () -> node.queueDepth() == 0);
            node.gate.open();
            assertEquals(1, marker(first.get(10, TimeUnit.SECONDS)));
            assertEquals(3, marker(remote.submit(input(3)).get(10, TimeUnit.SECONDS)));
            assertEquals(List.of(1f, 3f), node.seen);
        }
    }

    @Test
    void independentRemoteStepsOfOneRequestRunOnTwoServersAtOnce() throws Exception {
        try (RemoteCluster cluster = RemoteCluster.start(3); RemoteDeployment remote = remote(cluster.addresses())) {
            Pipeline.Builder<Map<String, Tensor>> b = Pipeline.builder("two-remote-steps");
            Ref<Map<String, Tensor>> in = b.input();
            Ref<Map<String, Tensor>> left = b.step("left").call(remote, in);
            Ref<Map<String, Tensor>> right = b.step("right").call(remote, in);
            Pipeline<Map<String, Tensor>, List<Float>> pipeline = b.build(
                    b.step("both").apply((x, y) -> List.of(marker(x), marker(y)), left, right));
            cluster.nodes.forEach(n -> n.gate.close());
            CompletableFuture<Result<List<Float>>> f = pipeline.submit(input(7), T);
            // Both steps are held by models at once, each on its own server.
            eventually("both steps held", () -> cluster.nodes.stream().filter(n -> n.gate.reached()).count() == 2);
            assertFalse(f.isDone());
            cluster.nodes.forEach(n -> n.gate.open());
            Result<List<Float>> result = f.get(10, TimeUnit.SECONDS);
            assertEquals(List.of(7f, 7f), result.value());
            assertEquals(1, cluster.nodes.stream().filter(n -> n.seen.size() == 1).count() - 1);
            Trace.Span l = result.trace().spansOf("left").get(0);
            Trace.Span r = result.trace().spansOf("right").get(0);
            assertEquals(Trace.Outcome.OK, l.outcome());
            assertEquals(Trace.Outcome.OK, r.outcome());
            assertTrue(l.startNanos() < r.startNanos() + r.durationNanos()
                    && r.startNanos() < l.startNanos() + l.durationNanos(), "the steps overlap:\n" + result.trace());
            // The trace names the server of each step: two of them.
            assertTrue(cluster.addresses().contains(l.replicas()), result.trace().toString());
            assertTrue(cluster.addresses().contains(r.replicas()), result.trace().toString());
            assertNotEquals(l.replicas(), r.replicas(), result.trace().toString());
            // And what each server did with it: its queue wait and the batch it joined there, as for a local step.
            assertEquals(1, l.batchSize(), result.trace().toString());
            assertTrue(l.queueWaitNanos() >= 0 && r.queueWaitNanos() >= 0, result.trace().toString());
            assertTrue(result.trace().toString().contains("batch 1 (policy's size 8), " + l.replicas()),
                    result.trace().toString());
        }
    }

    @Test
    void aRemoteRequestsDispatchSaysHowLongItQueuedOnTheServerAndTheBatchItJoinedThere() throws Exception {
        try (RemoteCluster cluster = RemoteCluster.start(1); RemoteDeployment remote = remote(cluster.addresses())) {
            RemoteCluster.Node node = cluster.node(0);
            node.gate.close();
            CompletableFuture<Map<String, Tensor>> first = remote.submit(input(1));
            node.gate.awaitBatch(); // running alone, held
            CompletableFuture<Map<String, Tensor>> second = remote.submit(input(2));
            CompletableFuture<Map<String, Tensor>> third = remote.submit(input(3));
            eventually("two queued behind it", () -> node.queueDepth() == 2);
            node.gate.open();
            for (CompletableFuture<Map<String, Tensor>> f : List.of(first, second, third)) {
                f.get(10, TimeUnit.SECONDS);
            }
            Dispatch d1 = DynamicBatcher.dispatchOf(first);
            Dispatch d2 = DynamicBatcher.dispatchOf(second);
            Dispatch d3 = DynamicBatcher.dispatchOf(third);
            assertEquals(1, d1.batchSize());
            assertEquals(2, d2.batchSize(), "the two queued behind the first ran as one batch on the server");
            assertEquals(2, d3.batchSize());
            assertEquals(node.address(), d2.worker(), "the worker is the server's address");
            assertTrue(d1.queueWaitNanos() >= 0 && d2.queueWaitNanos() > 0 && d3.queueWaitNanos() > 0, d2 + " " + d3);
            assertTrue(d2.chosenBatchSize() >= 2, d2.toString());
        }
    }

    @Test
    void aFanOutOverARemoteDeploymentSpreadsOverTheServersAndKeepsItsOrder() throws Exception {
        try (RemoteCluster cluster = RemoteCluster.start(3); RemoteDeployment remote = remote(cluster.addresses())) {
            Pipeline.Builder<List<Map<String, Tensor>>> b = Pipeline.builder("fan-out");
            Ref<List<Map<String, Tensor>>> in = b.input();
            Pipeline<List<Map<String, Tensor>>, List<Map<String, Tensor>>> pipeline =
                    b.build(b.step("double").each(remote, in));
            List<Map<String, Tensor>> inputs = new ArrayList<>();
            for (int i = 1; i <= 12; i++) {
                inputs.add(input(i));
            }
            cluster.nodes.forEach(n -> n.gate.close());
            CompletableFuture<Result<List<Map<String, Tensor>>>> f = pipeline.submit(inputs, T);
            // Every element is sent at once; held there, each counts as load on its server.
            eventually("every server holds elements", () -> cluster.nodes.stream().allMatch(n -> n.gate.reached()));
            cluster.nodes.forEach(n -> n.gate.open());
            Result<List<Map<String, Tensor>>> result = f.get(10, TimeUnit.SECONDS);
            for (int i = 0; i < 12; i++) {
                assertEquals(i + 1, marker(result.value().get(i)));
            }
            assertEquals(12, cluster.nodes.stream().mapToInt(n -> n.seen.size()).sum());
            Trace.Span span = result.trace().spansOf("double").get(0);
            assertEquals(Trace.Outcome.OK, span.outcome());
            assertEquals(12, span.elements());
        }
    }

    @Test
    void serversAddedBehindTheNameGetTrafficOnceConnectionsReachTheirMaximumAge() throws Exception {
        TestNames.register();
        try (RemoteCluster cluster = RemoteCluster.start(3, 64,
                b -> b.maxConnectionAge(Duration.ofMillis(200), Duration.ofSeconds(5)))) {
            TestNames.set("workers", cluster.addresses().subList(0, 2));
            try (RemoteDeployment remote = RemoteDeployment.builder("remote-doubler").model(RemoteCluster.MODEL)
                    .target("testdns:///workers").timeout(T).build()) {
                remote.awaitReady(T);
                for (int i = 1; i <= 10; i++) {
                    assertEquals(i, marker(remote.submit(input(i)).get(10, TimeUnit.SECONDS)));
                }
                RemoteCluster.Node added = cluster.node(2);
                assertEquals(List.of(), added.seen);
                int before = TestNames.resolutions("workers");
                TestNames.set("workers", cluster.addresses());
                AtomicInteger sent = new AtomicInteger(10);
                // Without a maximum connection age nothing makes the client look again (checked: this fails).
                eventually("the server added behind the name gets requests", () -> {
                    int i = sent.incrementAndGet();
                    try {
                        assertEquals(i, marker(remote.submit(input(i)).get(10, TimeUnit.SECONDS)));
                    } catch (Exception e) {
                        throw new AssertionError(e);
                    }
                }, () -> !added.seen.isEmpty());
                assertTrue(TestNames.resolutions("workers") > before);
                assertEquals(3, remote.status().replicas().size(), remote.status().toString());
            }
        }
    }

    private static InferRequest request(float marker) {
        return InferRequest.builder(RemoteCluster.MODEL).inputs(input(marker).values()).build();
    }
}
