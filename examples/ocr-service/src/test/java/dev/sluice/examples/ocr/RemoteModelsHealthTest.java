package dev.sluice.examples.ocr;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.Deployment;
import dev.sluice.Resources;
import dev.sluice.Sluice;
import dev.sluice.grpc.SluiceGrpcServer;
import dev.sluice.tensor.DataType;
import dev.sluice.tensor.Tensor;
import dev.sluice.tensor.TensorSignature;
import dev.sluice.tensor.TensorSpec;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.Status;

/**
 * An entry's readiness says the truth about its remote models: out of service while a model has no server serving
 * it, up once one does, out of service again when it stops. A fake "rec" behind a gRPC server on 127.0.2.5.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class RemoteModelsHealthTest {
    private static final String HOST = "127.0.2.5";

    /** Polls the health every 20 ms until it is {@code status}, failing after 20 s with {@code what} and the last health. */
    private static void eventually(String what, RemoteModels models, Status status) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (!models.health().getStatus().equals(status)) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError(what + ": still " + models.health());
            }
            Thread.sleep(20); // polling a condition with a deadline, not waiting for an event to have happened
        }
    }

    @Test
    void noRemoteModelsIsUp() {
        try (RemoteModels none = new RemoteModels(Map.of())) {
            assertEquals(Status.UP, none.health().getStatus());
        }
    }

    @Test
    void aRemoteModelIsReadyOnlyWhileAServerServesIt() throws Exception {
        TensorSignature sig = new TensorSignature(List.of(new TensorSpec("x", DataType.FP32, new long[] {-1, 2})),
                List.of(new TensorSpec("x", DataType.FP32, new long[] {-1, 2})));
        try (Sluice sluice = Sluice.builder().resources(Resources.builder().cpus(1).build()).build()) {
            sluice.deploy(Deployment.<Map<String, Tensor>, Map<String, Tensor>>builder("rec", ctx -> batch -> batch)
                    .signature(sig).resources(r -> r.cpus(0)).build()).awaitReady(Duration.ofSeconds(10));
            SluiceGrpcServer server = SluiceGrpcServer.builder(sluice).address(new InetSocketAddress(HOST, 0)).start();
            int port = server.port();
            try (RemoteModels models = new RemoteModels(Map.of("rec", HOST + ":" + port))) {
                eventually("connected to the server serving rec", models, Status.UP);
                Health up = models.health();
                assertTrue(up.getDetails().toString().contains("address=" + HOST + ":" + port + ", state=RUNNING"),
                        up.toString());

                server.close();
                eventually("the server stopped", models, Status.OUT_OF_SERVICE);
                Health down = models.health();
                assertEquals(List.of("rec"), down.getDetails().get("unreachable"), down.toString());
            } finally {
                server.close();
            }
        }
    }

    @Test
    void aModelTheServerDoesNotServeIsNotReady() throws Exception {
        try (Sluice sluice = Sluice.builder().resources(Resources.builder().cpus(1).build()).build()) {
            SluiceGrpcServer server = SluiceGrpcServer.builder(sluice).address(new InetSocketAddress(HOST, 0)).start();
            try (RemoteModels models = new RemoteModels(Map.of("det", HOST + ":" + server.port()))) {
                // The server is up, but its health service does not know "det": once the connection's health check
                // has answered, the server is listed as taking no calls, and the model is not ready.
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
                while (!models.health().toString().contains("state=PENDING")) {
                    assertTrue(System.nanoTime() < deadline, "never judged: " + models.health());
                    Thread.sleep(20); // polling with a deadline
                }
                Health h = models.health();
                assertEquals(Status.OUT_OF_SERVICE, h.getStatus(), h.toString());
                assertEquals(List.of("det"), h.getDetails().get("unreachable"));
            } finally {
                server.close();
            }
        }
    }
}
