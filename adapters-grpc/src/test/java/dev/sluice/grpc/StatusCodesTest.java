package dev.sluice.grpc;

import static dev.sluice.batching.Eventually.eventually;
import static dev.sluice.grpc.GrpcHarness.T;
import static dev.sluice.grpc.ProtocolTest.doubling;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.DeploymentHandle;
import dev.sluice.Resources;
import dev.sluice.batching.BatchObserver;
import dev.sluice.grpc.proto.ModelInferRequest;
import dev.sluice.grpc.proto.ModelInferResponse;
import dev.sluice.tensor.Tensor;
import dev.sluice.testing.TestRuntime;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * How each way a request can fail ends its call: RESOURCE_EXHAUSTED, DEADLINE_EXCEEDED, CANCELLED, INTERNAL,
 * UNAVAILABLE, and the size limit. A gated model holds a batch so that what waits behind it is known, and the
 * batcher's observer says when the server withdrew a request: no sleeps, and every future is counted.
 */
class StatusCodesTest {
    private final Gate gate = new Gate();
    private final List<Float> seen = TestModels.recorder();
    private final CountDownLatch withdrawn = new CountDownLatch(1);
    private final BatchObserver observer = new BatchObserver() {
        @Override
        public void onExpired(String batcher, long queuedNanos) {
            withdrawn.countDown();
        }

        @Override
        public void onCancelled(String batcher, long queuedNanos) {
            withdrawn.countDown();
        }
    };
    private GrpcHarness h;
    private TestRuntime runtime;

    @AfterEach
    void stop() {
        gate.open();
        if (h != null) {
            h.close();
        }
        if (runtime != null) {
            runtime.close();
        }
    }

    private DeploymentHandle<Map<String, Tensor>, Map<String, Tensor>> start(int queueCapacity) throws Exception {
        h = GrpcHarness.start();
        return h.deploy(TestModels.doubler("doubler", gate, seen, queueCapacity, observer));
    }

    /** Sends {@code first} and waits until the model holds it at the closed gate. */
    private CompletableFuture<InferResult> holdTheReplica(float first) throws InterruptedException {
        gate.close();
        CompletableFuture<InferResult> held = h.client.inferAsync(doubling(first).build(), T);
        gate.awaitBatch();
        return held;
    }

    private static Status.Code code(Throwable t) {
        Throwable e = t instanceof ExecutionException ? t.getCause() : t;
        return assertInstanceOf(StatusRuntimeException.class, e).getStatus().getCode();
    }

    @Test
    void aFullQueueIsResourceExhaustedAtOnceAndTheAdmittedRequestsStillSucceed() throws Exception {
        start(1);
        CompletableFuture<InferResult> held = holdTheReplica(1);
        CompletableFuture<InferResult> b = h.client.inferAsync(doubling(2).build(), T);
        CompletableFuture<InferResult> c = h.client.inferAsync(doubling(3).build(), T);
        // The queue holds one: whichever of b and c came second is refused, without waiting for the replica.
        CompletableFuture.anyOf(b, c).handle((r, e) -> null).get(10, TimeUnit.SECONDS);
        CompletableFuture<InferResult> refused = b.isDone() ? b : c;
        CompletableFuture<InferResult> admitted = refused == b ? c : b;
        ExecutionException e = assertThrows(ExecutionException.class, refused::get);
        assertEquals(Status.Code.RESOURCE_EXHAUSTED, code(e));
        assertEquals("'doubler' is overloaded: its queue holds at most 1 waiting requests and is full; the request "
                + "was not queued",
                ((StatusRuntimeException) e.getCause()).getStatus().getDescription());
        assertFalse(admitted.isDone());
        gate.open();
        assertArrayEquals(new float[] {2, 0, 0, 0}, held.get().output("y").toFloatArray());
        assertEquals(refused == b ? 6 : 4, admitted.get().output("y").toFloatArray()[0]);
        assertEquals(2, seen.size());
    }

