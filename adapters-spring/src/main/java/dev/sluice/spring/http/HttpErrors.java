package dev.sluice.spring.http;

import dev.sluice.spring.internal.Failures;
import dev.sluice.spring.internal.HttpResponses;
import org.springframework.http.ResponseEntity;

/**
 * Sluice's errors as HTTP answers, the same as the starter's own endpoints give, for an application's own
 * controllers (Spring MVC or WebFlux). Every answer has a JSON body {@code {"error": "..."}} and
 * {@code Cache-Control: no-store}; a body never holds a stack trace.
 *
 * <table>
 *   <caption>The failure of a request, by type (a {@code CompletionException} or {@code ExecutionException} is
 *   unwrapped first; a pipeline step's failure answers as its cause does, with the step's message)</caption>
 *   <tr><th>failure</th><th>status</th></tr>
 *   <tr><td>{@code InvalidInputException}</td><td>400</td></tr>
 *   <tr><td>{@code OverloadedException}</td><td>429, with {@code Retry-After}: the refusal's estimate of when there is room, in whole seconds, at least 1</td></tr>
 *   <tr><td>{@code DeadlineExceededException} (no model saw the request), or a pipeline step's
 *   {@code StepTimeoutException} (an attempt ran out of time while it ran)</td><td>504</td></tr>
 *   <tr><td>{@code ShutdownException}, or cancelled</td><td>503</td></tr>
 *   <tr><td>anything else (a model's failure, a bug)</td><td>500, whose message gives an error id that the log
 *   line holding the failure (logger {@code dev.sluice.spring.internal.Failures}, ERROR) also gives</td></tr>
 * </table>
 *
 * <pre>{@code
 * return ocr.read(image).handle((result, failure) -> failure != null
 *         ? HttpErrors.response("the OCR pipeline", failure)
 *         : ResponseEntity.ok(result.value()));
 * }</pre>
 *
 * <p>Threading: stateless, thread-safe; never blocks and never throws for any failure given.
 */
public final class HttpErrors {
    private HttpErrors() {}

    /**
     * The answer to a request that failed with {@code failure} (see the table above).
     *
     * @param target what failed, for the message and the log, e.g. {@code "model 'rec'"}
     */
    public static ResponseEntity<byte[]> response(String target, Throwable failure) {
        return HttpResponses.entity(Failures.response(target, failure));
    }

    /** An answer with status {@code status} (4xx or 5xx) and the body {@code {"error": message}}. */
    public static ResponseEntity<byte[]> error(int status, String message) {
        if (status < 400 || status > 599) {
            throw new IllegalArgumentException("an error's status is 4xx or 5xx, was " + status);
        }
        return HttpResponses.entity(Failures.error(status, message));
    }

    /**
     * 504 for a request whose answer did not come within the web server's asynchronous request timeout (Spring
     * MVC's {@code AsyncRequestTimeoutException}, which Spring itself answers with a bare 503): for an
     * {@code @ExceptionHandler} of an application's own controller that returns a {@code CompletableFuture}.
     */
    public static ResponseEntity<byte[]> asyncRequestTimeout() {
        return error(504, "no answer within the web server's asynchronous request timeout"
                + " (spring.mvc.async.request-timeout; by default sluice.http.request-timeout plus 1 s); the request"
                + " may still be running and its answer is discarded");
    }

    /** 405 for {@code method} on {@code path}, with {@code Allow: allowed} (e.g. {@code "POST"}). */
    public static ResponseEntity<byte[]> methodNotAllowed(String method, String path, String allowed) {
        return HttpResponses.entity(Failures.methodNotAllowed(method, path, allowed));
    }
}
