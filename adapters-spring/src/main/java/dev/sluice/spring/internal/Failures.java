package dev.sluice.spring.internal;

import dev.sluice.batching.DeadlineExceededException;
import dev.sluice.batching.InvalidInputException;
import dev.sluice.batching.OverloadedException;
import dev.sluice.batching.ShutdownException;
import dev.sluice.pipeline.StepTimeoutException;
import dev.sluice.pipeline.PipelineStepException;
import dev.sluice.spring.oip.OipResponse;
import java.io.ByteArrayOutputStream;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.core.JsonGenerator;
import tools.jackson.core.ObjectWriteContext;
import tools.jackson.core.json.JsonFactory;

/**
 * Not API: the starter's own plumbing, public only so its packages can share it (applications use
 * {@link dev.sluice.spring.http.HttpErrors}).
 *
 * <p>Maps a request's failure to its HTTP response, the same for every endpoint: bad input 400, overload 429
 * with {@code Retry-After}, a deadline or a pipeline step's timeout 504, shutdown (or a request cancelled by it) 503, anything else 500
 * with an error id that is also logged with the failure. Bodies are {@code {"error": "..."}}, never a stack
 * trace. A pipeline step's failure answers as its cause would, with the step's own message.
 */
public final class Failures {
    private static final Logger LOG = LoggerFactory.getLogger(Failures.class);
    private static final JsonFactory JSON = JsonFactory.builder().build();

    private Failures() {}

    /** @param target what failed, for messages and the log: e.g. {@code model 'rec'} */
    public static OipResponse response(String target, Throwable failure) {
        Throwable e = failure;
        while ((e instanceof CompletionException || e instanceof ExecutionException) && e.getCause() != null) {
            e = e.getCause();
        }
        Throwable kind = e instanceof PipelineStepException && e.getCause() != null ? e.getCause() : e;
        if (kind instanceof InvalidInputException) {
            return error(400, e.getMessage());
        }
        if (kind instanceof OverloadedException) {
            return new OipResponse(429, Map.of("Retry-After", retryAfterSeconds((OverloadedException) kind)),
                    errorBody(e.getMessage()));
        }
        if (kind instanceof DeadlineExceededException || kind instanceof StepTimeoutException) {
            return error(504, e.getMessage());
        }
        if (kind instanceof ShutdownException) {
            return error(503, "the server is shutting down: " + e.getMessage());
        }
        if (kind instanceof CancellationException) {
            return error(503, "the request was cancelled before " + target + " ran it");
        }
        String id = UUID.randomUUID().toString();
        LOG.error("Request to {} failed, error id {}", target, id, e);
        return error(500, target + " failed on this request; error id " + id + " (the server log has the details)");
    }

    /** A known path asked with a method it does not serve: 405 with {@code Allow}. */
    public static OipResponse methodNotAllowed(String method, String path, String allowed) {
        return new OipResponse(405, Map.of("Allow", allowed),
                errorBody(method + " is not allowed on " + path + "; use " + allowed));
    }

    /** The error body: {@code {"error": message}}. */
    private static byte[] errorBody(String message) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(64 + message.length());
        try (JsonGenerator g = JSON.createGenerator(ObjectWriteContext.empty(), out)) {
            g.writeStartObject();
            g.writeStringProperty("error", message);
            g.writeEndObject();
        }
        return out.toByteArray();
    }

    /** A response with the protocol's error body. */
    public static OipResponse error(int status, String message) {
        return new OipResponse(status, Map.of(), errorBody(message));
    }

    /**
     * Whole seconds until there should be room, rounded up, at least 1 (HTTP's {@code Retry-After} has no
     * finer unit): the refusal's own estimate where it has one, 1 otherwise.
     */
    static String retryAfterSeconds(OverloadedException e) {
        java.time.Duration after = e.retryAfter();
        if (after == null || after.isNegative()) {
            return "1";
        }
        long seconds = after.getSeconds() + (after.getNano() > 0 ? 1 : 0);
        return Long.toString(Math.max(1, Math.min(seconds, 3600)));
    }
}
