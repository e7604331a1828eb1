package dev.sluice.examples.ocr;

import dev.sluice.grpc.OipGrpcClient;
import dev.sluice.tensor.Tensor;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The service's self-check ({@code --self-check}): renders a small page of text with Java2D, sends it to the
 * running service's {@code POST /ocr?trace=true} over HTTP, and prints what was read, where, and the request's
 * trace; then reads the page again with the three models called over gRPC ({@link #checkGrpc}). Fails if a line
 * was not read exactly as rendered.
 */
final class OcrSelfCheck {
    static final List<String> SAMPLE = SelfCheckPage.LINES;

    private OcrSelfCheck() {}

    /** @return whether every line was read as rendered */
    static boolean check(URI service, PrintStream out) throws IOException, InterruptedException {
        byte[] png = SelfCheckPage.png();
        Path page = Path.of(System.getProperty("java.io.tmpdir"), "sluice-ocr-page.png");
        Files.write(page, png);
        HttpClient http = HttpClient.newHttpClient();
        HttpRequest request = HttpRequest.newBuilder(service.resolve("/ocr?trace=true"))
                .header("Content-Type", "image/png").POST(HttpRequest.BodyPublishers.ofByteArray(png)).build();
        http.send(request, HttpResponse.BodyHandlers.ofString()); // the first request warms the models up
        HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
        out.println("self-check: a rendered page of " + SAMPLE.size() + " lines (saved as " + page + "), sent to "
                + service.resolve("/ocr?trace=true"));
        if (response.statusCode() != 200) {
            out.println("self-check FAILED: " + response.statusCode() + " " + response.body());
            return false;
        }
        JsonNode answer = JsonMapper.builder().build().readTree(response.body());
        List<String> read = new ArrayList<>();
        for (JsonNode line : answer.get("lines")) {
            read.add(line.get("text").asString());
            out.println(line);
        }
        out.println("rendered: " + String.join(" | ", SAMPLE));
        out.println("read:     " + String.join(" | ", read));
        out.print(trace(answer.get("trace")));
        boolean ok = read.equals(SAMPLE);
        out.println(ok ? "self-check ok" : "self-check FAILED: expected " + SAMPLE);
        return ok;
    }

    /**
     * Reads the same page with the service's three models called over the Open Inference Protocol's gRPC service at
     * {@code target} ({@code host:port}), the pipeline's plain-Java steps ({@code steps}') run here in between:
     * detector, then per line the classifier and the recognizer, as a client of the models (not of {@code POST /ocr})
     * would.
     *
     * @return whether every line was read as rendered
     */
    static boolean checkGrpc(String target, OcrService steps, PrintStream out) {
        Duration timeout = Duration.ofSeconds(60);
        BufferedImage image = steps.imageDecoder().decode(SelfCheckPage.png());
        List<String> read = new ArrayList<>();
        try (OipGrpcClient models = OipGrpcClient.connect(target)) {
            Map<String, Tensor> det = models.infer("det", steps.textDetector().input(image).values(), timeout);
            for (LineImages.LineImage line : steps.lineImages().cut(image, steps.textDetector().regions(det))) {
                Map<String, Tensor> cls = models.infer("cls", steps.lineImages().classifierInput(line).values(), timeout);
                LineImages.LineImage upright = LineImages.orient(line, cls, steps.minFlipScore());
                Map<String, Tensor> rec = models.infer("rec", steps.lineImages().recognizerInput(upright).values(),
                        timeout);
                String text = steps.ctcDecoder().decode(rec.values().iterator().next()).text().strip();
                if (!text.isEmpty()) {
                    read.add(text);
                }
            }
        }
        out.println("self-check over gRPC: det, cls and rec called at " + target + " (inference.GRPCInferenceService)");
        out.println("read:     " + String.join(" | ", read));
        boolean ok = read.equals(SAMPLE);
        out.println(ok ? "self-check over gRPC ok" : "self-check over gRPC FAILED: expected " + SAMPLE);
        return ok;
    }

    /**
     * The trace as a table: a line per step, its start, duration, outcome, and for model calls their batching, or for
     * calls to other servers the servers that answered.
     */
    static String trace(JsonNode t) {
        StringBuilder b = new StringBuilder(String.format(Locale.ROOT, "trace: %s %.1f ms %s%n",
                t.get("pipeline").asString(), t.get("durationNanos").asLong() / 1e6, t.get("outcome").asString()));
        for (JsonNode s : t.get("spans")) {
            b.append(String.format(Locale.ROOT, "  %-17s +%7.1f ms %7.1f ms  %s", s.get("step").asString(),
                    s.get("startNanos").asLong() / 1e6, s.get("durationNanos").asLong() / 1e6, s.get("outcome").asString()));
            if (s.get("batchSize").asInt() > 0) {
                // A fan-out's elements may join different batches: say each one's, and the longest wait. A step
                // served by other servers names them by address (a local one by replica id): they say how it queued
                // and batched there.
                String replicas = s.get("replicas").asString();
                String where = replicas.contains(":") ? "served by " + replicas : replicas;
                int elements = s.get("elements").asInt();
                b.append(elements > 0
                        ? String.format(Locale.ROOT, "  x%d, longest queue %.1f ms, batch sizes per element %s, %s",
                                elements, s.get("queueWaitNanos").asLong() / 1e6, s.get("batchSizes").toString(), where)
                        : String.format(Locale.ROOT, "  queue %.1f ms, batch %d, %s",
                                s.get("queueWaitNanos").asLong() / 1e6, s.get("batchSize").asInt(), where));
                // What the execution budget did: how long the call waited for CPUs, and how many it ran on.
                long budgetWait = s.path("budgetWaitNanos").asLong(0);
                if (budgetWait > 0) {
                    b.append(String.format(Locale.ROOT, ", %.1f ms of the queue waiting for CPUs", budgetWait / 1e6));
                }
                int cpus = s.path("cpus").asInt(0);
                if (cpus > 1) {
                    b.append(", ").append(cpus).append(" CPUs");
                }
            } else if (s.hasNonNull("replicas") && !s.get("replicas").asString().isEmpty()) {
                // A remote step whose servers did not say how they batched it: the server (or servers, for a
                // fan-out) that answered.
                int elements = s.path("elements").asInt(0);
                b.append(elements > 0 ? String.format(Locale.ROOT, "  x%d, served by %s", elements,
                        s.get("replicas").asString()) : "  served by " + s.get("replicas").asString());
            }
            b.append('\n');
        }
        return b.toString();
    }
}
