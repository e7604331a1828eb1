package dev.sluice.spring.internal;

import dev.sluice.spring.oip.OipResponse;
import org.springframework.http.HttpHeaders;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;

/**
 * Not API: the starter's own plumbing, public only so its packages can share it.
 *
 * <p>Writes an {@link OipResponse} as Spring's {@link ResponseEntity}: the same on the servlet and reactive stacks.
 */
public final class HttpResponses {
    private HttpResponses() {}

    public static ResponseEntity<byte[]> entity(OipResponse r) {
        ResponseEntity.BodyBuilder b = ResponseEntity.status(r.status());
        r.headers().forEach(b::header);
        if (r.body().length > 0) {
            b.contentType(MediaType.parseMediaType(r.contentType()));
        }
        return b.header(HttpHeaders.CACHE_CONTROL, "no-store").body(r.body());
    }
}
