package dev.sluice.spring.typed;

import dev.sluice.DeploymentHandle;
import dev.sluice.Sluice;
import dev.sluice.batching.Dispatch;
import dev.sluice.batching.DynamicBatcher;
import dev.sluice.pipeline.Pipeline;
import dev.sluice.pipeline.PipelineStepException;
import dev.sluice.pipeline.Result;
import dev.sluice.pipeline.Trace;
import dev.sluice.spring.internal.Failures;
import dev.sluice.spring.oip.OipResponse;
import dev.sluice.spring.internal.RequestBody;
import java.io.IOException;
import java.io.InputStream;
import java.lang.reflect.Type;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JavaType;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * {@code POST /sluice/{name}}: a pipeline, or a deployment without a tensor signature (an object-typed one),
 * called with the request body mapped by Jackson to the input type its bean declares ({@code Pipeline<I, O>},
 * {@code Deployment<I, O>}; where the bean's type leaves it open, to plain JSON values: maps, lists, strings,
 * numbers). The response body is the output as JSON. With the trace asked for ({@code ?trace}, see
 * {@link dev.sluice.spring.http.TraceFlag}) it is {@code {"result": ..., "trace": ...}}: a pipeline's whole {@link Trace}, or for a deployment what the
 * batcher did (queue wait, batch size, replica); a failed pipeline's error body carries its trace too.
 * Errors are those of {@link dev.sluice.spring.http.HttpErrors}. Web-stack neutral: the web adapters only route and
 * copy bytes.
 *
 * <p>Threading: thread-safe; {@link #call} reads the body on the calling thread and never blocks after that.
 */
public final class TypedEndpoints {
    /** Where {@code POST /sluice/{name}} leads. */
    public sealed interface Target permits PipelineTarget, DeploymentTarget {
        String name();

        Type inputType();
    }

    /** A pipeline and the input type of its bean. */
    public record PipelineTarget(String name, Pipeline<?, ?> pipeline, Type inputType) implements Target {}

    /** A deployment without a tensor signature and the input type of its bean. */
    public record DeploymentTarget(String name, DeploymentHandle<?, ?> handle, Type inputType) implements Target {}

    private final JsonMapper json;
    private final Map<String, Target> targets;
    /** Each target's input type as Jackson reads it, resolved once. */
    private final Map<String, JavaType> inputTypes;
    private final Sluice sluice;
    private final long maxRequestBytes;
    private final Duration requestTimeout;

    /**
     * @param targets what each name leads to (pipelines before deployments of the same name)
     * @param requestTimeout how long a request may take (504 after), or null for no limit
     */
    public TypedEndpoints(JsonMapper json, Map<String, Target> targets, Sluice sluice, long maxRequestBytes,
            Duration requestTimeout) {
        this.json = Objects.requireNonNull(json, "json");
        this.targets = Map.copyOf(targets);
        this.inputTypes = new java.util.HashMap<>();
        this.targets.forEach((name, t) -> inputTypes.put(name, json.getTypeFactory().constructType(t.inputType())));
        this.sluice = Objects.requireNonNull(sluice, "sluice");
        this.maxRequestBytes = maxRequestBytes;
        this.requestTimeout = requestTimeout;
    }

    /** The largest request body read. */
    public long maxRequestBytes() {
        return maxRequestBytes;
    }

    /**
     * Calls the target named {@code name} with the body's JSON as its input.
     *
     * @param contentLength the declared length, or -1 when unknown
     * @param trace whether the response carries the request's trace
     */
    public CompletableFuture<OipResponse> call(String name, InputStream body, long contentLength, boolean trace) {
        Target target = targets.get(name);
        if (target == null) {
            String hint = sluice.deployment(name).filter(h -> h.deployment().signature().isPresent())
                    .map(h -> "; '" + name + "' is a tensor model: POST /v2/models/" + name + "/infer").orElse("");
            return done(Failures.error(404, "no pipeline or object-typed deployment named '" + name + "'" + hint));
        }
        Object input;
        try {
            byte[] bytes = RequestBody.read(body, contentLength, maxRequestBytes);
            if (bytes.length == 0) {
                return done(Failures.error(400, "the request body is empty; '" + name + "' takes JSON for "
                        + typeName(target.inputType())));
            }
            input = json.readValue(bytes, inputTypes.get(name));
            if (input == null) {
                return done(Failures.error(400, "the request body is null; '" + name + "' takes " + typeName(target.inputType())));
            }
        } catch (RequestBody.TooLargeException e) {
            return done(Failures.error(413, e.getMessage()));
        } catch (JacksonException e) {
            return done(Failures.error(400, "the request body is not " + typeName(target.inputType()) + " as JSON: "
                    + e.getOriginalMessage()));
        } catch (IOException e) {
            return done(Failures.error(400, "the request body could not be read: " + e.getMessage()));
        }
        String what = (target instanceof PipelineTarget ? "pipeline '" : "deployment '") + name + "'";
        try {
            return target instanceof PipelineTarget p ? callPipeline(p, input, trace, what)
                    : callDeployment((DeploymentTarget) target, input, trace, what);
        } catch (RuntimeException e) { // submit never throws for a request's own failure; this is ours to report
            return done(Failures.response(what, e));
        }
    }

    @SuppressWarnings("unchecked")
    private CompletableFuture<OipResponse> callPipeline(PipelineTarget t, Object input, boolean trace, String what) {
        Pipeline<Object, Object> p = (Pipeline<Object, Object>) t.pipeline();
        CompletableFuture<Result<Object>> f = requestTimeout == null ? p.submit(input) : p.submit(input, requestTimeout);
        return f.handle((result, failure) -> {
            if (failure != null) {
                OipResponse error = Failures.response(what, failure);
                Throwable cause = failure instanceof CompletionException && failure.getCause() != null
                        ? failure.getCause() : failure;
                if (trace && cause instanceof PipelineStepException e && e.trace() != null) {
                    return withTrace(error, e.trace());
                }
                return error;
            }
            return answer(result.value(), trace ? json.readTree(result.trace().toJson()) : null, trace, what);
        });
    }

    @SuppressWarnings("unchecked")
    private CompletableFuture<OipResponse> callDeployment(DeploymentTarget t, Object input, boolean trace, String what) {
        DeploymentHandle<Object, Object> h = (DeploymentHandle<Object, Object>) t.handle();
        CompletableFuture<Object> f = requestTimeout == null ? h.submit(input) : h.submit(input, requestTimeout);
        return f.handle((value, failure) -> {
            if (failure != null) {
                return Failures.response(what, failure);
            }
            Object dispatch = null;
            if (trace) {
                Dispatch d = DynamicBatcher.dispatchOf(f);
                ObjectNode n = json.createObjectNode();
                n.put("deployment", t.name());
                if (d != null) {
                    n.put("queueWaitMs", d.queueWaitNanos() / (double) TimeUnit.MILLISECONDS.toNanos(1));
                    n.put("batchSize", d.batchSize());
                    n.put("replica", d.worker());
                }
                dispatch = n;
            }
            return answer(value, dispatch, trace, what);
        });
    }

    private OipResponse answer(Object value, Object trace, boolean withTrace, String what) {
        try {
            if (!withTrace) {
                return new OipResponse(200, Map.of(), json.writeValueAsBytes(value));
            }
            ObjectNode body = json.createObjectNode();
            body.set("result", json.valueToTree(value));
            body.set("trace", json.valueToTree(trace));
            return new OipResponse(200, Map.of(), json.writeValueAsBytes(body));
        } catch (JacksonException e) {
            return Failures.response(what, new IllegalStateException("its output cannot be written as JSON", e));
        }
    }

    private OipResponse withTrace(OipResponse error, Trace trace) {
        ObjectNode body = (ObjectNode) json.readTree(error.body());
        body.set("trace", json.readTree(trace.toJson()));
        return new OipResponse(error.status(), error.headers(), json.writeValueAsBytes(body));
    }

    private static String typeName(Type type) {
        return type instanceof Class<?> c ? c.getSimpleName() : type.getTypeName();
    }

    private static CompletableFuture<OipResponse> done(OipResponse r) {
        return CompletableFuture.completedFuture(r);
    }
}
