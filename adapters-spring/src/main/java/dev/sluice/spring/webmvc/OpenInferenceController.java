package dev.sluice.spring.webmvc;

import dev.sluice.spring.http.HttpErrors;
import dev.sluice.spring.internal.HttpResponses;
import dev.sluice.spring.oip.OipResponse;
import dev.sluice.spring.oip.OpenInferenceProtocol;
import jakarta.servlet.http.HttpServletRequest;
import java.io.IOException;
import java.util.concurrent.CompletableFuture;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.context.request.async.AsyncRequestTimeoutException;

/**
 * The Open Inference Protocol's REST endpoints on Spring MVC. Routing and byte copying only: everything else is
 * {@link OpenInferenceProtocol}. Inference is asynchronous: the handler returns a {@link CompletableFuture}, so
 * no request thread waits while the request is queued and batched. The binary tensor data extension's header
 * ({@link OpenInferenceProtocol#INFERENCE_HEADER_CONTENT_LENGTH}) is handed on; the body is read as bytes whatever
 * its content type.
 *
 * <p>Registered as a bean by {@link SluiceWebMvcAutoConfiguration}.
 */
@RestController
public class OpenInferenceController {
    private static final String MODEL = "/v2/models/{model}";
    private static final String VERSION = "/v2/models/{model}/versions/{version}";

    private final OpenInferenceProtocol protocol;

    public OpenInferenceController(OpenInferenceProtocol protocol) {
        this.protocol = protocol;
    }

    @GetMapping("/v2/health/live")
    public ResponseEntity<byte[]> live() {
        return entity(protocol.serverLive());
    }

    @GetMapping("/v2/health/ready")
    public ResponseEntity<byte[]> ready() {
        return entity(protocol.serverReady());
    }

    @GetMapping("/v2")
    public ResponseEntity<byte[]> serverMetadata() {
        return entity(protocol.serverMetadata());
    }

    @GetMapping({MODEL, VERSION})
    public ResponseEntity<byte[]> modelMetadata(@PathVariable("model") String model,
            @PathVariable(name = "version", required = false) String version) {
        return entity(protocol.modelMetadata(model, version));
    }

    @GetMapping({MODEL + "/ready", VERSION + "/ready"})
    public ResponseEntity<byte[]> modelReady(@PathVariable("model") String model,
            @PathVariable(name = "version", required = false) String version) {
        return entity(protocol.modelReady(model, version));
    }

    @PostMapping({MODEL + "/infer", VERSION + "/infer"})
    public CompletableFuture<ResponseEntity<byte[]>> infer(@PathVariable("model") String model,
            @PathVariable(name = "version", required = false) String version, HttpServletRequest request) throws IOException {
        return protocol.infer(model, version, request.getInputStream(), request.getContentLengthLong(),
                request.getHeader(OpenInferenceProtocol.INFERENCE_HEADER_CONTENT_LENGTH))
                .thenApply(OpenInferenceController::entity);
    }

    /** Any other method on the protocol's paths: 405 with {@code Allow} and the protocol's error body. */
    @RequestMapping({"/v2/health/live", "/v2/health/ready", "/v2", MODEL, VERSION, MODEL + "/ready",
            VERSION + "/ready"})
    public ResponseEntity<byte[]> readOnly(HttpServletRequest request) {
        return entity(protocol.methodNotAllowed(request.getMethod(), request.getRequestURI(), "GET"));
    }

    @RequestMapping({MODEL + "/infer", VERSION + "/infer"})
    public ResponseEntity<byte[]> inferOnly(HttpServletRequest request) {
        return entity(protocol.methodNotAllowed(request.getMethod(), request.getRequestURI(), "POST"));
    }

    /**
     * An answer that did not come within the web server's asynchronous request timeout: 504 with a body saying
     * so, where Spring would answer a bare 503 (see {@link SluiceWebMvcAutoConfiguration}).
     */
    @ExceptionHandler(AsyncRequestTimeoutException.class)
    public ResponseEntity<byte[]> asyncRequestTimeout() {
        return HttpErrors.asyncRequestTimeout();
    }

    private static ResponseEntity<byte[]> entity(OipResponse r) {
        return HttpResponses.entity(r);
    }
}
