package dev.sluice.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscaler;
import io.fabric8.kubernetes.api.model.autoscaling.v2.MetricSpec;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The scaling queries of the manifests, run as KEDA and the Prometheus Adapter run them, against a real Prometheus
 * (Debian's {@code /usr/bin/prometheus}) scraping worker processes ({@link ScrapedWorker}) every second: two
 * recognizer workers, a classifier worker and an entry hold a known number of requests (or pages) in flight, and the
 * replica counts the autoscalers' formulas give from the answers are the ones that load needs. The query texts are read from the
 * manifests, never retyped. Skipped without Prometheus; failed without it under {@code CI=true}, where .ci/run
 * installs it.
 *
 * <p>Every process binds 127.0.3.x (this test's loopback addresses) and a free port, and is stopped by its pid when
 * the test ends, failed or not.
 */
class PrometheusScalingTest {
    private static final Path PROMETHEUS = Path.of("/usr/bin/prometheus");
    private static final Duration START = Duration.ofSeconds(90);
    private static final Duration SETTLE = Duration.ofSeconds(30);

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final List<Process> processes = new ArrayList<>();
    private Manifests manifests;

    @TempDir
    Path dir;

    /** A worker process, as Prometheus sees it: where it listens and the pod it stands for. */
    private record Worker(String deployment, String pod, String address, int port, Process process) {
        URI uri(String path) {
            return URI.create("http://" + address + ":" + port + path);
        }
    }

    @AfterEach
    void stopEverything() throws InterruptedException {
        for (Process p : processes) {
            p.destroy();
        }
        for (Process p : processes) {
            if (!p.waitFor(15, TimeUnit.SECONDS)) {
                p.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
            }
        }
    }

    @Test
    @Timeout(value = 240, unit = TimeUnit.SECONDS)
    void theKedaAndHpaQueriesGiveTheReplicasTheLoadInFlightNeeds() throws Exception {
        if (!Files.isExecutable(PROMETHEUS)) {
            if ("true".equals(System.getenv("CI"))) {
                fail("CI=true and no " + PROMETHEUS + ": .ci/run installs Debian's prometheus; this test needs it");
            }
            Assumptions.abort("no " + PROMETHEUS + " (Debian's prometheus package): the scaling queries are not run");
        }
        manifests = Manifests.load();

        // Pod names as a Deployment's ReplicaSet makes them; the classifier's must not count for the recognizers.
        List<CompletableFuture<Worker>> starting = List.of(
                start("rec", null, "rec-workers-5c6b7f9d4-h2x8q", "127.0.3.2"),
                start("rec", null, "rec-workers-5c6b7f9d4-p9k3m", "127.0.3.3"),
                start("cls", null, "cls-workers-77d8c5b6f-t4w2z", "127.0.3.4"),
                start("local", "ocr", "ocr-entry-6f9d8c7b5-q7w2n", "127.0.3.5"));
        List<Worker> workers = new ArrayList<>();
        for (CompletableFuture<Worker> w : starting) {
            workers.add(w.get(START.toSeconds(), TimeUnit.SECONDS));
        }
        Worker recA = workers.get(0);
        Worker recB = workers.get(1);
        Worker cls = workers.get(2);
        Worker entry = workers.get(3);
        List<Worker> recs = List.of(recA, recB);
        URI prometheus = startPrometheus(workers);

        // Nothing in flight: both formulas give 0, which the autoscalers raise to their minimum.
        assertReplicas(prometheus, "rec-workers", recs, 0, 0);
        assertReplicas(prometheus, "ocr-entry", List.of(entry), 0, 0);

        // 30 + 45 recognizer requests in flight (and 50 classifier ones that are not theirs): 75 at 32 a pod is 3 pods.
        post(recA.uri("/load?n=30"));
        post(recB.uri("/load?n=45"));
        post(cls.uri("/load?n=50"));
        assertReplicas(prometheus, "rec-workers", recs, 75, 3);
        // 60 more on one pod: 135 is 5 pods, however the load is spread.
        post(recA.uri("/load?n=60"));
        assertReplicas(prometheus, "rec-workers", recs, 135, 5);

        // The entry scales on its pipeline's pages in flight (its own deployment's requests are not pages): 20 at 8 a
        // pod is 3 pods.
        post(entry.uri("/load-pipeline?n=20"));
        assertReplicas(prometheus, "ocr-entry", List.of(entry), 20, 3);

        // Answered: nothing in flight again.
        for (Worker w : workers) {
            post(w.uri("/release"));
        }
        assertReplicas(prometheus, "rec-workers", recs, 0, 0);
        assertReplicas(prometheus, "ocr-entry", List.of(entry), 0, 0);
    }

    /**
     * KEDA's and the HPA's replica counts for {@code target}, computed from their queries (read from the manifests)
     * once Prometheus has scraped {@code load} in flight on {@code pods}, are both {@code expected}.
     */
    private void assertReplicas(URI prometheus, String target, List<Worker> pods, double load, int expected)
            throws Exception {
        KedaScaledObject.Trigger keda = manifests.all(KedaScaledObject.class).stream()
                .filter(k -> k.spec().scaleTargetRef().name().equals(target)).findFirst().orElseThrow()
                .spec().triggers().get(0);
        MetricSpec metric = manifests.named("autoscaling", HorizontalPodAutoscaler.class, target).getSpec().getMetrics()
                .get(0);
        double perPod = Quantity.getAmountInBytes(metric.getPods().getTarget().getAverageValue()).doubleValue();
        assertEquals(perPod, keda.threshold(), target + ": the HPA and KEDA aim at the same load per pod");
        assertEquals(expected, kedaReplicas(prometheus, keda, load), target + " by KEDA's query, at " + load);
        assertEquals(expected, hpaReplicas(prometheus, metric, perPod, pods, load), target + " by the HPA's, at " + load);
    }

    /**
     * KEDA's replica count for an AverageValue trigger: its query's single value over the threshold, rounded up
     * (before KEDA's min and max), once the query reads {@code expectedLoad}.
     */
    private int kedaReplicas(URI prometheus, KedaScaledObject.Trigger trigger, double expectedLoad) throws Exception {
        // KEDA's query must answer one value, and with every worker scraped the sum counts them all.
        Map<String, Double> result = awaitQuery(prometheus, trigger.query(), 1, expectedLoad);
        double value = result.values().iterator().next();
        return (int) Math.ceil(value / trigger.threshold());
    }

    /**
     * The HPA's replica count for a Pods metric served by the adapter: the adapter's query for the target's pods (its
     * rule's metricsQuery, with the namespace, the pods and the HPA's metric selector as label matchers, grouped by
     * pod), averaged over the pods, and ceil(current replicas x average / target), once the pods' sum is
     * {@code expectedLoad}. Within the HPA's 10% tolerance of the target it keeps the current count.
     */
    private int hpaReplicas(URI prometheus, MetricSpec metric, double target, List<Worker> pods, double expectedLoad)
            throws Exception {
        String name = metric.getPods().getMetric().getName();
        AdapterConfig.Rule rule = Manifests.adapterConfig().rules().stream()
                .filter(r -> ServiceFacts.seriesIn(r.seriesQuery()).stream().anyMatch(s -> name.equals(r.exposedName(s))))
                .findFirst().orElseThrow();
        String matchers = "namespace=\"ocr\",pod=~\"" + pods.stream().map(Worker::pod).collect(Collectors.joining("|"))
                + "\"," + metric.getPods().getMetric().getSelector().getMatchLabels().entrySet().stream()
                        .map(e -> e.getKey() + "=\"" + e.getValue() + "\"").collect(Collectors.joining(","));
        String query = rule.render(name, matchers, "pod");
        Map<String, Double> perPod = awaitQuery(prometheus, query, pods.size(), expectedLoad); // a value per pod
        double average = perPod.values().stream().mapToDouble(Double::doubleValue).average().orElseThrow();
        double ratio = average / target;
        int current = pods.size();
        return Math.abs(ratio - 1) <= 0.1 ? current : (int) Math.ceil(current * ratio);
    }

    /**
     * The query's answer (by its labels) once it has {@code series} values adding up to {@code expected}, as it will
     * when every worker has been scraped since the load changed; bounded by {@link #SETTLE}.
     */
    private Map<String, Double> awaitQuery(URI prometheus, String query, int series, double expected) throws Exception {
        long deadline = System.nanoTime() + SETTLE.toNanos();
        Map<String, Double> last = Map.of();
        while (System.nanoTime() < deadline) {
            last = query(prometheus, query);
            if (last.size() == series && last.values().stream().mapToDouble(Double::doubleValue).sum() == expected) {
                return last;
            }
            Thread.sleep(250); // the next scrape is at most a second away; polling a query, not waiting for a guess
        }
        throw new AssertionError("within " + SETTLE.toSeconds() + " s, " + query + " never answered " + series
                + " values adding up to " + expected + "; last answer " + last);
    }

    private Map<String, Double> query(URI prometheus, String query) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(prometheus.resolve("/api/v1/query?query="
                + URLEncoder.encode(query, StandardCharsets.UTF_8))).timeout(Duration.ofSeconds(5)).build(),
                HttpResponse.BodyHandlers.ofString());
        JsonNode body = JsonMapper.builder().build().readTree(r.body());
        assertEquals("success", body.path("status").asText(), query + ": " + r.body());
        assertEquals("vector", body.path("data").path("resultType").asText(), query + ": " + r.body());
        Map<String, Double> values = new LinkedHashMap<>();
        for (JsonNode sample : body.path("data").path("result")) {
            values.put(sample.path("metric").toString(), Double.parseDouble(sample.path("value").get(1).asText()));
        }
        return values;
    }

    private String post(URI uri) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(uri).POST(HttpRequest.BodyPublishers.noBody())
                .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode(), uri + ": " + r.body());
        return r.body();
    }

    /**
     * Starts a worker JVM on {@code address} (port 0), serving {@code deployment} and, unless null, a pipeline named
     * {@code pipeline}; completes with it once it prints its port.
     */
    private CompletableFuture<Worker> start(String deployment, String pipeline, String pod, String address)
            throws IOException {
        Path log = dir.resolve(pod + ".log");
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx192m", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC",
                "-cp", System.getProperty("java.class.path"), ScrapedWorker.class.getName(),
                "--server.address=" + address, "--server.port=0", "--worker.deployment=" + deployment,
                "--sluice.grpc.enabled=false", "--management.endpoints.web.exposure.include=health,prometheus",
                "--spring.main.banner-mode=off"));
        if (pipeline != null) {
            command.add("--worker.pipeline=" + pipeline);
        }
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        processes.add(p);
        CompletableFuture<Worker> started = new CompletableFuture<>();
        Thread reader = new Thread(() -> {
            try (BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
                    var file = Files.newBufferedWriter(log)) {
                String line;
                while ((line = out.readLine()) != null) {
                    file.write(line);
                    file.newLine();
                    file.flush();
                    if (line.startsWith("worker listening on ")) {
                        started.complete(new Worker(deployment, pod, address,
                                Integer.parseInt(line.substring("worker listening on ".length()).strip()), p));
                    }
                }
            } catch (IOException | RuntimeException e) {
                started.completeExceptionally(e);
            }
            started.completeExceptionally(new IllegalStateException(pod + " exited before it served: " + tail(log)));
        }, pod + " output");
        reader.setDaemon(true);
        reader.start();
        return started;
    }

    /** Prometheus scraping each worker every second, with the labels Kubernetes' service discovery would give it. */
    private URI startPrometheus(List<Worker> workers) throws Exception {
        StringBuilder config = new StringBuilder("""
                global:
                  scrape_interval: 1s
                  scrape_timeout: 1s
                scrape_configs:
                  - job_name: sluice
                    metrics_path: /actuator/prometheus
                    static_configs:
                """);
        for (Worker w : workers) {
            config.append("      - targets: ['").append(w.address()).append(':').append(w.port()).append("']\n")
                    .append("        labels: {namespace: ocr, pod: ").append(w.pod()).append("}\n");
        }
        Path file = dir.resolve("prometheus.yml");
        Files.writeString(file, config);
        String address = "127.0.3.10";
        int port = freePort(address);
        Path log = dir.resolve("prometheus.log");
        Process p = new ProcessBuilder(PROMETHEUS.toString(), "--config.file=" + file,
                "--storage.tsdb.path=" + dir.resolve("data"), "--web.listen-address=" + address + ":" + port)
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        processes.add(p);
        URI uri = URI.create("http://" + address + ":" + port);
        long deadline = System.nanoTime() + START.toNanos();
        while (System.nanoTime() < deadline) {
            if (!p.isAlive()) {
                throw new AssertionError("Prometheus exited (" + p.exitValue() + "): " + tail(log));
            }
            try {
                if (http.send(HttpRequest.newBuilder(uri.resolve("/-/ready")).timeout(Duration.ofSeconds(2)).build(),
                        HttpResponse.BodyHandlers.discarding()).statusCode() == 200) {
                    return uri;
                }
            } catch (IOException notYet) {
                // not listening yet
            }
            Thread.sleep(200);
        }
        throw new AssertionError("Prometheus not ready within " + START.toSeconds() + " s: " + tail(log));
    }

    private static int freePort(String address) throws IOException {
        try (ServerSocket s = new ServerSocket()) {
            s.bind(new InetSocketAddress(InetAddress.getByName(address), 0));
            return s.getLocalPort();
        }
    }

    private static String tail(Path log) {
        try {
            List<String> lines = Files.readAllLines(log);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 30), lines.size()));
        } catch (IOException e) {
            return "(no log: " + e + ")";
        }
    }
}
