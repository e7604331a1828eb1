package dev.sluice.spring.oip;

import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Objects;

/**
 * One HTTP response of the protocol: what a web adapter writes back as it is.
 *
 * @param status the HTTP status
 * @param headers extra headers (e.g. {@code Retry-After}, {@code Allow}, {@code Inference-Header-Content-Length})
 * @param body the body: JSON, or JSON followed by binary tensor data; empty for the health endpoints
 * @param contentType the body's media type, written when the body is not empty: {@link #CONTENT_TYPE}, or
 *     {@link #BINARY_CONTENT_TYPE} for a body with binary tensor data
 */
public record OipResponse(int status, Map<String, String> headers, byte[] body, String contentType) {
    public static final String CONTENT_TYPE = "application/json";
    /** The content type of a response with binary tensor data (as the extension's examples and Triton send it). */
    public static final String BINARY_CONTENT_TYPE = "application/octet-stream";

    public OipResponse {
        headers = Map.copyOf(headers);
        Objects.requireNonNull(body, "body");
        Objects.requireNonNull(contentType, "contentType");
    }

    /** A JSON response ({@link #CONTENT_TYPE}). */
    public OipResponse(int status, Map<String, String> headers, byte[] body) {
        this(status, headers, body, CONTENT_TYPE);
    }

    static OipResponse json(int status, byte[] body) {
        return new OipResponse(status, Map.of(), body);
    }

    static OipResponse empty(int status) {
        return new OipResponse(status, Map.of(), new byte[0]);
    }

    /** {@code body} is {@code jsonLength} bytes of JSON, then binary tensor data. */
    static OipResponse binary(int status, byte[] body, int jsonLength) {
        return new OipResponse(status, Map.of(BinaryData.HEADER, Integer.toString(jsonLength)), body,
                BINARY_CONTENT_TYPE);
    }

    /** The body as text (for logs and tests); only the JSON of a body with binary data. */
    public String bodyText() {
        return new String(body, 0, jsonLength(), StandardCharsets.UTF_8);
    }

    /** How many bytes of the body are JSON: all, or as many as {@code Inference-Header-Content-Length} says. */
    private int jsonLength() {
        String header = headers.get(BinaryData.HEADER);
        if (header == null) {
            return body.length;
        }
        try {
            return Math.max(0, Math.min(body.length, Integer.parseInt(header.trim())));
        } catch (NumberFormatException e) {
            return body.length;
        }
    }

    @Override
    public String toString() {
        int binary = body.length - jsonLength();
        return "OipResponse[" + status + " " + contentType + " " + headers + " " + bodyText()
                + (binary > 0 ? " and " + binary + " bytes of binary data" : "") + "]";
    }
}
