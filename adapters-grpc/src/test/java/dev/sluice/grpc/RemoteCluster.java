package dev.sluice.grpc;

import dev.sluice.Deployment;
import dev.sluice.DeploymentHandle;
import dev.sluice.Resources;
import dev.sluice.Sluice;
import dev.sluice.batching.BatchObserver;
import dev.sluice.tensor.Tensor;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;

/**
 * Several {@link SluiceGrpcServer}s in this JVM, each over a runtime of its own serving the gated doubler
 * ({@link TestModels#doubler}) as {@value #MODEL}, bound to 127.0.0.2, 127.0.0.3, ... on free ports: servers
 * that a {@link RemoteDeployment} tells apart by address. Closes them all.
 */
final class RemoteCluster implements AutoCloseable {
    static final String MODEL = "doubler";
    static final Duration T = Duration.ofSeconds(10);

    final List<Node> nodes = new ArrayList<>();
    private final Consumer<SluiceGrpcServer.Builder> settings;

    private RemoteCluster(Consumer<SluiceGrpcServer.Builder> settings) {
        this.settings = settings;
    }

    /** One server: its runtime, its model's gate, what its model saw. */
    static final class Node {
        final Sluice sluice;
        final SluiceGrpcServer server;
        final Gate gate = new Gate();
        final List<Float> seen = TestModels.recorder();
        final DeploymentHandle<Map<String, Tensor>, Map<String, Tensor>> deployment;

        Node(String host, int port, int queueCapacity, Consumer<SluiceGrpcServer.Builder> settings)
                throws IOException, InterruptedException, TimeoutException {
            this(host, port, queueCapacity, settings, null);
        }

        /** @param started when not null, the model starts only once it is counted down (not ready until then) */
        Node(String host, int port, int queueCapacity, Consumer<SluiceGrpcServer.Builder> settings,
                CountDownLatch started) throws IOException, InterruptedException, TimeoutException {
            sluice = Sluice.builder().resources(Resources.builder().cpus(1).build()).build();
            Deployment<Map<String, Tensor>, Map<String, Tensor>> d =
                    TestModels.doubler(MODEL, gate, seen, queueCapacity, BatchObserver.none());
            if (started == null) {
                deployment = sluice.deploy(d);
                deployment.awaitReady(T);
            } else {
                deployment = sluice.deploy(d.toBuilder(ctx -> {
                    if (!started.await(30, TimeUnit.SECONDS)) {
                        throw new IllegalStateException("the test never let the model start");
                    }
                    return d.factory().create(ctx);
                }).build());
            }
            try {
                SluiceGrpcServer.Builder b = SluiceGrpcServer.builder(sluice)
                        .address(new InetSocketAddress(host, port)).shutdownGracePeriod(Duration.ZERO);
                settings.accept(b);
                server = b.start();
            } catch (IOException | RuntimeException e) {
                sluice.close();
                throw e;
            }
        }

        String address() {
            return server.address().getAddress().getHostAddress() + ":" + server.port();
        }

        /** Requests waiting in its deployment's queue. */
        int queueDepth() {
            return deployment.status().queueDepth();
        }

        void stop() {
            gate.open();
            server.close();
            sluice.close();
        }
    }

    /** {@code n} servers whose queues hold {@code queueCapacity} requests each. */
    static RemoteCluster start(int n, int queueCapacity) throws Exception {
        return start(n, queueCapacity, b -> {});
    }

    /**
     * {@code n} servers whose queues hold {@code queueCapacity} requests each, with further server settings
     * (by default they have no shutdown grace period).
     */
    static RemoteCluster start(int n, int queueCapacity, Consumer<SluiceGrpcServer.Builder> settings)
            throws Exception {
        RemoteCluster c = new RemoteCluster(settings);
        try {
            for (int i = 0; i < n; i++) {
                c.add(0, queueCapacity);
            }
        } catch (Exception | Error e) {
            c.close();
            throw e;
        }
        return c;
    }

    static RemoteCluster start(int n) throws Exception {
        return start(n, 64);
    }

    /**
     * {@code n} servers on one port number (the first one's free port), as behind a DNS name that gives addresses
     * and no ports; started again on another port if one of the addresses has that port taken.
     */
    static RemoteCluster startOnOnePort(int n) throws Exception {
        for (int tries = 1; ; tries++) {
            RemoteCluster c = new RemoteCluster(b -> {});
            try {
                int port = c.add(0, 64).server.port();
                for (int i = 1; i < n; i++) {
                    c.add(port, 64);
                }
                return c;
            } catch (java.io.IOException e) {
                c.close();
                if (tries == 5) {
                    throw e;
                }
            }
        }
    }

    /** Starts one more server, on the next loopback address, at {@code port} (0: a free one). */
    Node add(int port, int queueCapacity) throws Exception {
        Node node = new Node("127.0.0." + (2 + nodes.size()), port, queueCapacity, settings);
        nodes.add(node);
        return node;
    }

    /** Starts one more server whose model starts only once {@code started} is counted down. */
    Node addStarting(CountDownLatch started) throws Exception {
        Node node = new Node("127.0.0." + (2 + nodes.size()), 0, 64, settings, started);
        nodes.add(node);
        return node;
    }

    Node node(int i) {
        return nodes.get(i);
    }

    List<String> addresses() {
        return nodes.stream().map(Node::address).toList();
    }

    /** The node whose address is {@code address}, or null. */
    Node at(String address) {
        return nodes.stream().filter(n -> n.address().equals(address)).findFirst().orElse(null);
    }

    @Override
    public void close() {
        for (Node n : nodes) {
            n.stop();
        }
    }

    /** An FP32 [1, 4] input whose first element is {@code marker} (the doubler records it). */
    static Map<String, Tensor> input(float marker) {
        return Map.of("x", Tensor.ofFloats("x", new long[] {1, 4}, marker, 1, 2, 3));
    }

    /** The first element of the doubler's output: twice the input's marker. */
    static float marker(Map<String, Tensor> output) {
        return output.get("y").toFloatArray()[0] / 2;
    }
}
