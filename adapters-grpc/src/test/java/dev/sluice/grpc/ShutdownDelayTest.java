package dev.sluice.grpc;

import static dev.sluice.grpc.GrpcHarness.T;
import static dev.sluice.grpc.ProtocolTest.doubling;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.DeploymentHandle;
import dev.sluice.Sluice;
import dev.sluice.tensor.Tensor;
import dev.sluice.batching.Eventually;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import java.time.Duration;
import java.util.Iterator;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Unready before refusing: markNotServing, and close()'s shutdown delay, during which new calls are still served. */
class ShutdownDelayTest {
    private final Gate gate = new Gate();
    private GrpcHarness h;

    @AfterEach
    void stop() {
        gate.open();
        if (h != null) {
            h.close();
        }
    }

    private ServingStatus check(String service) {
        return h.health().check(HealthCheckRequest.newBuilder().setService(service).build()).getStatus();
    }

    @Test
    void markNotServingTurnsEveryServiceNotServingAndTellsWatchesAtOnceWhileCallsAreStillServed() throws Exception {
        h = GrpcHarness.start(b -> b.healthPollInterval(Duration.ofHours(1))); // no poll: the change is pushed
        h.deploy(TestModels.doubler("doubler", gate, TestModels.recorder()));
        Iterator<HealthCheckResponse> watch = h.health().watch(
                HealthCheckRequest.newBuilder().setService("doubler").build());
        assertEquals(ServingStatus.SERVING, watch.next().getStatus());

        h.server.markNotServing();

        assertEquals(ServingStatus.NOT_SERVING, watch.next().getStatus());
        assertEquals(ServingStatus.NOT_SERVING, check(""));
        assertEquals(ServingStatus.NOT_SERVING, check("inference.GRPCInferenceService"));
        assertEquals(ServingStatus.NOT_SERVING, check("doubler"));
        assertFalse(h.server.isShutdown());
        assertArrayEquals(new float[] {6, 0, 0, 0}, h.client.infer(doubling(3).build(), T).output("y").toFloatArray());
    }

    @Test
    void closeServesNewCallsThroughTheShutdownDelayThenRefusesThem() throws Exception {
        h = GrpcHarness.start(b -> b.shutdownDelay(Duration.ofSeconds(30)));
        h.deploy(TestModels.doubler("doubler", gate, TestModels.recorder()));
        Thread closer = new Thread(h.server::close, "closer");
        closer.start();
        Eventually.eventually("the server says NOT_SERVING", () -> check("") == ServingStatus.NOT_SERVING);

        assertArrayEquals(new float[] {4, 0, 0, 0}, h.client.infer(doubling(2).build(), T).output("y").toFloatArray());
        assertFalse(h.server.isShutdown(), "still taking calls within the delay");

        closer.interrupt(); // cuts the delay short: the server stops taking calls at once
        closer.join(TimeUnit.SECONDS.toMillis(10));
        assertFalse(closer.isAlive());
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
                () -> h.client.infer(doubling(5).build(), T));
        assertEquals(Status.Code.UNAVAILABLE, e.getStatus().getCode());
    }

    @Test
    void theShutdownDelayMustNotBeNegative() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> SluiceGrpcServer.builder(Sluice.builder().build()).shutdownDelay(Duration.ofSeconds(-1)));
        assertEquals("shutdownDelay must not be negative, was PT-1S", e.getMessage());
        assertThrows(NullPointerException.class, () -> SluiceGrpcServer.builder(Sluice.builder().build())
                .shutdownDelay(null));
    }

    @Test
    void aServerClosedByItsOwnerLeavesTheRuntimeRunning() throws Exception {
        h = GrpcHarness.start(SluiceGrpcServer.Builder::closeOnJvmShutdown);
        DeploymentHandle<Map<String, Tensor>, Map<String, Tensor>> doubler =
                h.deploy(TestModels.doubler("doubler", gate, TestModels.recorder()));
        h.server.close();
        assertTrue(h.server.isShutdown());
        Map<String, Tensor> y = doubler.submit(Map.of("x", Tensor.ofFloats("x", new long[] {1, 4}, 1, 0, 0, 0)))
                .get(10, TimeUnit.SECONDS);
        assertArrayEquals(new float[] {2, 0, 0, 0}, y.get("y").toFloatArray());
    }
}
