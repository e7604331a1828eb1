package dev.sluice.spring.oip;

import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Objects;

/**
 * One HTTP response of the protocol: what a web adapter writes back as it is.
 *
 * @param status the HTTP status
 * @param headers extra headers (e.g. {@code Retry-After}, {@code Allow}); the content type is {@link #CONTENT_TYPE}
 *     when the body is not empty
 * @param body the JSON body, empty for the health endpoints
 */
public record OipResponse(int status, Map<String, String> headers, byte[] body) {
    public static final String CONTENT_TYPE = "application/json";

    public OipResponse {
        headers = Map.copyOf(headers);
        Objects.requireNonNull(body, "body");
    }

    static OipResponse json(int status, byte[] body) {
        return new OipResponse(status, Map.of(), body);
    }

    static OipResponse empty(int status) {
        return new OipResponse(status, Map.of(), new byte[0]);
    }

    /** The body as text (for logs and tests). */
    public String bodyText() {
        return new String(body, StandardCharsets.UTF_8);
    }

    @Override
    public String toString() {
        return "OipResponse[" + status + " " + headers + " " + bodyText() + "]";
    }
}
