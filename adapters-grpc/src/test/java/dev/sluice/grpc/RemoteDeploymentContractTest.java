package dev.sluice.grpc;

import static dev.sluice.batching.Eventually.eventually;
import static dev.sluice.batching.TestFutures.failureOf;
import static dev.sluice.grpc.RemoteCluster.T;
import static dev.sluice.grpc.RemoteCluster.input;
import static dev.sluice.grpc.RemoteCluster.marker;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.DeploymentState;
import dev.sluice.ReplicaState;
import dev.sluice.SluiceStatus;
import dev.sluice.batching.DeadlineExceededException;
import dev.sluice.batching.InvalidInputException;
import dev.sluice.batching.ModelException;
import dev.sluice.batching.ShutdownException;
import dev.sluice.tensor.Tensor;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.ClientInterceptors;
import io.grpc.ForwardingClientCall;
import io.grpc.ForwardingClientCallListener;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** What {@link RemoteDeployment} promises as a {@link dev.sluice.DeploymentHandle}: typed failures, status, limits. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class RemoteDeploymentContractTest {

    private static RemoteDeployment remote(List<String> addresses, boolean idempotent) throws Exception {
        RemoteDeployment r = RemoteDeployment.builder("remote-doubler").model(RemoteCluster.MODEL)
                .addresses(addresses).timeout(T).idempotent(idempotent).build();
        r.awaitReady(T); // one server connected: wait for all, so that none misses the test's first requests
        eventually("every server connected", () -> r.status().replicas().size() == addresses.size()
                && r.status().replicas().stream().allMatch(s -> s.state() == ReplicaState.RUNNING));
        return r;
    }

    @Test
    void badInputFailsWithInvalidInputNamingTheDeploymentAndTheServer() throws Exception {
        try (RemoteCluster cluster = RemoteCluster.start(1); RemoteDeployment remote = remote(cluster.addresses(), true)) {
            Throwable wrongShape = failureOf(remote.submit(Map.of("x", Tensor.ofFloats("x", new long[] {1, 3}, 1, 2, 3))));
            assertInstanceOf(InvalidInputException.class, wrongShape);
            assertTrue(wrongShape.getMessage().contains("'remote-doubler'")
                    && wrongShape.getMessage().contains(cluster.node(0).address()), wrongShape.getMessage());
            assertInstanceOf(InvalidInputException.class, failureOf(remote.submit(null)));
            assertInstanceOf(InvalidInputException.class, failureOf(remote.submit(Map.of())));
            // As a local deployment's: a timeout that is not positive fails the future, and nothing is sent.
            assertInstanceOf(DeadlineExceededException.class, failureOf(remote.submit(input(1), Duration.ZERO)));
            assertInstanceOf(DeadlineExceededException.class, failureOf(remote.submit(input(2), Duration.ofMillis(-1))));
            assertEquals(List.of(), cluster.node(0).seen);
        }
    }

    @Test
    void aModelFailureIsAModelExceptionNamingTheServerAndIsNotRetried() throws Exception {
        try (RemoteCluster cluster = RemoteCluster.start(2); RemoteDeployment remote = remote(cluster.addresses(), true)) {
            Throwable failure = failureOf(remote.submit(input(-1)));
            ModelException e = assertInstanceOf(ModelException.class, failure);
            assertEquals("remote-doubler", e.source());
            assertTrue(cluster.addresses().contains(e.replica()), e.replica());
            assertEquals(1, cluster.node(0).seen.size() + cluster.node(1).seen.size());
        }
    }

    @Test
    void anUnknownModelIsAModelException() throws Exception {
        try (RemoteCluster cluster = RemoteCluster.start(1)) {
            // By default the server's health service is asked about the model: it knows no 'nobody'.
            try (RemoteDeployment remote = RemoteDeployment.builder("nobody").addresses(cluster.addresses())
                    .build()) {
                Throwable failure = failureOf(remote.submit(input(1)));
                assertInstanceOf(ModelException.class, failure);
                assertTrue(failure.getMessage().contains("SERVICE_UNKNOWN for 'nobody'"), failure.getMessage());
            }
            // Without health checks the call reaches the server, which answers NOT_FOUND.
            try (RemoteDeployment remote = RemoteDeployment.builder("nobody").addresses(cluster.addresses())
                    .healthCheck(null).build()) {
                Throwable failure = failureOf(remote.submit(input(1)));
                assertInstanceOf(ModelException.class, failure);
                assertTrue(failure.getMessage().contains("no such model"), failure.getMessage());
            }
        }
    }

    @Test
    void aServerWhoseModelIsNotReadyGetsNoCallsUntilItIs() throws Exception {
        CountDownLatch started = new CountDownLatch(1);
        try (RemoteCluster cluster = RemoteCluster.start(1, 64, b -> b.healthPollInterval(Duration.ofMillis(20)))) {
            RemoteCluster.Node starting = cluster.addStarting(started);
            try (RemoteDeployment remote = RemoteDeployment.builder("remote-doubler").model(RemoteCluster.MODEL)
                    .addresses(cluster.addresses()).timeout(T).build()) {
                remote.awaitReady(T); // the first server; the other is connected but its model is not ready
                // Connected, but its health service says the model is not SERVING: no calls for it.
                eventually("the server whose model starts is known and held back", () -> remote.status().replicas()
                        .stream().anyMatch(r -> r.placement().equals(starting.address())
                                && r.state() == ReplicaState.PENDING));
                for (int i = 1; i <= 20; i++) {
                    assertEquals(i, marker(remote.submit(input(i)).get(10, TimeUnit.SECONDS)));
                }
                assertEquals(20, cluster.node(0).seen.size()); // none waited for the model that was not ready
                started.countDown();
                starting.deployment.awaitReady(T);
                AtomicInteger sent = new AtomicInteger(20);
                eventually("the server whose model is now ready gets calls", () -> {
                    int i = sent.incrementAndGet();
                    try {
                        assertEquals(i, marker(remote.submit(input(i)).get(10, TimeUnit.SECONDS)));
                    } catch (Exception e) {
                        throw new AssertionError(e);
                    }
                }, () -> !starting.seen.isEmpty());
            }
        } finally {
            started.countDown();
        }
    }

    @Test
    void noReachableServerFailsWithModelExceptionAfterItsAttempts() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getByName("127.0.0.1"))) {
            port = s.getLocalPort(); // closed again: nothing listens there
        }
        try (RemoteDeployment remote = RemoteDeployment.builder("gone").addresses("127.0.0.1:" + port)
                .timeout(Duration.ofSeconds(5)).maxAttempts(3).build()) {
            Throwable failure = failureOf(remote.submit(input(1)));
            assertInstanceOf(ModelException.class, failure);
            assertTrue(failure.getMessage().contains("'gone'") && failure.getMessage().contains("3 attempts"),
                    failure.getMessage());
            SluiceStatus.DeploymentStatus status = remote.status();
            assertEquals(DeploymentState.NOT_STARTING, status.state(), status.toString());
            assertEquals(ReplicaState.PENDING, status.replicas().get(0).state());
        }
    }

    @Test
    void withoutIdempotenceARequestWhoseServerDiesMidCallIsNotRunAgain() throws Exception {
        try (RemoteCluster cluster = RemoteCluster.start(2); RemoteDeployment remote = remote(cluster.addresses(), false)) {
            cluster.nodes.forEach(n -> n.gate.close());
            CompletableFuture<Map<String, Tensor>> f = remote.submit(input(1));
            eventually("a model holds the request", () -> cluster.nodes.stream().anyMatch(n -> n.gate.reached()));
            RemoteCluster.Node dying = cluster.nodes.stream().filter(n -> n.gate.reached()).findFirst().orElseThrow();
            RemoteCluster.Node other = cluster.nodes.get(1 - cluster.nodes.indexOf(dying));
            dying.server.close(); // no grace: the call in flight is cancelled
            ModelException e = assertInstanceOf(ModelException.class, failureOf(f));
            assertEquals(dying.address(), e.replica());
            cluster.nodes.forEach(n -> n.gate.open());
            assertEquals(2, marker(remote.submit(input(2)).get(10, TimeUnit.SECONDS)));
            assertEquals(List.of(2f), other.seen); // the first request never ran there
        }
    }

    @Test
    void describesItselfAsItsServersAndRefusesToBeUpdated() throws Exception {
        try (RemoteCluster cluster = RemoteCluster.start(2)) {
            RemoteDeployment remote = remote(cluster.addresses(), true);
            eventually("both servers connected",
                    () -> remote.status().replicas().stream().allMatch(r -> r.state() == ReplicaState.RUNNING));
            assertEquals(1, marker(remote.submit(input(1)).get(10, TimeUnit.SECONDS)));
            SluiceStatus.DeploymentStatus status = remote.status();
            assertEquals("remote-doubler", status.name());
            assertEquals(DeploymentState.SERVING, status.state());
            assertEquals(2, status.replicas().size());
            assertEquals(cluster.addresses(), status.replicas().stream().map(SluiceStatus.ReplicaStatus::placement).toList());
            assertEquals(1, status.replicas().stream().mapToLong(SluiceStatus.ReplicaStatus::batches).sum());
            assertEquals("remote-doubler", remote.deployment().name());
            assertEquals(1, remote.serving().version());
            UnsupportedOperationException e = assertThrows(UnsupportedOperationException.class,
                    () -> remote.update(ctx -> batch -> batch));
            assertTrue(e.getMessage().contains("'remote-doubler' is a remote deployment"), e.getMessage());

            remote.close();
            assertInstanceOf(ShutdownException.class, failureOf(remote.submit(input(2))));
            assertEquals(DeploymentState.CLOSED, remote.status().state());
        }
    }

    @Test
    void closingFailsARequestThatWaitsToBeRetried() throws Exception {
        try (RemoteCluster cluster = RemoteCluster.start(1, 1);
                OipGrpcClient direct = OipGrpcClient.connect(cluster.node(0).address())) {
            RemoteCluster.Node full = cluster.node(0);
            full.gate.close();
            CompletableFuture<InferResult> held = direct.inferAsync(request(1000), T);
            full.gate.awaitBatch();
            CompletableFuture<InferResult> queued = direct.inferAsync(request(1001), T);
            eventually("the server's queue is full", () -> full.queueDepth() == 1);
            RemoteDeploymentTest.Attempts attempts = new RemoteDeploymentTest.Attempts();
            RemoteDeployment remote = RemoteDeployment.builder("remote-doubler").model(RemoteCluster.MODEL)
                    .addresses(cluster.addresses()).timeout(Duration.ofSeconds(30)).maxAttempts(5)
                    .retryBackoff(Duration.ofSeconds(20)).channel(c -> c.intercept(attempts)).build();
            CompletableFuture<Map<String, Tensor>> f = remote.submit(input(1));
            eventually("the request was refused and waits to be retried",
                    () -> attempts.count(Status.Code.RESOURCE_EXHAUSTED) == 1);
            remote.close();
            Throwable failure = failureOf(f);
            assertInstanceOf(ShutdownException.class, failure);
            assertTrue(failure.getMessage().contains("'remote-doubler' was closed"), failure.getMessage());
            full.gate.open();
            held.get(10, TimeUnit.SECONDS);
            queued.get(10, TimeUnit.SECONDS);
        }
    }

    @Test
    void theServerReportsTheModelsLoadInATrailer() throws Exception {
        try (RemoteCluster cluster = RemoteCluster.start(1)) {
            AtomicReference<Metadata> trailers = new AtomicReference<>();
            ClientInterceptor capture = new ClientInterceptor() {
                @Override
                public <Q, R> ClientCall<Q, R> interceptCall(MethodDescriptor<Q, R> m, CallOptions o, Channel next) {
                    return new ForwardingClientCall.SimpleForwardingClientCall<>(next.newCall(m, o)) {
                        @Override
                        public void start(Listener<R> listener, Metadata headers) {
                            super.start(new ForwardingClientCallListener.SimpleForwardingClientCallListener<>(listener) {
                                @Override
                                public void onClose(Status status, Metadata t) {
                                    trailers.set(t);
                                    super.onClose(status, t);
                                }
                            }, headers);
                        }
                    };
                }
            };
            ManagedChannel channel = Grpc.newChannelBuilder(cluster.node(0).address(),
                    InsecureChannelCredentials.create()).build();
            try {
                OipGrpcClient client = OipGrpcClient.over(ClientInterceptors.intercept(channel, capture));
                RemoteCluster.Node node = cluster.node(0);
                node.gate.close();
                CompletableFuture<InferResult> held = client.inferAsync(request(1), T);
                node.gate.awaitBatch();
                CompletableFuture<InferResult> queued = client.inferAsync(request(2), T);
                eventually("one request queued", () -> node.queueDepth() == 1);
                InferRequest bad = InferRequest.builder(RemoteCluster.MODEL)
                        .input(Tensor.ofFloats("x", new long[] {1, 3}, 1, 2, 3)).build();
                StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> client.infer(bad, T));
                assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode());
                assertEquals("inflight=2;queue=1", trailers.get().get(LoadReport.LOAD));
                assertNull(trailers.get().get(LoadReport.REFUSED));
                node.gate.open();
                held.get(10, TimeUnit.SECONDS);
                queued.get(10, TimeUnit.SECONDS);
            } finally {
                channel.shutdownNow();
            }
        }
    }

    private static InferRequest request(float marker) {
        return InferRequest.builder(RemoteCluster.MODEL).inputs(input(marker).values()).build();
    }

}
