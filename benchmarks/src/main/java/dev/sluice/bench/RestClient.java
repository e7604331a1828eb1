package dev.sluice.bench;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * What the REST transports share: one {@code java.net.http} client (HTTP/1.1, a connection per client thread in
 * flight) for every client thread, and posting an inference request to {@code /v2/models/{name}/infer} with the
 * answer read as bytes. Thread-safe.
 */
final class RestClient {
    private final HttpClient http;
    private final URI base;
    private final Duration timeout;

    /** @param base the server's root, such as {@code http://127.0.0.1:8080/} */
    RestClient(URI base, Duration timeout) {
        this.http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(timeout).build();
        this.base = base;
        this.timeout = timeout;
    }

    /**
     * Posts {@code body} to {@code model}'s infer endpoint with the given header pairs and waits for the answer.
     *
     * @param how the transport in words, for the failure's message
     * @throws IOException if the answer is not a 200, with its status and body
     */
    HttpResponse<byte[]> infer(String how, String model, byte[] body, String... headers)
            throws IOException, InterruptedException {
        HttpRequest request = HttpRequest.newBuilder(base.resolve("/v2/models/" + model + "/infer"))
                .timeout(timeout)
                .headers(headers)
                .POST(HttpRequest.BodyPublishers.ofByteArray(body))
                .build();
        HttpResponse<byte[]> r = http.send(request, HttpResponse.BodyHandlers.ofByteArray());
        if (r.statusCode() != 200) {
            throw new IOException(model + " over " + how + ": " + r.statusCode() + " "
                    + new String(r.body(), StandardCharsets.UTF_8));
        }
        return r;
    }
}
