package dev.sluice.examples.ocr;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/**
 * Many images at once, from many HTTP clients: their lines run on every recognizer replica, and nothing read
 * changes.
 */
class OcrConcurrencyTest extends OcrHttp {
    static final int REQUESTS = 32;

    @Test
    void thirtyTwoConcurrentRequestsReadWhatTheSameRequestsReadOneAtATimeOnEveryReplica() throws Exception {
        Random rnd = new Random(77);
        List<TextPages.Page> pages = new ArrayList<>();
        for (int i = 0; i < REQUESTS; i++) {
            pages.add(TextPages.page(rnd, 1 + rnd.nextInt(3)));
        }

        List<JsonNode> alone = new ArrayList<>();
        for (TextPages.Page page : pages) {
            alone.add(answer(ocr(page.png(), true).get(120, TimeUnit.SECONDS)));
        }
        // 32 pages at once are more than the service lets wait (its pipeline admits what it can finish within
        // its latency bound): the excess is refused with 429 and a Retry-After, and sent again then.
        java.util.concurrent.atomic.AtomicInteger refusals = new java.util.concurrent.atomic.AtomicInteger();
        List<CompletableFuture<HttpResponse<String>>> futures = new ArrayList<>();
        for (TextPages.Page page : pages) {
            futures.add(ocrRetryingRefusals(page.png(), true, refusals));
        }
        List<JsonNode> together = new ArrayList<>();
        for (CompletableFuture<HttpResponse<String>> f : futures) {
            together.add(answer(f.get(120, TimeUnit.SECONDS)));
        }

        int mostLines = 0;
        int largestAlone = 0;
        int largestTogether = 0;
        for (int i = 0; i < REQUESTS; i++) {
            JsonNode a = alone.get(i).get("lines");
            JsonNode t = together.get(i).get("lines");
            assertEquals(a.size(), t.size(), "request " + i + ": as many lines");
            assertTrue(a.size() > 0, "request " + i + " read something");
            for (int j = 0; j < a.size(); j++) {
                // The same text in the same box. A line batched beside wider ones is padded, which moves the
                // recognizer's probabilities a little: the confidence is close, not equal.
                assertEquals(a.get(j).get("text"), t.get(j).get("text"), "request " + i + ", line " + j);
                assertEquals(a.get(j).get("box"), t.get(j).get("box"), "request " + i + ", line " + j);
                assertEquals(a.get(j).get("confidence").asDouble(), t.get(j).get("confidence").asDouble(), 0.05,
                        "request " + i + ", line " + j);
            }
            mostLines = Math.max(mostLines, a.size());
            largestAlone = Math.max(largestAlone, recognizerBatch(alone.get(i)));
            largestTogether = Math.max(largestTogether, recognizerBatch(together.get(i)));
        }
        assertTrue(largestAlone <= mostLines, "one at a time, a batch holds one image's lines at most: " + largestAlone);
        // The default policy sizes the recognizer's batches from its cost curve: on a CPU, where a batch costs as
        // much per line as single calls, it keeps them small and spreads the lines over both replicas instead of
        // filling batches across requests (which DynamicBatcher's own tests show). What concurrency must not change
        // is what is read; and the lines of concurrent requests ran on both replicas.
        java.util.Set<String> replicas = new java.util.TreeSet<>();
        for (JsonNode answer : together) {
            replicas.addAll(List.of(recognizerSpan(answer).get("replicas").asString().split(",")));
        }
        assertEquals(java.util.Set.of("rec#1", "rec#2"), replicas, "concurrent requests' lines ran on both replicas");
        System.out.println("recognizer: largest batch " + largestAlone + " one at a time, " + largestTogether
                + " with " + REQUESTS + " requests at once over HTTP (at most " + mostLines + " lines per image); "
                + refusals + " refusals sent again");
    }

    private static JsonNode answer(HttpResponse<String> r) {
        assertEquals(200, r.statusCode(), r.body());
        return JSON.readTree(r.body());
    }

    /** The largest recognizer batch the request's lines joined, as its trace recorded it. */
    static int recognizerBatch(JsonNode answer) {
        return recognizerSpan(answer).get("batchSize").asInt();
    }

    /** The trace's one span of the recognizer step. */
    static JsonNode recognizerSpan(JsonNode answer) {
        List<JsonNode> spans = new ArrayList<>();
        answer.at("/trace/spans").forEach(s -> {
            if (s.get("step").asString().equals("recognize")) {
                spans.add(s);
            }
        });
        assertEquals(1, spans.size(), answer.get("trace").toString());
        return spans.get(0);
    }
}
