package dev.sluice.grpc;

import dev.sluice.batching.InvalidInputException;
import dev.sluice.grpc.proto.GRPCInferenceServiceGrpc;
import dev.sluice.grpc.proto.ModelInferRequest;
import dev.sluice.grpc.proto.ModelInferResponse;
import dev.sluice.grpc.proto.ModelMetadataRequest;
import dev.sluice.grpc.proto.ModelMetadataResponse;
import dev.sluice.grpc.proto.ModelReadyRequest;
import dev.sluice.grpc.proto.ServerLiveRequest;
import dev.sluice.grpc.proto.ServerMetadataRequest;
import dev.sluice.grpc.proto.ServerMetadataResponse;
import dev.sluice.grpc.proto.ServerReadyRequest;
import dev.sluice.tensor.Tensor;
import dev.sluice.tensor.TensorSignature;
import dev.sluice.tensor.TensorSpec;
import io.grpc.Channel;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * A client of the Open Inference Protocol over gRPC ({@code inference.GRPCInferenceService}): a Sluice server
 * ({@link SluiceGrpcServer}), Triton, KServe, or any other server of the protocol.
 *
 * <pre>{@code
 * try (OipGrpcClient client = OipGrpcClient.connect("127.0.0.1:8081")) {
 *     Map<String, Tensor> y = client.infer("doubler", List.of(Tensor.ofFloats("x", new long[] {1, 4}, 1, 2, 3, 4)),
 *             Duration.ofSeconds(1));
 * }
 * }</pre>
 *
 * <p>Every call takes a timeout, which becomes the call's gRPC deadline (and so, on a Sluice server, the
 * request's deadline in the batcher). A call that fails throws (or its future fails with) grpc-java's
 * {@link StatusRuntimeException}, whose status code says why: INVALID_ARGUMENT, NOT_FOUND, RESOURCE_EXHAUSTED
 * (the server's queue is full: try later or elsewhere), DEADLINE_EXCEEDED, UNAVAILABLE, CANCELLED, INTERNAL. A
 * response that does not hold the tensors it describes fails with {@link InvalidInputException}.
 *
 * <p>Thread-safe; one client may serve many threads at once.
 */
public final class OipGrpcClient implements AutoCloseable {
    /** Default {@link #connect(String, int)} limit on a response's size: 64 MiB, as the server's on a request's. */
    public static final int DEFAULT_MAX_INBOUND_MESSAGE_SIZE = 64 * 1024 * 1024;

    private final ManagedChannel owned;
    private final GRPCInferenceServiceGrpc.GRPCInferenceServiceBlockingStub blocking;
    private final GRPCInferenceServiceGrpc.GRPCInferenceServiceStub async;

    private OipGrpcClient(Channel channel, ManagedChannel owned) {
        this.owned = owned;
        this.blocking = GRPCInferenceServiceGrpc.newBlockingStub(channel);
        this.async = GRPCInferenceServiceGrpc.newStub(channel);
    }

    /**
     * A client with its own plaintext channel to {@code target} ({@code "host:port"}, or any target grpc-java
     * resolves, such as {@code "dns:///name:port"}), taking responses of up to 64 MiB; {@link #close()} shuts the
     * channel down.
     */
    public static OipGrpcClient connect(String target) {
        return connect(target, DEFAULT_MAX_INBOUND_MESSAGE_SIZE);
    }

    /** Like {@link #connect(String)}, taking responses of up to {@code maxInboundMessageSize} bytes. */
    public static OipGrpcClient connect(String target, int maxInboundMessageSize) {
        Objects.requireNonNull(target, "target");
        if (maxInboundMessageSize < 1) {
            throw new IllegalArgumentException("maxInboundMessageSize must be at least 1 byte, was "
                    + maxInboundMessageSize);
        }
        ManagedChannel channel = Grpc.newChannelBuilder(target, InsecureChannelCredentials.create())
                .maxInboundMessageSize(maxInboundMessageSize)
                .build();
        return new OipGrpcClient(channel, channel);
    }

    /**
     * A client over a channel the caller made (with its own credentials, load balancing, interceptors) and keeps:
     * {@link #close()} leaves it open.
     */
    public static OipGrpcClient over(Channel channel) {
        return new OipGrpcClient(Objects.requireNonNull(channel, "channel"), null);
    }

    /** Whether the server is live. */
    public boolean serverLive(Duration timeout) {
        return blocking(timeout).serverLive(ServerLiveRequest.getDefaultInstance()).getLive();
    }

    /** Whether the server is ready (every model ready, on a Sluice server). */
    public boolean serverReady(Duration timeout) {
        return blocking(timeout).serverReady(ServerReadyRequest.getDefaultInstance()).getReady();
    }

    /** Whether {@code model} is ready; {@code version} null or "" for the one served. NOT_FOUND if unknown. */
    public boolean modelReady(String model, String version, Duration timeout) {
        return blocking(timeout).modelReady(ModelReadyRequest.newBuilder().setName(model)
                .setVersion(version == null ? "" : version).build()).getReady();
    }

    /** What the server says of itself. */
    public ServerMetadata serverMetadata(Duration timeout) {
        ServerMetadataResponse r = blocking(timeout).serverMetadata(ServerMetadataRequest.getDefaultInstance());
        return new ServerMetadata(r.getName(), r.getVersion(), r.getExtensionsList());
    }

    /**
     * The model's name, versions, platform and signature; {@code version} null or "" for the one served.
     * NOT_FOUND if unknown.
     *
     * @throws InvalidInputException if the server describes a tensor with a type Sluice does not know
     */
    public ModelMetadata modelMetadata(String model, String version, Duration timeout) {
        ModelMetadataResponse r = blocking(timeout).modelMetadata(ModelMetadataRequest.newBuilder().setName(model)
                .setVersion(version == null ? "" : version).build());
        return new ModelMetadata(r.getName(), r.getVersionsList(), r.getPlatform(),
                new TensorSignature(specs(r.getInputsList()), specs(r.getOutputsList())));
    }

    private static List<TensorSpec> specs(List<ModelMetadataResponse.TensorMetadata> tensors) {
        List<TensorSpec> specs = new ArrayList<>(tensors.size());
        for (ModelMetadataResponse.TensorMetadata t : tensors) {
            long[] shape = new long[t.getShapeCount()];
            for (int i = 0; i < shape.length; i++) {
                shape[i] = t.getShape(i);
            }
            specs.add(new TensorSpec(t.getName(), TensorCodec.type("tensor '" + t.getName() + "'", t.getDatatype()),
                    shape));
        }
        return specs;
    }

    /** Runs {@code inputs} through {@code model} (the version served) and returns all its outputs by name. */
    public Map<String, Tensor> infer(String model, Collection<Tensor> inputs, Duration timeout) {
        return infer(InferRequest.builder(model).inputs(inputs).build(), timeout).outputs();
    }

    /** Runs a request, blocking until its response or failure. */
    public InferResult infer(InferRequest request, Duration timeout) {
        return InferResult.of(blocking(timeout).modelInfer(request.toMessage()));
    }

    /**
     * Sends a request and returns at once. The future completes on a gRPC thread with the response or fails
     * with the call's {@link StatusRuntimeException}; cancelling it cancels the call (a Sluice server then
     * withdraws the request if it still waits).
     */
    public CompletableFuture<InferResult> inferAsync(InferRequest request, Duration timeout) {
        long nanos = nanos(timeout);
        ModelInferRequest message = request.toMessage();
        CompletableFuture<InferResult> result = new CompletableFuture<>();
        async.withDeadlineAfter(nanos, TimeUnit.NANOSECONDS).modelInfer(message,
                new ClientResponseObserver<ModelInferRequest, ModelInferResponse>() {
                    @Override
                    public void beforeStart(ClientCallStreamObserver<ModelInferRequest> call) {
                        result.whenComplete((r, e) -> {
                            if (result.isCancelled()) {
                                call.cancel("the caller cancelled the request", null);
                            }
                        });
                    }

                    @Override
                    public void onNext(ModelInferResponse response) {
                        try {
                            result.complete(InferResult.of(response));
                        } catch (RuntimeException e) {
                            result.completeExceptionally(e);
                        }
                    }

                    @Override
                    public void onError(Throwable t) {
                        result.completeExceptionally(t);
                    }

                    @Override
                    public void onCompleted() {
                        if (!result.isDone()) { // a unary call ends with one response or an error
                            result.completeExceptionally(Status.INTERNAL
                                    .withDescription("the server ended the call without a response")
                                    .asRuntimeException());
                        }
                    }
                });
        return result;
    }

    private GRPCInferenceServiceGrpc.GRPCInferenceServiceBlockingStub blocking(Duration timeout) {
        return blocking.withDeadlineAfter(nanos(timeout), TimeUnit.NANOSECONDS);
    }

    private static long nanos(Duration timeout) {
        Objects.requireNonNull(timeout, "timeout");
        if (timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("timeout must be positive, was " + timeout);
        }
        return timeout.toNanos();
    }

    /**
     * Shuts down the channel this client made (waiting up to 5 s for calls in flight, then cancelling them);
     * a channel given to {@link #over} stays open.
     */
    @Override
    public void close() {
        if (owned == null) {
            return;
        }
        owned.shutdown();
        try {
            if (!owned.awaitTermination(5, TimeUnit.SECONDS)) {
                owned.shutdownNow();
            }
        } catch (InterruptedException e) {
            owned.shutdownNow();
            Thread.currentThread().interrupt();
        }
    }

    /**
     * What a server says of itself.
     *
     * @param name the server's name ({@code "sluice"} for a Sluice server)
     * @param version its version
     * @param extensions the protocol extensions it supports
     */
    public record ServerMetadata(String name, String version, List<String> extensions) {
        public ServerMetadata {
            extensions = List.copyOf(extensions);
        }
    }

    /**
     * What a server says of a model.
     *
     * @param name the model's name
     * @param versions the versions it serves
     * @param platform its platform ({@code onnx_onnxv1}, {@code xgboost}, {@code sluice_java}...)
     * @param signature its inputs and outputs (-1: a dimension of any size)
     */
    public record ModelMetadata(String name, List<String> versions, String platform, TensorSignature signature) {
        public ModelMetadata {
            versions = List.copyOf(versions);
        }
    }
}
