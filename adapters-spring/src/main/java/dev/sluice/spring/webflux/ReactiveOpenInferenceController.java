package dev.sluice.spring.webflux;

import dev.sluice.spring.internal.HttpResponses;
import dev.sluice.spring.oip.OpenInferenceProtocol;
import java.io.InputStream;
import org.springframework.http.ResponseEntity;
import org.springframework.http.server.reactive.ServerHttpRequest;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;
import reactor.core.publisher.Mono;

/**
 * The Open Inference Protocol's REST endpoints on Spring WebFlux: the same {@link OpenInferenceProtocol} as on
 * the servlet stack, so both answer alike. The body is gathered without blocking (see {@link Bodies}); the
 * answer comes when the request's batch has run, on no event-loop thread in the meantime. The binary tensor data
 * extension's header ({@link OpenInferenceProtocol#INFERENCE_HEADER_CONTENT_LENGTH}) is handed on.
 *
 * <p>Registered as a bean by {@link SluiceWebFluxAutoConfiguration}.
 */
@RestController
public class ReactiveOpenInferenceController {
    private static final String MODEL = "/v2/models/{model}";
    private static final String VERSION = "/v2/models/{model}/versions/{version}";

    private final OpenInferenceProtocol protocol;

    public ReactiveOpenInferenceController(OpenInferenceProtocol protocol) {
        this.protocol = protocol;
    }

    @GetMapping("/v2/health/live")
    public ResponseEntity<byte[]> live() {
        return HttpResponses.entity(protocol.serverLive());
    }

    @GetMapping("/v2/health/ready")
    public ResponseEntity<byte[]> ready() {
        return HttpResponses.entity(protocol.serverReady());
    }

    @GetMapping("/v2")
    public ResponseEntity<byte[]> serverMetadata() {
        return HttpResponses.entity(protocol.serverMetadata());
    }

    @GetMapping({MODEL, VERSION})
    public ResponseEntity<byte[]> modelMetadata(@PathVariable("model") String model,
            @PathVariable(name = "version", required = false) String version) {
        return HttpResponses.entity(protocol.modelMetadata(model, version));
    }

    @GetMapping({MODEL + "/ready", VERSION + "/ready"})
    public ResponseEntity<byte[]> modelReady(@PathVariable("model") String model,
            @PathVariable(name = "version", required = false) String version) {
        return HttpResponses.entity(protocol.modelReady(model, version));
    }

    @PostMapping({MODEL + "/infer", VERSION + "/infer"})
    public Mono<ResponseEntity<byte[]>> infer(@PathVariable("model") String model,
            @PathVariable(name = "version", required = false) String version, ServerHttpRequest request) {
        String jsonLength = request.getHeaders().getFirst(OpenInferenceProtocol.INFERENCE_HEADER_CONTENT_LENGTH);
        return Bodies.gather(request, protocol.maxRequestBytes(), (InputStream body, long length) ->
                protocol.infer(model, version, body, length, jsonLength));
    }

    /** Any other method on the protocol's paths: 405 with {@code Allow} and the protocol's error body. */
    @RequestMapping({"/v2/health/live", "/v2/health/ready", "/v2", MODEL, VERSION, MODEL + "/ready",
            VERSION + "/ready"})
    public ResponseEntity<byte[]> readOnly(ServerHttpRequest request) {
        return HttpResponses.entity(protocol.methodNotAllowed(request.getMethod().name(), request.getPath().value(),
                "GET"));
    }

    @RequestMapping({MODEL + "/infer", VERSION + "/infer"})
    public ResponseEntity<byte[]> inferOnly(ServerHttpRequest request) {
        return HttpResponses.entity(protocol.methodNotAllowed(request.getMethod().name(), request.getPath().value(),
                "POST"));
    }
}
