package dev.sluice.grpc;

import dev.sluice.Deployment;
import dev.sluice.DeploymentHandle;
import dev.sluice.Resources;
import dev.sluice.Sluice;
import dev.sluice.grpc.proto.GRPCInferenceServiceGrpc;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.health.v1.HealthGrpc;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;

/**
 * A {@link SluiceGrpcServer} on 127.0.0.1 (a free port) over a runtime, with real grpc-java clients over
 * loopback: {@link OipGrpcClient} and the generated stubs, on one channel.
 */
final class GrpcHarness implements AutoCloseable {
    static final Duration T = Duration.ofSeconds(10);

    final Sluice sluice;
    final SluiceGrpcServer server;
    final ManagedChannel channel;
    final OipGrpcClient client;
    private final GRPCInferenceServiceGrpc.GRPCInferenceServiceBlockingStub stub;
    final GRPCInferenceServiceGrpc.GRPCInferenceServiceStub asyncStub;
    private final HealthGrpc.HealthBlockingStub health;
    private final boolean ownsSluice;

    private GrpcHarness(Sluice sluice, boolean ownsSluice, Consumer<SluiceGrpcServer.Builder> settings)
            throws IOException {
        this.sluice = sluice;
        this.ownsSluice = ownsSluice;
        SluiceGrpcServer.Builder b = SluiceGrpcServer.builder(sluice).address(new InetSocketAddress("127.0.0.1", 0));
        settings.accept(b);
        this.server = b.start();
        this.channel = Grpc.newChannelBuilder("127.0.0.1:" + server.port(), InsecureChannelCredentials.create())
                .build();
        this.client = OipGrpcClient.over(channel);
        this.stub = GRPCInferenceServiceGrpc.newBlockingStub(channel);
        this.asyncStub = GRPCInferenceServiceGrpc.newStub(channel);
        this.health = HealthGrpc.newBlockingStub(channel);
    }

    /** The generated blocking stub, with a deadline 10 s from now. */
    GRPCInferenceServiceGrpc.GRPCInferenceServiceBlockingStub stub() {
        return stub.withDeadlineAfter(10, TimeUnit.SECONDS);
    }

    /** The health service's blocking stub, with a deadline 10 s from now. */
    HealthGrpc.HealthBlockingStub health() {
        return health.withDeadlineAfter(10, TimeUnit.SECONDS);
    }

    /** A server over a runtime of its own (closed with it). */
    static GrpcHarness start() throws IOException {
        return start(b -> {});
    }

    static GrpcHarness start(Consumer<SluiceGrpcServer.Builder> settings) throws IOException {
        return new GrpcHarness(Sluice.builder().resources(Resources.builder().cpus(2).build()).build(), true,
                settings);
    }

    /** A server over {@code sluice}, which the caller closes. */
    static GrpcHarness over(Sluice sluice, Consumer<SluiceGrpcServer.Builder> settings) throws IOException {
        return new GrpcHarness(sluice, false, settings);
    }

    /** Deploys and waits until it serves. */
    <I, O> DeploymentHandle<I, O> deploy(Deployment<I, O> d) throws InterruptedException, TimeoutException {
        DeploymentHandle<I, O> h = sluice.deploy(d);
        h.awaitReady(T);
        return h;
    }

    @Override
    public void close() {
        channel.shutdownNow();
        server.close();
        if (ownsSluice) {
            sluice.close();
        }
    }
}
