package dev.sluice.spring.webmvc;

import dev.sluice.batching.InvalidInputException;
import dev.sluice.spring.http.HttpErrors;
import dev.sluice.spring.http.TraceFlag;
import dev.sluice.spring.internal.Failures;
import dev.sluice.spring.internal.HttpResponses;
import dev.sluice.spring.typed.TypedEndpoints;
import jakarta.servlet.http.HttpServletRequest;
import java.io.IOException;
import java.util.concurrent.CompletableFuture;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.context.request.async.AsyncRequestTimeoutException;

/**
 * {@code POST /sluice/{name}[?trace]} ({@link TraceFlag} reads the flag) on Spring MVC: routing and byte copying only, the rest is
 * {@link TypedEndpoints}. Asynchronous: no request thread waits while the request runs.
 */
@RestController
public class TypedController {
    private final TypedEndpoints endpoints;

    public TypedController(TypedEndpoints endpoints) {
        this.endpoints = endpoints;
    }

    @PostMapping("/sluice/{name}")
    public CompletableFuture<ResponseEntity<byte[]>> call(@PathVariable("name") String name, HttpServletRequest request)
            throws IOException {
        boolean trace;
        try {
            trace = TraceFlag.isRequested(request.getQueryString()); // the raw query: never a form body's fields
        } catch (InvalidInputException e) {
            return CompletableFuture.completedFuture(HttpResponses.entity(Failures.error(400, e.getMessage())));
        }
        return endpoints.call(name, request.getInputStream(), request.getContentLengthLong(), trace)
                .thenApply(HttpResponses::entity);
    }

    /**
     * An answer that did not come within the web server's asynchronous request timeout: 504 with a body saying
     * so, where Spring would answer a bare 503 (see {@link SluiceWebMvcAutoConfiguration}).
     */
    @ExceptionHandler(AsyncRequestTimeoutException.class)
    public ResponseEntity<byte[]> asyncRequestTimeout() {
        return HttpErrors.asyncRequestTimeout();
    }

    /** Any other method: 405 with {@code Allow} and the protocol's error body. */
    @RequestMapping("/sluice/{name}")
    public ResponseEntity<byte[]> postOnly(HttpServletRequest request) {
        return HttpResponses.entity(Failures.methodNotAllowed(request.getMethod(),
                request.getRequestURI(), "POST"));
    }
}
