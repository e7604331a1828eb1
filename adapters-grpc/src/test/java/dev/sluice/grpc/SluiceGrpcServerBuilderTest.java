package dev.sluice.grpc;

import static dev.sluice.grpc.GrpcHarness.T;
import static dev.sluice.grpc.ProtocolTest.doubling;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.DeploymentHandle;
import dev.sluice.Resources;
import dev.sluice.Sluice;
import dev.sluice.tensor.Tensor;
import dev.sluice.testing.TestRuntime;
import io.grpc.ForwardingServerCallListener;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The server's settings: checked when set, and each one doing what it says. */
class SluiceGrpcServerBuilderTest {

    @Test
    void settingsAreCheckedWhenSetAndTheMessageNamesThem() {
        try (Sluice sluice = Sluice.builder().resources(Resources.builder().cpus(1).build()).build()) {
            SluiceGrpcServer.Builder b = SluiceGrpcServer.builder(sluice);
            assertEquals("port must be from 0 to 65535, was 70000",
                    assertThrows(IllegalArgumentException.class, () -> b.port(70000)).getMessage());
            assertEquals("maxInboundMessageSize must be at least 1 byte, was 0",
                    assertThrows(IllegalArgumentException.class, () -> b.maxInboundMessageSize(0)).getMessage());
            assertEquals("requestTimeout must be positive, was PT0S",
                    assertThrows(IllegalArgumentException.class, () -> b.requestTimeout(Duration.ZERO)).getMessage());
            assertEquals("shutdownGracePeriod must not be negative, was PT-1S", assertThrows(
                    IllegalArgumentException.class, () -> b.shutdownGracePeriod(Duration.ofSeconds(-1))).getMessage());
            assertEquals("healthPollInterval must be positive, was PT-1S", assertThrows(IllegalArgumentException.class,
                    () -> b.healthPollInterval(Duration.ofSeconds(-1))).getMessage());
            assertThrows(NullPointerException.class, () -> SluiceGrpcServer.builder(null));
        }
    }

    @Test
    void interceptorsSeeEveryCallOfBothServicesTheFirstAddedFirst() throws Exception {
        List<String> seen = TestModels.recorder();
        try (GrpcHarness h = GrpcHarness.start(b -> b.intercept(recording("outer", seen))
                .intercept(recording("inner", seen)))) {
            h.deploy(TestModels.doubler("doubler", new Gate(), TestModels.recorder()));
            h.client.infer(doubling(1).build(), T);
            h.health().check(HealthCheckRequest.getDefaultInstance());
            assertEquals(List.of("outer inference.GRPCInferenceService/ModelInfer",
                    "inner inference.GRPCInferenceService/ModelInfer", "outer grpc.health.v1.Health/Check",
                    "inner grpc.health.v1.Health/Check"), seen);
        }
    }

    private static ServerInterceptor recording(String name, List<String> seen) {
        return new ServerInterceptor() {
            @Override
            public <Q, R> io.grpc.ServerCall.Listener<Q> interceptCall(io.grpc.ServerCall<Q, R> call,
                    io.grpc.Metadata headers, io.grpc.ServerCallHandler<Q, R> next) {
                seen.add(name + " " + call.getMethodDescriptor().getFullMethodName());
                return new ForwardingServerCallListener.SimpleForwardingServerCallListener<>(
                        next.startCall(call, headers)) {};
            }
        };
    }

    /** The server's request timeout bounds a request whose call has a longer deadline (on the runtime's clock). */
    @Test
    void theServersRequestTimeoutAppliesWhenShorterThanTheCallsDeadline() throws Exception {
        Gate gate = new Gate();
        try (TestRuntime runtime = TestRuntime.builder()
                .sluice(b -> b.resources(Resources.builder().cpus(2).build())).build();
                GrpcHarness h = GrpcHarness.over(runtime.sluice(), b -> b.requestTimeout(Duration.ofSeconds(5)))) {
            DeploymentHandle<Map<String, Tensor>, Map<String, Tensor>> d =
                    h.deploy(TestModels.doubler("doubler", gate, TestModels.recorder()));
            gate.close();
            try {
                CompletableFuture<InferResult> held = h.client.inferAsync(doubling(1).build(), Duration.ofMinutes(1));
                gate.awaitBatch();
                CompletableFuture<InferResult> queued = h.client.inferAsync(doubling(2).build(), Duration.ofMinutes(1));
                dev.sluice.batching.Eventually.eventually("the request waits", () -> d.status().queueDepth() == 1);
                runtime.ticker().advance(Duration.ofSeconds(6));
                ExecutionException e = assertThrows(ExecutionException.class, () -> queued.get(10, TimeUnit.SECONDS));
                assertEquals(Status.Code.DEADLINE_EXCEEDED,
                        assertInstanceOf(StatusRuntimeException.class, e.getCause()).getStatus().getCode());
                gate.open();
                assertTrue(held.get(10, TimeUnit.SECONDS).outputs().containsKey("y"));
            } finally {
                gate.open();
            }
        }
    }

    @Test
    void theClientRefusesATimeoutThatIsNotPositive() throws Exception {
        try (GrpcHarness h = GrpcHarness.start()) {
            assertEquals("timeout must be positive, was PT0S", assertThrows(IllegalArgumentException.class,
                    () -> h.client.serverLive(Duration.ZERO)).getMessage());
        }
    }
}