    /** The client's deadline passes while its request waits: it never reaches the model. */
    @Test
    void aRequestWhoseDeadlinePassesWhileQueuedIsDeadlineExceededAndNeverReachesTheModel() throws Exception {
        DeploymentHandle<Map<String, Tensor>, Map<String, Tensor>> d = start(64);
        CompletableFuture<InferResult> held = holdTheReplica(1);
        CompletableFuture<InferResult> late = h.client.inferAsync(doubling(2).build(), Duration.ofSeconds(1));
        eventually("the request waits in the queue", () -> d.status().queueDepth() == 1);
        assertEquals(Status.Code.DEADLINE_EXCEEDED, code(assertThrows(ExecutionException.class, late::get)));
        assertTrue(withdrawn.await(10, TimeUnit.SECONDS), "the server withdrew the request (expired or cancelled)");
        gate.open();
        held.get();
        assertEquals(List.of(1f), seen);
        assertEquals(0, d.status().queueDepth());
    }

    /**
     * The call's deadline IS the request's deadline in the batcher: on a runtime whose clock the test moves, the
     * batcher expires the request when its clock passes the deadline, long before the client's own timer would.
     */
    @Test
    void theCallsDeadlineBecomesTheRequestsDeadlineInTheBatcher() throws Exception {
        runtime = TestRuntime.builder().sluice(b -> b.resources(Resources.builder().cpus(2).build())).build();
        h = GrpcHarness.over(runtime.sluice(), b -> {});
        DeploymentHandle<Map<String, Tensor>, Map<String, Tensor>> d =
                h.deploy(TestModels.doubler("doubler", gate, seen, 64, observer));
        CompletableFuture<InferResult> held = holdTheReplica(1);
        CompletableFuture<InferResult> late = h.client.inferAsync(doubling(2).build(), Duration.ofSeconds(60));
        eventually("the request waits in the queue", () -> late.isDone() || d.status().queueDepth() == 1);
        assertFalse(late.isDone());
        runtime.ticker().advance(Duration.ofSeconds(61)); // the runtime's clock only: the client's has 60 s left
        ExecutionException e = assertThrows(ExecutionException.class, () -> late.get(10, TimeUnit.SECONDS));
        assertEquals(Status.Code.DEADLINE_EXCEEDED, code(e));
        assertTrue(((StatusRuntimeException) e.getCause()).getStatus().getDescription().contains("doubler"),
                "the batcher's own message: " + e.getCause().getMessage());
        gate.open();
        held.get();
        assertEquals(List.of(1f), seen);
    }

    /** A call the client cancels withdraws its queued request: the model never sees it, and the status is CANCELLED. */
    @Test
    void aCancelledCallIsCancelledAndWithdrawsItsQueuedRequest() throws Exception {
        DeploymentHandle<Map<String, Tensor>, Map<String, Tensor>> d = start(64);
        CompletableFuture<InferResult> held = holdTheReplica(1);
        AtomicReference<ClientCallStreamObserver<ModelInferRequest>> call = new AtomicReference<>();
        CompletableFuture<Throwable> ended = new CompletableFuture<>();
        h.asyncStub.withDeadlineAfter(10, TimeUnit.SECONDS).modelInfer(doubling(2).build().toMessage(),
                new ClientResponseObserver<ModelInferRequest, ModelInferResponse>() {
                    @Override
                    public void beforeStart(ClientCallStreamObserver<ModelInferRequest> c) {
                        call.set(c);
                    }

                    @Override
                    public void onNext(ModelInferResponse value) {
                        ended.complete(null);
                    }

                    @Override
                    public void onError(Throwable t) {
                        ended.complete(t);
                    }

                    @Override
                    public void onCompleted() {}
                });
        eventually("the request waits in the queue", () -> d.status().queueDepth() == 1);
        call.get().cancel("the test cancels", null);
        assertEquals(Status.Code.CANCELLED, code(ended.get(10, TimeUnit.SECONDS)));
        assertTrue(withdrawn.await(10, TimeUnit.SECONDS), "the server withdrew the request");
        gate.open();
        held.get();
        assertEquals(List.of(1f), seen);
    }

