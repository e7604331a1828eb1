package dev.sluice.examples.ocr;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.pipeline.Result;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The OCR service as a small cluster of JVMs, as the README starts it: a detector, a classifier and a recognizer
 * worker ({@code --sluice.ocr.models=det} and so on) on 127.0.2.2, 127.0.2.3 and 127.0.2.4, each a child JVM of
 * this test's class path on free ports, and an entry on 127.0.2.1 that calls them by name
 * ({@code dns:///rec-workers:<port>}) through a hosts file given with {@code -Djdk.net.hosts.file}, as cluster DNS
 * would. The entry's self-check reads its page through the workers, and reads what one process reads. Every child is
 * stopped by its pid when the test ends, passed or not. Took 29 to 86 s on the shared 2-core machine at load averages
 * of 6 to 15 (four JVMs starting at once, then one OcrService in this JVM); bounded at five minutes.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class OcrClusterTest {
    private static final String ENTRY = "127.0.2.1";
    /** Worker model, its address and its name in the hosts file. */
    private static final List<String[]> WORKERS = List.of(new String[] {"det", "127.0.2.2", "det-workers"},
            new String[] {"cls", "127.0.2.3", "cls-workers"}, new String[] {"rec", "127.0.2.4", "rec-workers"});
    private static final Pattern GRPC = Pattern.compile("over the Open Inference Protocol's gRPC service at (\\S+):(\\d+)");

    @TempDir
    Path dir;
    private final List<Process> children = new ArrayList<>();
    private final Map<String, Path> logs = new LinkedHashMap<>();

    @AfterEach
    void stopChildren() throws InterruptedException {
        for (Process p : children) {
            p.destroy(); // SIGTERM: the service closes its runtime and servers
        }
        for (Process p : children) {
            if (!p.waitFor(20, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                p.waitFor(10, TimeUnit.SECONDS);
            }
        }
    }

    private Process start(String name, List<String> args) throws IOException {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), "-Xmx512m", "-XX:TieredStopAtLevel=1",
                "-Djdk.net.hosts.file=" + dir.resolve("hosts"), OcrApplication.class.getName()));
        command.addAll(args);
        Path log = dir.resolve(name + ".log");
        logs.put(name, log);
        Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        children.add(p);
        return p;
    }

    private String log(String name) throws IOException {
        return Files.readString(logs.get(name), StandardCharsets.UTF_8);
    }

    /** Every child's output's end, for a failure's message. */
    private String tails() throws IOException {
        StringBuilder b = new StringBuilder();
        for (String name : logs.keySet()) {
            String text = log(name);
            b.append("\n--- ").append(name).append(" ---\n").append(text, Math.max(0, text.length() - 3000), text.length());
        }
        return b.toString();
    }

    @Test
    void theEntryReadsThePageThroughTheWorkersAsOneProcessReadsIt() throws Exception {
        StringBuilder hosts = new StringBuilder();
        for (String[] w : WORKERS) {
            hosts.append(w[1]).append(' ').append(w[2]).append('\n');
        }
        Files.writeString(dir.resolve("hosts"), hosts);
        Map<String, Process> workers = new LinkedHashMap<>();
        for (String[] w : WORKERS) {
            workers.put(w[0], start(w[0], List.of("--sluice.ocr.models=" + w[0], "--server.address=" + w[1],
                    "--server.port=0", "--sluice.grpc.address=" + w[1], "--sluice.grpc.port=0")));
        }
        // Each worker prints where it serves its model over gRPC once it started (its models loaded and running).
        Map<String, String> grpc = new LinkedHashMap<>();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(200);
        while (grpc.size() < WORKERS.size()) {
            for (String[] w : WORKERS) {
                Matcher m = GRPC.matcher(log(w[0]));
                if (!grpc.containsKey(w[0]) && m.find()) {
                    assertEquals(w[1], m.group(1), w[0] + " serves on its own address");
                    grpc.put(w[0], m.group(2));
                }
                assertTrue(workers.get(w[0]).isAlive() || grpc.containsKey(w[0]), w[0] + " worker ended" + tails());
            }
            assertTrue(System.nanoTime() < deadline, "the workers did not start within 200 s" + tails());
            Thread.sleep(100); // polling the workers' output, with a deadline
        }

        List<String> entryArgs = new ArrayList<>(List.of("--self-check", "--sluice.ocr.models=",
                "--server.address=" + ENTRY, "--sluice.grpc.address=" + ENTRY));
        for (String[] w : WORKERS) {
            entryArgs.add("--sluice.ocr.remote." + w[0] + "=dns:///" + w[2] + ":" + grpc.get(w[0]));
        }
        Process entry = start("entry", entryArgs);
        assertTrue(entry.waitFor(120, TimeUnit.SECONDS), "the entry's self-check did not end within 120 s" + tails());
        String out = log("entry");
        assertEquals(0, entry.exitValue(), "the entry's self-check failed" + tails());
        assertTrue(out.contains("read:     " + String.join(" | ", SelfCheckPage.LINES)), out);
        assertTrue(out.contains("self-check ok"), out);

        // Each remote step was served by its worker, by the address the name resolved to.
        for (String[] w : WORKERS) {
            String step = switch (w[0]) {
                case "det" -> "detect";
                case "cls" -> "classify";
                default -> "recognize";
            };
            Matcher m = Pattern.compile("(?m)^  " + step + " .* OK .*served by ([^\\s,]+)(?:,.*)?$").matcher(out);
            assertTrue(m.find(), "no traced " + step + " step: " + out);
            assertEquals(w[1] + ":" + grpc.get(w[0]), m.group(1), step);
        }

        // The lines, their confidence and their boxes are those one process reads from the same page.
        JsonMapper json = JsonMapper.builder().build();
        List<JsonNode> cluster = new ArrayList<>();
        for (String line : out.split("\n")) {
            if (line.startsWith("{\"text\":")) {
                cluster.add(json.readTree(line));
            }
        }
        List<JsonNode> alone = new ArrayList<>();
        try (OcrService one = OcrService.builder(OcrService.defaultModels()).build()) {
            Result<OcrResult> r = one.read(SelfCheckPage.png()).get(60, TimeUnit.SECONDS);
            for (String line : r.value().toJsonLines().split("\n")) {
                alone.add(json.readTree(line));
            }
        }
        assertEquals(alone, cluster);
    }
}
