package dev.sluice.grpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import java.time.Duration;
import java.util.Iterator;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The grpc.health.v1 service follows readiness: the server's, each model's, and the server's shutdown. */
class HealthTest {
    private final Gate gate = new Gate();
    private final CountDownLatch start = new CountDownLatch(1);
    private GrpcHarness h;

    @BeforeEach
    void startServer() throws Exception {
        h = GrpcHarness.start(b -> b.healthPollInterval(Duration.ofMillis(10)));
        h.deploy(TestModels.doubler("doubler", gate, TestModels.recorder()));
    }

    @AfterEach
    void stop() {
        start.countDown();
        h.close();
    }

    private ServingStatus check(String service) {
        return h.health().check(HealthCheckRequest.newBuilder().setService(service).build()).getStatus();
    }

    private Iterator<HealthCheckResponse> watch(String service) {
        return h.health().watch(HealthCheckRequest.newBuilder().setService(service).build());
    }

    @Test
    void checkIsServingForTheServerTheServiceAndEachReadyModel() {
        assertEquals(ServingStatus.SERVING, check(""));
        assertEquals(ServingStatus.SERVING, check("inference.GRPCInferenceService"));
        assertEquals(ServingStatus.SERVING, check("doubler"));
    }

    @Test
    void checkOfAnUnknownServiceIsNotFound() {
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> check("nope"));
        assertEquals(Status.Code.NOT_FOUND, e.getStatus().getCode());
        assertEquals("unknown service 'nope'; ask for \"\" (the server), inference.GRPCInferenceService or a model's "
                + "name", e.getStatus().getDescription());
    }

    @Test
    void aModelStillStartingIsNotServingAndSoIsTheServerUntilItIsReady() throws Exception {
        h.sluice.deploy(TestModels.slowStarting("slow", start));
        assertEquals(ServingStatus.NOT_SERVING, check("slow"));
        assertEquals(ServingStatus.NOT_SERVING, check(""));
        assertEquals(ServingStatus.SERVING, check("doubler"));
        start.countDown();
        h.sluice.deployment("slow").orElseThrow().awaitReady(GrpcHarness.T);
        assertEquals(ServingStatus.SERVING, check("slow"));
        assertEquals(ServingStatus.SERVING, check(""));
    }

    @Test
    void watchSendsTheStatusThenEachChangeAndEndsOnNotServingAtShutdown() throws Exception {
        h.sluice.deploy(TestModels.slowStarting("slow", start));
        Iterator<HealthCheckResponse> server = watch("");
        Iterator<HealthCheckResponse> slow = watch("slow");
        Iterator<HealthCheckResponse> unknown = watch("nope");
        assertEquals(ServingStatus.NOT_SERVING, server.next().getStatus());
        assertEquals(ServingStatus.NOT_SERVING, slow.next().getStatus());
        assertEquals(ServingStatus.SERVICE_UNKNOWN, unknown.next().getStatus());

        start.countDown(); // the replica starts: the next poll sees both ready
        assertEquals(ServingStatus.SERVING, server.next().getStatus());
        assertEquals(ServingStatus.SERVING, slow.next().getStatus());

        h.server.shutdown();
        assertEquals(ServingStatus.NOT_SERVING, server.next().getStatus());
        assertFalse(server.hasNext(), "the watch ends, so it cannot hold up the shutdown");
        assertEquals(ServingStatus.NOT_SERVING, slow.next().getStatus());
        assertFalse(slow.hasNext());
        assertEquals(ServingStatus.NOT_SERVING, unknown.next().getStatus());
        assertFalse(unknown.hasNext());
        assertEquals(true, h.server.awaitTermination(GrpcHarness.T), "nothing in flight: the server stops");
    }
}
