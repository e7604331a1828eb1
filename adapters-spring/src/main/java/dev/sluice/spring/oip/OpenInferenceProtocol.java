package dev.sluice.spring.oip;

import dev.sluice.DeploymentHandle;
import dev.sluice.Sluice;
import dev.sluice.SluiceStatus;
import dev.sluice.batching.InvalidInputException;
import dev.sluice.internal.ProtocolModels;
import dev.sluice.internal.ProtocolModels.Model;
import dev.sluice.spring.internal.Failures;
import dev.sluice.spring.internal.RequestBody;
import dev.sluice.tensor.Tensor;
import dev.sluice.tensor.TensorSignature;
import dev.sluice.tensor.internal.RawTensors;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Open Inference Protocol (KServe v2, REST) over a {@link Sluice} runtime, independent of any web stack.
 * Every deployment that declares a {@link TensorSignature} is a model of the protocol; its version is the
 * deployment's version ({@code "1"}, then one more for each {@code update}), the only one served.
 *
 * <p>Each method returns exactly one {@link OipResponse} and never throws: bad input is 400, an unknown model or
 * version 404, a body over the limit 413, a full queue 429 with {@code Retry-After}, a model failure 500 with an
 * error id that is also logged (never a stack trace in the body), a runtime shutting down 503, a request that
 * waited past its timeout 504. Error bodies are {@code {"error": "..."}}.
 *
 * <p>Floating-point data may hold {@code NaN}, written as the literal {@code NaN} (as Python's {@code json} writes
 * it; JSON has no NaN): a missing value to an XGBoost model. Infinities, and numbers beyond the type's range, are
 * 400 naming the element. A NaN in an output is written as the string {@code "NaN"}.
 *
 * <p>A request may bound its own wait for a replica with the parameter {@code "timeout_ms"} (a positive whole
 * number of milliseconds); with {@link Settings#requestTimeout()} as well, the shorter applies. Other parameters
 * are accepted and ignored.
 *
 * <p>The binary tensor data extension ({@code "binary_tensor_data"} in {@code GET /v2}): with the header
 * {@value #INFERENCE_HEADER_CONTENT_LENGTH}, the first that many bytes of a request body are its JSON, and the rest
 * the binary data of the inputs that carry {@code parameters.binary_data_size} (and no {@code data}), in the order
 * of {@code inputs}; other inputs in the same request carry {@code data} as usual. Binary data is little-endian,
 * row-major; a BOOL element one byte (0 or 1), FP16 its two bytes, a BYTES element a 4-byte length and its bytes.
 * An output is answered as binary data when it asks ({@code outputs[i].parameters.binary_data: true}), or when the
 * request's parameter {@code binary_data_output} is true and the output does not say otherwise (without
 * {@code outputs}, every output follows {@code binary_data_output}). Such an output has {@code binary_data_size}
 * and no {@code data}; the response is then {@link OipResponse#BINARY_CONTENT_TYPE} with the header
 * {@value #INFERENCE_HEADER_CONTENT_LENGTH} giving the length of its JSON. Every declared size is checked against
 * the shape and the bytes that came before anything is read: a mismatch is 400 naming the input.
 *
 * <p>Threading: thread-safe. {@link #infer} reads the body on the calling thread, then never blocks: its future
 * completes when the request's batch has run (on a replica thread).
 */
public final class OpenInferenceProtocol {
    private static final Logger LOG = LoggerFactory.getLogger(OpenInferenceProtocol.class);
    static final String SERVER_NAME = "sluice";
    /** The protocol extensions served, as {@code GET /v2} lists them. */
    static final List<String> EXTENSIONS = List.of("binary_tensor_data");
    /**
     * The request and response header of the binary tensor data extension: how many bytes at the start of the
     * body are its JSON (binary tensor data follows).
     */
    public static final String INFERENCE_HEADER_CONTENT_LENGTH = BinaryData.HEADER;

    private final ProtocolModels models;
    private final Settings settings;
    private final String serverVersion;

    /**
     * @param maxRequestBytes the largest request body read; larger ones get 413
     * @param requestTimeout how long a request may wait for a replica (504 after), or null for no limit
     */
    public record Settings(long maxRequestBytes, Duration requestTimeout) {
        public Settings {
            if (maxRequestBytes < 1 || maxRequestBytes > Integer.MAX_VALUE - 8) {
                throw new IllegalArgumentException("maxRequestBytes must be between 1 byte and 2 GiB, was "
                        + maxRequestBytes);
            }
            if (requestTimeout != null && (requestTimeout.isNegative() || requestTimeout.isZero())) {
                throw new IllegalArgumentException("requestTimeout must be positive, was " + requestTimeout);
            }
        }
    }

    public OpenInferenceProtocol(Sluice sluice, Settings settings) {
        this(Objects.requireNonNull(sluice, "sluice")::deployment, sluice::status, settings);
    }

    /** Over any source of deployments (tests hand in handles that change between reads). */
    OpenInferenceProtocol(Function<String, Optional<DeploymentHandle<?, ?>>> deployments,
            Supplier<SluiceStatus> status, Settings settings) {
        this.models = new ProtocolModels(deployments, status);
        this.settings = Objects.requireNonNull(settings, "settings");
        String v = Sluice.class.getPackage().getImplementationVersion();
        this.serverVersion = v != null ? v : "0.1.0-SNAPSHOT";
    }

    /** {@code GET /v2/health/live}: 200, the server answers. */
    public OipResponse serverLive() {
        return OipResponse.empty(200);
    }

    /** {@code GET /v2/health/ready}: 200 when every model is ready, 400 otherwise (the spec's "4xx: false"). */
    public OipResponse serverReady() {
        return OipResponse.empty(models.allReady() ? 200 : 400);
    }

    /** {@code GET /v2}. */
    public OipResponse serverMetadata() {
        return OipResponse.json(200, JsonBodies.serverMetadata(SERVER_NAME, serverVersion, EXTENSIONS));
    }

    /** {@code GET /v2/models/{model}[/versions/{version}]}; {@code version} may be null. */
    public OipResponse modelMetadata(String model, String version) {
        Found found = find(model, version);
        if (found.error() != null) {
            return found.error();
        }
        Model m = found.model();
        return OipResponse.json(200, JsonBodies.modelMetadata(model, m.version(), m.platform(), m.signature()));
    }

    /** {@code GET /v2/models/{model}[/versions/{version}]/ready}: 200 ready, 400 not (yet) ready, 404 unknown. */
    public OipResponse modelReady(String model, String version) {
        Found found = find(model, version);
        if (found.error() != null) {
            return found.error();
        }
        return OipResponse.empty(models.ready(found.model()) ? 200 : 400);
    }

    /**
     * {@code POST /v2/models/{model}[/versions/{version}]/infer} with a body that is all JSON.
     *
     * @param body the request body, read here (on the caller's thread) up to the size limit
     * @param contentLength the declared length, or -1 when unknown (chunked): a declared length over the limit
     *     is refused before anything is read, and an undeclared one is counted while reading
     */
    public CompletableFuture<OipResponse> infer(String model, String version, InputStream body, long contentLength) {
        return infer(model, version, body, contentLength, null);
    }

    /**
     * {@code POST /v2/models/{model}[/versions/{version}]/infer}, where the body may carry binary tensor data:
     * with {@code inferenceHeaderContentLength}, the first that many bytes of the body are its JSON and the rest
     * the binary data of the inputs that declare {@code binary_data_size}, in the order of {@code inputs}.
     *
     * @param body the request body, read here (on the caller's thread) up to the size limit
     * @param contentLength the declared length, or -1 when unknown (chunked): a declared length over the limit
     *     is refused before anything is read, and an undeclared one is counted while reading
     * @param inferenceHeaderContentLength the request's {@value #INFERENCE_HEADER_CONTENT_LENGTH} header, or null
     *     when it has none (the whole body is JSON)
     */
    public CompletableFuture<OipResponse> infer(String model, String version, InputStream body, long contentLength,
            String inferenceHeaderContentLength) {
        Found found = find(model, version);
        if (found.error() != null) {
            return CompletableFuture.completedFuture(found.error());
        }
        Model m = found.model();
        InferenceRequest request;
        try {
            byte[] bytes = read(body, contentLength);
            int json = BinaryData.jsonLength(inferenceHeaderContentLength, bytes.length);
            request = InferenceRequestReader.read(bytes, json, bytes.length, inferenceHeaderContentLength != null);
            checkOutputs(m.signature(), request.outputs());
        } catch (RequestBody.TooLargeException e) {
            return CompletableFuture.completedFuture(error(413, e.getMessage()));
        } catch (InvalidInputException e) {
            return CompletableFuture.completedFuture(error(400, e.getMessage()));
        } catch (IOException e) {
            return CompletableFuture.completedFuture(error(400, "the request body could not be read: " + e.getMessage()));
        }
        Duration timeout;
        try {
            timeout = timeout(request.parameters());
        } catch (InvalidInputException e) {
            return CompletableFuture.completedFuture(error(400, e.getMessage()));
        }
        CompletableFuture<Map<String, Tensor>> result;
        try {
            result = timeout == null ? m.handle().submit(request.inputs())
                    : m.handle().submit(request.inputs(), timeout);
        } catch (RuntimeException e) { // submit does not throw for bad input; anything else is ours to report
            return CompletableFuture.completedFuture(failure(model, e));
        }
        return result.handle((outputs, failure) -> {
            if (failure != null) {
                return failure(model, failure);
            }
            try {
                return respond(model, m.version(), request, outputs);
            } catch (RuntimeException e) { // an answer that cannot be written (an output past 2 GiB): ours to report
                return failure(model, e);
            }
        });
    }

    /** For a web adapter: a known path asked with a method it does not serve. */
    public OipResponse methodNotAllowed(String method, String path, String allowed) {
        return Failures.methodNotAllowed(method, path, allowed);
    }

    // ---------------------------------------------------------------- models

    /** A resolved model, or the error response saying why there is none. */
    private record Found(Model model, OipResponse error) {}

    /**
     * Resolves a model from ONE read of the version serving and its settings (see {@link ProtocolModels#find}): an
     * unknown model or version is 404.
     */
    private Found find(String name, String version) {
        try {
            return new Found(models.find(name, version), null);
        } catch (ProtocolModels.UnknownModelException e) {
            return new Found(null, error(404, e.getMessage()));
        }
    }

    // ---------------------------------------------------------------- inference

    static final String TIMEOUT_PARAMETER = "timeout_ms";

    private Duration timeout(Map<String, Object> parameters) {
        Duration timeout = settings.requestTimeout();
        Object value = parameters.get(TIMEOUT_PARAMETER);
        if (value == null) {
            return timeout;
        }
        if (!(value instanceof Integer || value instanceof Long) || ((Number) value).longValue() < 1) {
            throw new InvalidInputException("parameter \"" + TIMEOUT_PARAMETER
                    + "\" must be a positive whole number of milliseconds, was " + value);
        }
        Duration asked = Duration.ofMillis(((Number) value).longValue());
        return timeout == null || asked.compareTo(timeout) < 0 ? asked : timeout;
    }

    private static void checkOutputs(TensorSignature signature, List<String> outputs) {
        if (outputs == null || signature.outputs().isEmpty()) {
            return;
        }
        for (String name : outputs) {
            if (signature.output(name).isEmpty()) {
                throw new InvalidInputException("output '" + name + "' is not one of the model's "
                        + signature.outputNames());
            }
        }
    }

    private OipResponse respond(String model, String version, InferenceRequest request, Object result) {
        if (!(result instanceof Map<?, ?> outputs)) {
            return failure(model, new IllegalStateException("the model returned "
                    + (result == null ? "null" : result.getClass().getName()) + ", not a Map<String, Tensor>"));
        }
        List<Tensor> selected = new ArrayList<>();
        if (request.outputs() == null) {
            for (Object o : outputs.values()) {
                if (!(o instanceof Tensor t)) {
                    return failure(model, new IllegalStateException("the model returned a " + o + ", not a Tensor"));
                }
                selected.add(t);
            }
        } else {
            for (String name : request.outputs()) {
                Object o = outputs.get(name);
                if (o == null) {
                    return error(400, "model '" + model + "' produced no output '" + name + "'; it produced "
                            + outputs.keySet());
                }
                if (!(o instanceof Tensor t)) {
                    return failure(model, new IllegalStateException("the model returned a " + o + ", not a Tensor"));
                }
                selected.add(t.name().equals(name) ? t : t.withName(name));
            }
        }
        return answer(model, version, request, selected);
    }

    /**
     * The response: all JSON, or, when an output is asked for as binary data, the JSON and after it each such
     * output's raw bytes, in the order of {@code outputs}. The body is allocated once at its final size and each
     * tensor copied into it once.
     */
    private static OipResponse answer(String model, String version, InferenceRequest request, List<Tensor> outputs) {
        int[] sizes = new int[outputs.size()];
        long binary = 0;
        for (int i = 0; i < sizes.length; i++) {
            Tensor t = outputs.get(i);
            sizes[i] = request.binary(t.name()) ? RawTensors.size(t) : -1;
            binary += Math.max(0, sizes[i]);
        }
        byte[] json = JsonBodies.inferResponse(model, version, request.id(), outputs, sizes);
        if (Arrays.stream(sizes).allMatch(s -> s < 0)) {
            return OipResponse.json(200, json);
        }
        if (json.length + binary > Integer.MAX_VALUE - 8) {
            throw new IllegalStateException("the response's outputs need " + (json.length + binary)
                    + " bytes, more than one HTTP body of Sluice's may hold");
        }
        byte[] body = Arrays.copyOf(json, (int) (json.length + binary));
        ByteBuffer out = ByteBuffer.wrap(body).position(json.length);
        for (int i = 0; i < sizes.length; i++) {
            if (sizes[i] >= 0) {
                RawTensors.write(outputs.get(i), out);
            }
        }
        return OipResponse.binary(200, body, json.length);
    }

    private static OipResponse failure(String model, Throwable failure) {
        return Failures.response("model '" + model + "'", failure);
    }

    private static OipResponse error(int status, String message) {
        return Failures.error(status, message);
    }

    private byte[] read(InputStream in, long contentLength) throws IOException, RequestBody.TooLargeException {
        return RequestBody.read(in, contentLength, settings.maxRequestBytes());
    }

    /** The largest request body read (a web adapter may refuse a larger declared length before reading). */
    public long maxRequestBytes() {
        return settings.maxRequestBytes();
    }
}
