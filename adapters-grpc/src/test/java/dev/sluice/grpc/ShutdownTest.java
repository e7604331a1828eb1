package dev.sluice.grpc;

import static dev.sluice.grpc.GrpcHarness.T;
import static dev.sluice.grpc.ProtocolTest.doubling;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Graceful shutdown: stop accepting, finish what is in flight, then stop; past the grace period, cancel the rest. */
class ShutdownTest {
    private final Gate gate = new Gate();
    private final List<Float> seen = TestModels.recorder();
    private GrpcHarness h;

    @AfterEach
    void stop() {
        gate.open();
        h.close();
    }

    @Test
    void shutdownRefusesNewCallsWithUnavailableAndFinishesTheOneInFlight() throws Exception {
        h = GrpcHarness.start();
        h.deploy(TestModels.doubler("doubler", gate, seen));
        gate.close();
        CompletableFuture<InferResult> inFlight = h.client.inferAsync(doubling(1).build(), T);
        gate.awaitBatch();

        h.server.shutdown();
        assertTrue(h.server.isShutdown());
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
                () -> h.client.infer(doubling(2).build(), T));
        assertEquals(Status.Code.UNAVAILABLE, e.getStatus().getCode());
        assertFalse(h.server.awaitTermination(Duration.ofMillis(1)), "a call is still in flight");
        assertFalse(inFlight.isDone());

        gate.open();
        assertArrayEquals(new float[] {2, 0, 0, 0}, inFlight.get(10, TimeUnit.SECONDS).output("y").toFloatArray());
        assertTrue(h.server.awaitTermination(T));
        assertEquals(List.of(1f), seen, "the refused call never reached the model");
    }

    @Test
    void closeWaitsForTheCallInFlightWithinTheGracePeriod() throws Exception {
        h = GrpcHarness.start();
        h.deploy(TestModels.doubler("doubler", gate, seen));
        gate.close();
        CompletableFuture<InferResult> inFlight = h.client.inferAsync(doubling(1).build(), T);
        gate.awaitBatch();
        CompletableFuture<Void> closed = CompletableFuture.runAsync(h.server::close);
        // close() blocks while the call is in flight; it has begun once the server refuses new calls.
        dev.sluice.batching.Eventually.eventually("close() has begun", h.server::isShutdown);
        assertFalse(closed.isDone());
        gate.open();
        closed.get(10, TimeUnit.SECONDS);
        assertArrayEquals(new float[] {2, 0, 0, 0}, inFlight.get().output("y").toFloatArray());
    }

    @Test
    void pastTheGracePeriodCloseCancelsWhatIsLeftAndEveryCallEnds() throws Exception {
        h = GrpcHarness.start(b -> b.shutdownGracePeriod(Duration.ZERO));
        h.deploy(TestModels.doubler("doubler", gate, seen));
        gate.close();
        CompletableFuture<InferResult> held = h.client.inferAsync(doubling(1).build(), T);
        gate.awaitBatch();
        CompletableFuture<InferResult> queued = h.client.inferAsync(doubling(2).build(), T);
        dev.sluice.batching.Eventually.eventually("the second request waits", () ->
                h.sluice.deployment("doubler").orElseThrow().status().queueDepth() == 1);
        h.server.close(); // no grace: both calls are cancelled at once
        for (CompletableFuture<InferResult> f : List.of(held, queued)) {
            ExecutionException e = assertThrows(ExecutionException.class, () -> f.get(10, TimeUnit.SECONDS));
            Status.Code code = assertInstanceOf(StatusRuntimeException.class, e.getCause()).getStatus().getCode();
            assertTrue(code == Status.Code.UNAVAILABLE || code == Status.Code.CANCELLED, code.toString());
        }
        dev.sluice.batching.Eventually.eventually("the server withdrew the queued request", () ->
                h.sluice.deployment("doubler").orElseThrow().status().queueDepth() == 0);
        gate.open();
        dev.sluice.batching.Eventually.eventually("the held batch finished", () -> seen.size() == 1);
        assertEquals(List.of(1f), seen);
    }
}
