package dev.sluice.grpc;

import com.google.protobuf.ByteString;
import dev.sluice.Sluice;
import dev.sluice.batching.Dispatch;
import dev.sluice.batching.DynamicBatcher;
import dev.sluice.batching.InvalidInputException;
import dev.sluice.grpc.proto.GRPCInferenceServiceGrpc;
import dev.sluice.grpc.proto.InferParameter;
import dev.sluice.grpc.proto.ModelInferRequest;
import dev.sluice.grpc.proto.ModelInferResponse;
import dev.sluice.grpc.proto.ModelMetadataRequest;
import dev.sluice.grpc.proto.ModelMetadataResponse;
import dev.sluice.grpc.proto.ModelReadyRequest;
import dev.sluice.grpc.proto.ModelReadyResponse;
import dev.sluice.grpc.proto.ServerLiveRequest;
import dev.sluice.grpc.proto.ServerLiveResponse;
import dev.sluice.grpc.proto.ServerMetadataRequest;
import dev.sluice.grpc.proto.ServerMetadataResponse;
import dev.sluice.grpc.proto.ServerReadyRequest;
import dev.sluice.grpc.proto.ServerReadyResponse;
import dev.sluice.internal.ProtocolModels.Model;
import dev.sluice.tensor.Tensor;
import dev.sluice.tensor.TensorSignature;
import dev.sluice.tensor.TensorSpec;
import io.grpc.Context;
import io.grpc.Deadline;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;

/**
 * {@code inference.GRPCInferenceService} over a {@link Sluice} runtime: the Open Inference Protocol's six calls
 * with the REST adapter's semantics (models, versions, metadata, readiness, the {@code timeout_ms} parameter).
 *
 * <p>{@code ModelInfer} never blocks: it reads the request on the call's thread, submits it, and answers on
 * {@code responses} when the batch has run. The call's deadline becomes the request's timeout in the batcher
 * (with the {@code timeout_ms} parameter and the server's request timeout: the shortest applies), so a request
 * whose deadline has passed never reaches a model; a call the client cancels (or whose deadline passes) cancels
 * the request's future, which withdraws it if it still waits. Outputs travel as raw contents when the inputs came
 * raw or an output is FP16 (which has no typed field), otherwise as typed contents.
 *
 * <p>Every call ends exactly once, with a response or a status (see {@link ErrorStatus}). Thread-safe.
 */
final class InferenceService extends GRPCInferenceServiceGrpc.GRPCInferenceServiceImplBase {
    static final String SERVER_NAME = "sluice";
    static final String TIMEOUT_PARAMETER = "timeout_ms";

    private final Models models;
    private final Duration requestTimeout;
    private final Executor responses;
    private final String serverVersion;

    /**
     * @param requestTimeout the longest a request may wait for a replica, or null for no bound but the call's
     * @param responses where responses are encoded and sent (not on the model's replica thread)
     */
    InferenceService(Models models, Duration requestTimeout, Executor responses) {
        this.models = models;
        this.requestTimeout = requestTimeout;
        this.responses = responses;
        String v = Sluice.class.getPackage().getImplementationVersion();
        this.serverVersion = v != null ? v : "0.1.0-SNAPSHOT";
    }

    @Override
    public void serverLive(ServerLiveRequest request, StreamObserver<ServerLiveResponse> out) {
        answer(out, "the server", () -> ServerLiveResponse.newBuilder().setLive(true).build());
    }

    @Override
    public void serverReady(ServerReadyRequest request, StreamObserver<ServerReadyResponse> out) {
        answer(out, "the server", () -> ServerReadyResponse.newBuilder().setReady(models.allReady()).build());
    }

    @Override
    public void modelReady(ModelReadyRequest request, StreamObserver<ModelReadyResponse> out) {
        answer(out, "model '" + request.getName() + "'", () -> {
            Model m = models.find(request.getName(), request.getVersion());
            return ModelReadyResponse.newBuilder().setReady(models.ready(m)).build();
        });
    }

    @Override
    public void serverMetadata(ServerMetadataRequest request, StreamObserver<ServerMetadataResponse> out) {
        answer(out, "the server", () -> ServerMetadataResponse.newBuilder()
                .setName(SERVER_NAME).setVersion(serverVersion).build());
    }

