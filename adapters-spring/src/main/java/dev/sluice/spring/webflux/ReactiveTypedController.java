package dev.sluice.spring.webflux;

import dev.sluice.batching.InvalidInputException;
import dev.sluice.spring.internal.HttpResponses;
import dev.sluice.spring.http.TraceFlag;
import dev.sluice.spring.internal.Failures;
import dev.sluice.spring.typed.TypedEndpoints;
import org.springframework.http.ResponseEntity;
import org.springframework.http.server.reactive.ServerHttpRequest;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;
import reactor.core.publisher.Mono;

/**
 * {@code POST /sluice/{name}[?trace]} on Spring WebFlux: routing only, the rest is {@link TypedEndpoints}; the
 * trace flag is read by {@link TraceFlag}, as on Spring MVC.
 */
@RestController
public class ReactiveTypedController {
    private final TypedEndpoints endpoints;

    public ReactiveTypedController(TypedEndpoints endpoints) {
        this.endpoints = endpoints;
    }

    @PostMapping("/sluice/{name}")
    public Mono<ResponseEntity<byte[]>> call(@PathVariable("name") String name, ServerHttpRequest request) {
        boolean trace;
        try {
            trace = TraceFlag.isRequested(request.getURI().getRawQuery()); // the servlet stack's rule, not Spring's
        } catch (InvalidInputException e) {
            return Mono.just(HttpResponses.entity(Failures.error(400, e.getMessage())));
        }
        return Bodies.gather(request, endpoints.maxRequestBytes(), (body, length) ->
                endpoints.call(name, body, length, trace));
    }

    /** Any other method: 405 with {@code Allow} and the protocol's error body. */
    @RequestMapping("/sluice/{name}")
    public ResponseEntity<byte[]> postOnly(ServerHttpRequest request) {
        return HttpResponses.entity(Failures.methodNotAllowed(request.getMethod().name(), request.getPath().value(),
                "POST"));
    }
}
