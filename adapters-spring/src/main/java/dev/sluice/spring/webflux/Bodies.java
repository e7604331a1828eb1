package dev.sluice.spring.webflux;

import dev.sluice.spring.internal.HttpResponses;
import dev.sluice.spring.oip.OipResponse;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.util.concurrent.CompletableFuture;
import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.core.io.buffer.DataBufferUtils;
import org.springframework.http.ResponseEntity;
import org.springframework.http.server.reactive.ServerHttpRequest;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

/**
 * Gathers a reactive request body for the web-stack-neutral endpoints, which read an {@link InputStream}: a
 * declared length over the limit is handed on unread (the endpoint answers 413); otherwise at most one byte
 * past the limit is gathered, without blocking, so an oversized chunked body is refused without being read
 * whole. A body over 64 KiB is parsed off the event loop.
 */
final class Bodies {
    /** Bodies up to this size are parsed where they were gathered; larger ones on a worker thread. */
    static final int PARSE_ON_EVENT_LOOP_BYTES = 64 * 1024;

    private Bodies() {}

    @FunctionalInterface
    interface Endpoint {
        CompletableFuture<OipResponse> call(InputStream body, long contentLength);
    }

    static Mono<ResponseEntity<byte[]>> gather(ServerHttpRequest request, long limit, Endpoint endpoint) {
        long declared = request.getHeaders().getContentLength();
        if (declared > limit) {
            return Mono.fromFuture(() -> endpoint.call(InputStream.nullInputStream(), declared))
                    .map(HttpResponses::entity);
        }
        return DataBufferUtils.join(DataBufferUtils.takeUntilByteCount(request.getBody(), limit + 1))
                .map(Bodies::bytes)
                .defaultIfEmpty(new byte[0])
                .flatMap(body -> {
                    Mono<OipResponse> call = Mono.fromFuture(() -> endpoint.call(new ByteArrayInputStream(body), declared));
                    // Parsing a large body takes a while: not on an event-loop thread, which serves other connections.
                    return body.length > PARSE_ON_EVENT_LOOP_BYTES ? call.subscribeOn(Schedulers.boundedElastic()) : call;
                })
                .map(HttpResponses::entity);
    }

    private static byte[] bytes(DataBuffer buffer) {
        try {
            byte[] b = new byte[buffer.readableByteCount()];
            buffer.read(b);
            return b;
        } finally {
            DataBufferUtils.release(buffer);
        }
    }
}