    @Override
    public void modelMetadata(ModelMetadataRequest request, StreamObserver<ModelMetadataResponse> out) {
        answer(out, "model '" + request.getName() + "'", () -> {
            Model m = models.find(request.getName(), request.getVersion());
            ModelMetadataResponse.Builder b = ModelMetadataResponse.newBuilder()
                    .setName(m.name()).addVersions(m.version()).setPlatform(m.platform());
            for (TensorSpec s : m.signature().inputs()) {
                b.addInputs(metadata(s));
            }
            for (TensorSpec s : m.signature().outputs()) {
                b.addOutputs(metadata(s));
            }
            return b.build();
        });
    }

    private static ModelMetadataResponse.TensorMetadata metadata(TensorSpec s) {
        ModelMetadataResponse.TensorMetadata.Builder b = ModelMetadataResponse.TensorMetadata.newBuilder()
                .setName(s.name()).setDatatype(s.type().oipName());
        for (long d : s.shape()) {
            b.addShape(d);
        }
        return b.build();
    }

    /** Answers a call that needs no model run: its value, or the status its failure maps to. */
    private static <T> void answer(StreamObserver<T> out, String target, Supplier<T> body) {
        T value;
        try {
            value = body.get();
        } catch (RuntimeException e) {
            out.onError(ErrorStatus.of(target, e));
            return;
        }
        out.onNext(value);
        out.onCompleted();
    }

    // ---------------------------------------------------------------- inference

    @Override
    public void modelInfer(ModelInferRequest request, StreamObserver<ModelInferResponse> out) {
        ServerCallStreamObserver<ModelInferResponse> call = (ServerCallStreamObserver<ModelInferResponse>) out;
        String target = "model '" + request.getModelName() + "'";
        Model model;
        List<String> asked;
        CompletableFuture<Map<String, Tensor>> result;
        try {
            model = models.find(request.getModelName(), request.getModelVersion());
            Map<String, Tensor> inputs = inputs(request);
            asked = requestedOutputs(request, model.signature());
            Duration timeout = timeout(request.getParametersMap());
            result = timeout == null ? model.handle().submit(inputs) : model.handle().submit(inputs, timeout);
        } catch (RuntimeException e) {
            call.onError(ErrorStatus.of(target, e));
            return;
        }
        // Runs after this method returns (a call's events are serialized): withdraws the request if it waits.
        call.setOnCancelHandler(() -> result.cancel(false));
        boolean raw = request.getRawInputContentsCount() > 0;
        AtomicReference<Dispatch> served = DispatchReport.SERVED.get(); // null without the load reporter
        result.whenCompleteAsync((outputs, failure) -> {
            if (call.isCancelled()) {
                return; // the client has its status already (CANCELLED, DEADLINE_EXCEEDED)
            }
            ModelInferResponse response;
            try {
                if (failure != null) {
                    throw failure instanceof RuntimeException r ? r : new IllegalStateException(failure);
                }
                response = respond(model, request.getId(), asked, raw, outputs);
            } catch (RuntimeException e) {
                call.onError(ErrorStatus.of(target, e));
                return;
            }
            if (served != null) {
                served.set(DynamicBatcher.dispatchOf(result));
            }
            call.onNext(response);
            call.onCompleted();
        }, responses);
    }

    /** The request's input tensors by name, from typed or raw contents. */
    static Map<String, Tensor> inputs(ModelInferRequest request) {
        int n = request.getInputsCount();
        if (n == 0) {
            throw new InvalidInputException("the request has no inputs");
        }
        int raw = request.getRawInputContentsCount();
        if (raw != 0 && raw != n) {
            throw new InvalidInputException("raw_input_contents has " + raw + " entries for " + n
                    + " inputs; it needs one per input, in the order of inputs");
        }
        Map<String, Tensor> inputs = new LinkedHashMap<>();
        for (int i = 0; i < n; i++) {
            ModelInferRequest.InferInputTensor in = request.getInputs(i);
            if (in.getName().isEmpty()) {
                throw new InvalidInputException("inputs[" + i + "] has no name");
            }
            String what = "input '" + in.getName() + "'";
            if (raw > 0 && in.hasContents() && in.getContents().getSerializedSize() > 0) {
                throw new InvalidInputException(what + " has contents as well as raw_input_contents; a request "
                        + "sends all its inputs one way or the other");
            }
            Tensor t = TensorCodec.tensor(what, in.getName(), in.getDatatype(), in.getShapeList(), in.getContents(),
                    raw > 0 ? request.getRawInputContents(i) : null);
            if (inputs.put(in.getName(), t) != null) {
                throw new InvalidInputException(what + " is given twice");
            }
        }
        return inputs;
    }

