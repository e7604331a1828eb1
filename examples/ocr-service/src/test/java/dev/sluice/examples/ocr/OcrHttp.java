package dev.sluice.examples.ocr;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.BeforeEach;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** Base of the tests that call the running service over HTTP: one application for all of them, on a random port. */
@SpringBootTest(classes = OcrApplication.class, webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = {"sluice.http.max-request-size=4MB", "spring.servlet.multipart.max-file-size=1MB",
                "spring.servlet.multipart.max-request-size=1MB"})
abstract class OcrHttp {
    static final JsonMapper JSON = JsonMapper.builder().build();
    private static final HttpClient CLIENT = HttpClient.newHttpClient();

    @LocalServerPort
    int port;

    URI base;

    @BeforeEach
    void base() {
        base = URI.create("http://localhost:" + port);
    }

    HttpRequest.Builder request(String path) {
        return HttpRequest.newBuilder(base.resolve(path)).timeout(Duration.ofSeconds(120));
    }

    /** {@code POST /ocr} with {@code body} as the raw request body. */
    CompletableFuture<HttpResponse<String>> ocr(byte[] body, boolean trace) {
        return CLIENT.sendAsync(request(trace ? "/ocr?trace=true" : "/ocr").header("Content-Type", "image/png")
                .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    /**
     * {@code POST /ocr} as a well-behaved client sends it under load: a 429 is sent again after the
     * {@code Retry-After} it carries (which must be there), up to 30 times; {@code refusals} counts them.
     */
    CompletableFuture<HttpResponse<String>> ocrRetryingRefusals(byte[] body, boolean trace, AtomicInteger refusals) {
        return ocrRetryingRefusals(body, trace, refusals, 30);
    }

    private CompletableFuture<HttpResponse<String>> ocrRetryingRefusals(byte[] body, boolean trace, AtomicInteger refusals,
            int triesLeft) {
        return ocr(body, trace).thenCompose(r -> {
            if (r.statusCode() != 429 || triesLeft <= 1) {
                return CompletableFuture.completedFuture(r);
            }
            refusals.incrementAndGet();
            long seconds = Long.parseLong(r.headers().firstValue("Retry-After")
                    .orElseThrow(() -> new AssertionError("a 429 without Retry-After: " + r.body())));
            return CompletableFuture.supplyAsync(() -> null, CompletableFuture.delayedExecutor(seconds, TimeUnit.SECONDS))
                    .thenCompose(x -> ocrRetryingRefusals(body, trace, refusals, triesLeft - 1));
        });
    }

    HttpResponse<String> send(HttpRequest request) throws IOException, InterruptedException {
        return CLIENT.send(request, HttpResponse.BodyHandlers.ofString());
    }

    /** The texts of a JSON Lines answer, in order. */
    static List<String> texts(String jsonLines) {
        List<String> texts = new ArrayList<>();
        for (String line : jsonLines.split("\n")) {
            if (!line.isBlank()) {
                texts.add(JSON.readTree(line).get("text").asString());
            }
        }
        return texts;
    }

    /** The texts of a traced answer ({@code {"lines": [...], "trace": ...}}), in order. */
    static List<String> texts(JsonNode traced) {
        List<String> texts = new ArrayList<>();
        traced.get("lines").forEach(l -> texts.add(l.get("text").asString()));
        return texts;
    }

    static String error(HttpResponse<String> r) {
        return JSON.readTree(r.body()).get("error").asString();
    }
}
