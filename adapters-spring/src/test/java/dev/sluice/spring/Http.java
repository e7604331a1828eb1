package dev.sluice.spring;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** A real HTTP client for the tests: java.net.http against the application's port. */
final class Http {
    private static final JsonMapper JSON = JsonMapper.builder().build();
    private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    private final String base;

    Http(int port) {
        this.base = "http://localhost:" + port;
    }

    record Reply(int status, HttpResponse<String> raw) {
        String body() {
            return raw.body();
        }

        JsonNode json() {
            return JSON.readTree(raw.body());
        }

        String error() {
            return json().get("error").asString();
        }

        String header(String name) {
            return raw.headers().firstValue(name).orElse(null);
        }
    }

    Reply get(String path) throws IOException, InterruptedException {
        return send(request(path).GET().build());
    }

    Reply post(String path, String json) throws IOException, InterruptedException {
        return postAsync(path, json).join();
    }

    CompletableFuture<Reply> postAsync(String path, String json) {
        HttpRequest r = request(path).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(json, StandardCharsets.UTF_8)).build();
        return client.sendAsync(r, HttpResponse.BodyHandlers.ofString()).thenApply(x -> new Reply(x.statusCode(), x));
    }

    /** A reply read as bytes (a body with binary tensor data). */
    record BytesReply(int status, HttpResponse<byte[]> raw) {
        byte[] body() {
            return raw.body();
        }

        String header(String name) {
            return raw.headers().firstValue(name).orElse(null);
        }

        /** The body's JSON and binary outputs (see {@link BinaryTensors#answer}). */
        BinaryTensors.Answer answer() {
            return BinaryTensors.answer(raw.body(), header(BinaryTensors.HEADER));
        }

        /** The error message of an error body (all JSON). */
        String error() {
            return JSON.readTree(new String(raw.body(), StandardCharsets.UTF_8)).get("error").asString();
        }
    }

    /** Posts {@code body} (as application/octet-stream) with the binary extension's header, when not null. */
    BytesReply post(String path, BinaryTensors.Body body, String header) throws IOException, InterruptedException {
        HttpRequest.Builder r = request(path).header("Content-Type", "application/octet-stream")
                .POST(HttpRequest.BodyPublishers.ofByteArray(body.bytes()));
        if (header != null) {
            r.header(BinaryTensors.HEADER, header);
        }
        HttpResponse<byte[]> x = client.send(r.build(), HttpResponse.BodyHandlers.ofByteArray());
        return new BytesReply(x.statusCode(), x);
    }

    /** Posts {@code body} with the length of its JSON in the binary extension's header, without waiting. */
    CompletableFuture<BytesReply> postAsync(String path, BinaryTensors.Body body) {
        HttpRequest r = request(path).header("Content-Type", "application/octet-stream")
                .header(BinaryTensors.HEADER, body.header())
                .POST(HttpRequest.BodyPublishers.ofByteArray(body.bytes())).build();
        return client.sendAsync(r, HttpResponse.BodyHandlers.ofByteArray())
                .thenApply(x -> new BytesReply(x.statusCode(), x));
    }

    /** Posts {@code body} with the length of its JSON in the binary extension's header. */
    BytesReply post(String path, BinaryTensors.Body body) throws IOException, InterruptedException {
        return post(path, body, body.header());
    }

    Reply send(HttpRequest request) throws IOException, InterruptedException {
        HttpResponse<String> r = client.send(request, HttpResponse.BodyHandlers.ofString());
        return new Reply(r.statusCode(), r);
    }

    HttpRequest.Builder request(String path) {
        return HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(30));
    }

    static JsonNode json(String text) {
        return JSON.readTree(text);
    }
}