    /** The names of the outputs asked for, checked against the signature; null for all. */
    private static List<String> requestedOutputs(ModelInferRequest request, TensorSignature signature) {
        if (request.getOutputsCount() == 0) {
            return null;
        }
        List<String> names = new ArrayList<>(request.getOutputsCount());
        for (int i = 0; i < request.getOutputsCount(); i++) {
            String name = request.getOutputs(i).getName();
            if (name.isEmpty()) {
                throw new InvalidInputException("outputs[" + i + "] has no name");
            }
            if (!signature.outputs().isEmpty() && signature.output(name).isEmpty()) {
                throw new InvalidInputException("output '" + name + "' is not one of the model's "
                        + signature.outputNames());
            }
            if (names.contains(name)) {
                throw new InvalidInputException("output '" + name + "' is asked for twice");
            }
            names.add(name);
        }
        return names;
    }

    /** The shortest of the call's deadline, the {@code timeout_ms} parameter and the server's request timeout. */
    private Duration timeout(Map<String, InferParameter> parameters) {
        Duration timeout = requestTimeout;
        InferParameter p = parameters.get(TIMEOUT_PARAMETER);
        if (p != null) {
            long ms = switch (p.getParameterChoiceCase()) {
                case INT64_PARAM -> p.getInt64Param();
                case UINT64_PARAM -> p.getUint64Param() < 0 ? -1 : p.getUint64Param(); // past 2^63: not a timeout
                default -> -1;
            };
            if (ms < 1) {
                throw new InvalidInputException("parameter \"" + TIMEOUT_PARAMETER
                        + "\" must be a positive whole number of milliseconds (int64_param), was "
                        + Parameters.describe(p));
            }
            timeout = shorter(timeout, Duration.ofMillis(ms));
        }
        Deadline deadline = Context.current().getDeadline();
        if (deadline != null) {
            timeout = shorter(timeout, Duration.ofNanos(deadline.timeRemaining(TimeUnit.NANOSECONDS)));
        }
        return timeout;
    }

    private static Duration shorter(Duration a, Duration b) {
        return a == null || b.compareTo(a) < 0 ? b : a;
    }

    /** The response: the outputs asked for (all, in the model's order, when none were named). */
    private static ModelInferResponse respond(Model model, String id, List<String> asked, boolean raw,
            Map<String, Tensor> outputs) {
        if (outputs == null) {
            throw new IllegalStateException("the model returned null, not a Map<String, Tensor>");
        }
        List<Tensor> selected = new ArrayList<>();
        if (asked == null) {
            for (Object o : outputs.values()) {
                selected.add(tensor(o));
            }
        } else {
            for (String name : asked) {
                Object o = outputs.get(name);
                if (o == null) {
                    throw new InvalidInputException("model '" + model.name() + "' produced no output '" + name
                            + "'; it produced " + outputs.keySet());
                }
                Tensor t = tensor(o);
                selected.add(t.name().equals(name) ? t : t.withName(name));
            }
        }
        boolean asRaw = raw || selected.stream().anyMatch(t -> !TensorCodec.hasContentsField(t.dataType()));
        ModelInferResponse.Builder b = ModelInferResponse.newBuilder()
                .setModelName(model.name()).setModelVersion(model.version()).setId(id);
        for (Tensor t : selected) {
            ModelInferResponse.InferOutputTensor.Builder o = ModelInferResponse.InferOutputTensor.newBuilder()
                    .setName(t.name()).setDatatype(t.dataType().oipName());
            for (long d : t.shape()) {
                o.addShape(d);
            }
            if (asRaw) {
                ByteString bytes = TensorCodec.raw(t);
                b.addRawOutputContents(bytes);
            } else {
                o.setContents(TensorCodec.contents(t));
            }
            b.addOutputs(o);
        }
        return b.build();
    }

    private static Tensor tensor(Object o) {
        if (o instanceof Tensor t) {
            return t;
        }
        throw new IllegalStateException("the model returned " + (o == null ? "null" : "a " + o.getClass().getName())
                + " as an output, not a Tensor");
    }
}