    @Test
    void cancellingTheClientsFutureCancelsTheCallAndWithdrawsTheRequest() throws Exception {
        DeploymentHandle<Map<String, Tensor>, Map<String, Tensor>> d = start(64);
        CompletableFuture<InferResult> held = holdTheReplica(1);
        CompletableFuture<InferResult> queued = h.client.inferAsync(doubling(2).build(), T);
        eventually("the request waits in the queue", () -> d.status().queueDepth() == 1);
        assertTrue(queued.cancel(true));
        assertTrue(withdrawn.await(10, TimeUnit.SECONDS), "the server withdrew the request");
        gate.open();
        held.get();
        assertEquals(List.of(1f), seen);
        assertThrows(CancellationException.class, queued::join);
    }

    @Test
    void aModelFailureIsInternalWithAnErrorIdAndNoStackTrace() throws Exception {
        start(64);
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
                () -> h.client.infer(doubling(-1).build(), T));
        assertEquals(Status.Code.INTERNAL, e.getStatus().getCode());
        String description = e.getStatus().getDescription();
        assertTrue(description.matches("model 'doubler' failed on this request; error id [0-9a-f-]{36} "
                + "\\(the server log has the details\\)"), description);
        assertFalse(description.contains("negative input"), "the model's own message stays in the log");
        assertTrue(e.getTrailers() == null || e.getTrailers().keys().stream().noneMatch(k -> k.contains("bin")),
                "no binary details (a serialized exception) in the trailers");
    }

    @Test
    void aRuntimeThatIsClosingIsUnavailable() throws Exception {
        start(64);
        h.sluice.close();
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
                () -> h.client.infer(doubling(1).build(), T));
        assertEquals(Status.Code.UNAVAILABLE, e.getStatus().getCode());
        assertTrue(e.getStatus().getDescription().startsWith("the server is shutting down"),
                e.getStatus().getDescription());
    }

    @Test
    void aMessageOverTheLimitIsRefusedNamingTheLimit() throws Exception {
        h = GrpcHarness.start(b -> b.maxInboundMessageSize(64 * 1024));
        h.deploy(TestModels.echo("echo", dev.sluice.tensor.DataType.FP32));
        float[] big = new float[32 * 1024]; // 128 KiB of elements
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> h.client.infer(
                InferRequest.builder("echo").input(Tensor.ofFloats("in", new long[] {1, big.length}, big)).build(), T));
        assertEquals(Status.Code.RESOURCE_EXHAUSTED, e.getStatus().getCode());
        assertTrue(e.getStatus().getDescription().contains("exceeds maximum size 65536"),
                e.getStatus().getDescription());
        // Under the limit the same server answers.
        float[] small = new float[1024];
        assertEquals(1024, h.client.infer(InferRequest.builder("echo")
                .input(Tensor.ofFloats("in", new long[] {1, small.length}, small)).build(), T)
                .output("out").elementCount());
    }

    @Test
    void theDefaultLimitIs64MiB() {
        assertEquals(64 * 1024 * 1024, SluiceGrpcServer.DEFAULT_MAX_INBOUND_MESSAGE_SIZE);
    }

    /** Many concurrent calls, each ending exactly once: values and refusals add up to what was sent. */
    @Test
    void everyCallEndsExactlyOnceUnderConcurrentLoad() throws Exception {
        start(4);
        List<CompletableFuture<InferResult>> calls = new ArrayList<>();
        gate.close();
        for (int i = 1; i <= 40; i++) {
            calls.add(h.client.inferAsync(doubling(i).build(), T));
        }
        gate.awaitBatch();
        gate.open();
        int values = 0;
        int refused = 0;
        for (int i = 0; i < calls.size(); i++) {
            try {
                InferResult r = calls.get(i).get(10, TimeUnit.SECONDS);
                assertEquals(2f * (i + 1), r.output("y").toFloatArray()[0]);
                values++;
            } catch (ExecutionException e) {
                assertEquals(Status.Code.RESOURCE_EXHAUSTED, code(e));
                refused++;
            }
        }
        assertEquals(40, values + refused);
        assertEquals(values, seen.size());
        assertTrue(values >= 1);
    }
}
