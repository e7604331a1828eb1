package dev.sluice.bench;

import dev.sluice.examples.ocr.SelfCheckPage;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.Writer;
import java.net.URI;
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
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.LongAdder;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.HdrHistogram.ConcurrentHistogram;
import org.HdrHistogram.Histogram;

/**
 * The OCR service under overload, as a new user would try it, with its resident memory watched: starts the
 * service's executable jar ({@code --jar}, default {@code examples/ocr-service/target/ocr-service-exec.jar}) as a
 * child JVM on 127.0.0.1 and a free port ({@code --server.port=0}; the port is read from the line the service
 * prints when it serves), with {@code --jvm-arg} (repeatable) before {@code -jar} and {@code --env K=V}
 * (repeatable) in its environment; waits until it serves and reads the self-check page ({@link SelfCheckPage})
 * three times (warm-up); then runs {@code --rounds} (1) rounds of:
 * <ul>
 *   <li><b>load</b>, {@code --duration-s} (45): closed loop, {@code --clients} (48) threads each posting the
 *       self-check page to {@code POST /ocr} and, the moment an answer comes, the next one. A 429 is counted and
 *       the client sends again at once: it models impatient clients, which do <em>not</em> honour
 *       {@code Retry-After}; with {@code --polite} a client refused waits the {@code Retry-After} it was given
 *       (at most until the load ends) before it sends again, as a well-behaved client would. Or, with {@code --rate P},
 *       open loop: Poisson arrivals at P pages/s ({@link PoissonArrivals}, {@code --seed}), each sent at its
 *       intended time whatever is still outstanding, latency counted from that intended time (coordinated
 *       omission corrected); requests still open {@code --drain-s} (60) after the last send count as other;
 *   <li><b>settle</b>, {@code --settle-s} (15): nothing sent.
 * </ul>
 * The child's {@code VmRSS} and {@code VmHWM} ({@code /proc/<pid>/status}) are sampled every 250 ms throughout.
 * Per round it prints and writes: requests answered 200 / 429 / other, p50 and p99 latency of the 200s, pages/s
 * (200s over the load's duration), RSS at the round's start, its peak during the round, and at the end of the
 * settle. {@code --nmt} starts the child with {@code -XX:NativeMemoryTracking=summary} and saves
 * {@code jcmd <pid> VM.native_memory summary} and {@code GC.heap_info} at the end of each settle.
 *
 * <p>Writes to {@code --out} ({@code benchmarks/results}): {@code ocr-overload-<label>-rounds.csv} (a line per
 * round), {@code ocr-overload-<label>-rss.csv} (the RSS time series) and {@code ocr-overload-<label>-service.log}
 * (the child's output). Loopback only; every phase is bounded in time; the child is stopped by its pid
 * ({@code destroy}, then {@code destroyForcibly} after 15 s) when the run ends, fails, or the JVM exits.
 *
 * <pre>
 * mvn -q -B -o package -DskipTests -pl examples/ocr-service,benchmarks -am
 * java -cp benchmarks/target/benchmarks.jar dev.sluice.bench.OcrOverload --rounds 3 --duration-s 30 --settle-s 15 --label before
 * java -cp benchmarks/target/benchmarks.jar dev.sluice.bench.OcrOverload --rate 4 --duration-s 600 --settle-s 30 --label soak
 * </pre>
 */
public final class OcrOverload {
    static final Pattern SERVING = Pattern.compile("OCR service at http://[^:/]+:(\\d+)/");
    static final String ROUNDS_HEADER = "label,round,mode,clients,rate,duration_s,ok,refused,other,p50_ms,p99_ms,"
            + "pages_per_s,rss_start_mb,rss_peak_mb,rss_end_settle_mb,hwm_mb";

    /** Command-line options with their defaults. */
    static final class Options {
        Path jar = Path.of("examples/ocr-service/target/ocr-service-exec.jar");
        int clients = 48;
        double durationS = 45;
        double settleS = 15;
        int rounds = 1;
        double rate = 0;
        long seed = 1;
        double drainS = 60;
        double startTimeoutS = 180;
        long sampleMs = 250;
        boolean nmt;
        boolean polite;
        String label = "run";
        Path out = Path.of("benchmarks/results");
        final List<String> jvmArgs = new ArrayList<>();
        final Map<String, String> env = new LinkedHashMap<>();

        static Options parse(String[] args) {
            Options o = new Options();
            CommandLine.parse(args, Options::usage, Set.of("--nmt", "--polite"), (a, v) -> {
                switch (a) {
                    case "--jar": o.jar = Path.of(v); break;
                    case "--clients": o.clients = Integer.parseInt(v); break;
                    case "--duration-s": o.durationS = Double.parseDouble(v); break;
                    case "--settle-s": o.settleS = Double.parseDouble(v); break;
                    case "--rounds": o.rounds = Integer.parseInt(v); break;
                    case "--rate": o.rate = Double.parseDouble(v); break;
                    case "--seed": o.seed = Long.parseLong(v); break;
                    case "--drain-s": o.drainS = Double.parseDouble(v); break;
                    case "--start-timeout-s": o.startTimeoutS = Double.parseDouble(v); break;
                    case "--sample-ms": o.sampleMs = Long.parseLong(v); break;
                    case "--nmt": o.nmt = true; break;
                    case "--polite": o.polite = true; break;
                    case "--label": o.label = v; break;
                    case "--out": o.out = Path.of(v); break;
                    case "--jvm-arg": o.jvmArgs.add(v); break;
                    case "--env": {
                        int eq = v.indexOf('=');
                        if (eq < 1) {
                            throw new IllegalArgumentException("--env takes K=V, was '" + v + "'");
                        }
                        o.env.put(v.substring(0, eq), v.substring(eq + 1));
                        break;
                    }
                    default: throw CommandLine.unknown(a);
                }
            });
            if (o.clients < 1 || o.rounds < 1 || !(o.durationS > 0) || !(o.settleS >= 0) || !(o.rate >= 0)
                    || !(o.drainS >= 0) || !(o.startTimeoutS > 0) || o.sampleMs < 1) {
                throw new IllegalArgumentException("need --clients >= 1, --rounds >= 1, --duration-s > 0, --settle-s >= 0,"
                        + " --rate >= 0, --drain-s >= 0, --start-timeout-s > 0, --sample-ms >= 1");
            }
            if (!o.label.matches("[A-Za-z0-9._-]+")) {
                throw new IllegalArgumentException("--label: letters, digits, '.', '_' and '-' only, was '" + o.label + "'");
            }
            return o;
        }

        boolean openLoop() {
            return rate > 0;
        }

        /** The child's command line: this JVM's java, the JVM arguments, the jar, loopback and any free port. */
        List<String> command() {
            List<String> c = new ArrayList<>();
            c.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
            if (nmt) {
                c.add("-XX:NativeMemoryTracking=summary");
            }
            c.addAll(jvmArgs);
            c.addAll(List.of("-jar", jar.toString(), "--server.port=0", "--server.address=127.0.0.1"));
            return c;
        }

        /** Seconds of load and settle over all rounds (start-up, warm-up and drains come on top). */
        double plannedSeconds() {
            return rounds * (durationS + settleS);
        }

        static void usage() {
            System.out.println("""
                    OcrOverload: the OCR service (a child JVM) under overload, its resident memory sampled.
                      --jar PATH            the service's executable jar (examples/ocr-service/target/ocr-service-exec.jar)
                      --jvm-arg ARG         a JVM argument for the child (repeatable)
                      --env K=V             an environment variable for the child (repeatable)
                      --rounds N            rounds of load then settle (1)
                      --clients N           closed loop: clients posting back to back; a 429 is counted and sent again (48)
                      --rate P              open loop instead: Poisson arrivals at P pages/s (off)
                      --seed S              seed of the arrivals (1)
                      --duration-s S        load per round (45)
                      --settle-s S          idle after each round's load (15)
                      --drain-s S           open loop: how long requests may stay open after the last send (60)
                      --start-timeout-s S   how long the service may take to serve (180)
                      --sample-ms MS        RSS sampling period (250)
                      --nmt                 native memory tracking in the child; jcmd summaries after each settle
                      --polite              closed loop: a client refused with 429 waits its Retry-After before sending again
                      --label NAME          names the output files (run)
                      --out DIR             where the CSVs and the child's log go (benchmarks/results)""");
        }
    }

    /** Outcomes of one round's requests: counts by status, and the latency of the 200s. Thread-safe. */
    static final class Tally {
        final LongAdder ok = new LongAdder();
        final LongAdder refused = new LongAdder();
        final LongAdder other = new LongAdder();
        private final Histogram okMicros = new ConcurrentHistogram(3);

        /** One answer: its HTTP status (0 for no answer at all) and latency. */
        void record(int status, long latencyNanos) {
            if (status == 200) {
                ok.increment();
                okMicros.recordValue(Math.max(1, latencyNanos / 1_000));
            } else if (status == 429) {
                refused.increment();
            } else {
                other.increment();
            }
        }

        /** The latency of the 200s at {@code percentile}, ms; 0 when none. */
        double okMs(double percentile) {
            return okMicros.getTotalCount() == 0 ? 0 : okMicros.getValueAtPercentile(percentile) / 1e3;
        }
    }

    /** One round's figures. */
    record Round(int round, String mode, int clients, double rate, double durationS, long ok, long refused, long other,
            double p50Ms, double p99Ms, long startKb, long peakKb, long endKb, long hwmKb) {
        static Round of(int round, Options o, Tally t, double durationS, long startKb, long peakKb, long endKb, long hwmKb) {
            return new Round(round, o.openLoop() ? "open" : "closed", o.openLoop() ? 0 : o.clients, o.rate, durationS,
                    t.ok.sum(), t.refused.sum(), t.other.sum(), t.okMs(50), t.okMs(99), startKb, peakKb, endKb, hwmKb);
        }

        double pagesPerS() {
            return ok / durationS;
        }

        String csv(String label) {
            return String.format(Locale.ROOT, "%s,%d,%s,%d,%.3f,%.3f,%d,%d,%d,%.1f,%.1f,%.3f,%s,%s,%s,%s", label, round,
                    mode, clients, rate, durationS, ok, refused, other, p50Ms, p99Ms, pagesPerS(), mb(startKb),
                    mb(peakKb), mb(endKb), mb(hwmKb));
        }

        String markdown() {
            return String.format(Locale.ROOT, "| %d | %d | %d | %d | %.0f | %.0f | %.2f | %s | %s | %s |", round, ok, refused,
                    other, p50Ms, p99Ms, pagesPerS(), mb(startKb), mb(peakKb), mb(endKb));
        }
    }

    static String mb(long kb) {
        return String.format(Locale.ROOT, "%.1f", kb / 1024.0);
    }

    private OcrOverload() {}

    public static void main(String[] args) throws Exception {
        Options o = Options.parse(args);
        if (!Files.isRegularFile(o.jar)) {
            throw new IllegalArgumentException("--jar: " + o.jar.toAbsolutePath() + " is not a file (mvn -q -B -o package"
                    + " -DskipTests -pl examples/ocr-service -am builds it)");
        }
        Files.createDirectories(o.out);
        byte[] page = SelfCheckPage.png();
        String prefix = "ocr-overload-" + o.label;
        List<Round> rounds = new ArrayList<>();
        try (Child child = Child.start(o, o.out.resolve(prefix + "-service.log"));
                RssSeries rss = RssSeries.sampling(child.pid(), o.sampleMs)) {
            try {
                runRounds(o, child, rss, page, prefix, rounds);
            } finally {
                // Also when a round failed: the series up to the failure is what tells why.
                Files.writeString(o.out.resolve(prefix + "-rss.csv"), rss.csv(o.label));
            }
        } finally {
            StringBuilder csv = new StringBuilder(ROUNDS_HEADER).append('\n');
            rounds.forEach(r -> csv.append(r.csv(o.label)).append('\n'));
            Files.writeString(o.out.resolve(prefix + "-rounds.csv"), csv);
        }
        System.out.println("OCR service under " + (o.openLoop() ? "open-loop load of " + o.rate + " pages/s"
                : o.clients + " closed-loop clients") + " (" + o.label + "; " + String.join(" ", o.jvmArgs) + ")\n");
        System.out.println("| round | 200 | 429 | other | p50 ms | p99 ms | pages/s | RSS start MB | RSS peak MB | RSS after settle MB |");
        System.out.println("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        rounds.forEach(r -> System.out.println(r.markdown()));
    }

    /** The warm-up, then each round: load, settle, and what the round measured, added to {@code rounds}. */
    private static void runRounds(Options o, Child child, RssSeries rss, byte[] page, String prefix, List<Round> rounds)
            throws Exception {
        URI ocr = URI.create("http://127.0.0.1:" + child.awaitPort(o.startTimeoutS) + "/ocr");
        System.err.printf(Locale.ROOT, "service pid %d at %s; %s%n", child.pid(), ocr, String.join(" ", o.command()));
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(10)).build();
        HttpRequest request = HttpRequest.newBuilder(ocr).header("Content-Type", "image/png")
                .timeout(Duration.ofSeconds(120)).POST(HttpRequest.BodyPublishers.ofByteArray(page)).build();
        rss.phase(0, "warmup");
        for (int i = 0; i < 3; i++) {
            HttpResponse<String> r = http.send(request, HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() != 200) {
                throw new IllegalStateException("warm-up request answered " + r.statusCode() + ": " + r.body());
            }
        }
        for (int round = 1; round <= o.rounds; round++) {
            long startKb = rss.sample().rssKb();
            rss.phase(round, "load");
            Tally tally = new Tally();
            long loadNanos = o.openLoop() ? openLoop(o, http, request, tally, round) : closedLoop(o, http, request, tally);
            rss.phase(round, "settle");
            sleepSeconds(o.settleS);
            RssSeries.Sample end = rss.sample();
            if (o.nmt) {
                child.jcmd(o.out.resolve(prefix + "-round" + round + "-nmt.txt"), "VM.native_memory", "summary");
                child.jcmd(o.out.resolve(prefix + "-round" + round + "-heap.txt"), "GC.heap_info");
            }
            Round r = Round.of(round, o, tally, loadNanos / 1e9, startKb,
                    Math.max(rss.peakKb(round, "load"), rss.peakKb(round, "settle")), end.rssKb(), end.hwmKb());
            rounds.add(r);
            System.err.println(prefix + " " + r.csv(o.label));
        }
    }

    /** A {@code Retry-After} of whole seconds (RFC 9110's delay-seconds) in nanoseconds; 0 when absent or not a number. */
    static long retryAfterNanos(String header) {
        if (header == null || !header.trim().matches("[0-9]{1,6}")) {
            return 0;
        }
        return TimeUnit.SECONDS.toNanos(Long.parseLong(header.trim()));
    }

    /** Closed loop: {@code --clients} threads posting back to back for the duration. Returns its length, ns. */
    static long closedLoop(Options o, HttpClient http, HttpRequest request, Tally tally) throws InterruptedException {
        ExecutorService clients = Executors.newFixedThreadPool(o.clients, r -> {
            Thread t = new Thread(r, "overload-client");
            t.setDaemon(true);
            return t;
        });
        long start = System.nanoTime();
        long end = start + (long) (o.durationS * 1e9);
        try {
            for (int c = 0; c < o.clients; c++) {
                clients.execute(() -> {
                    while (System.nanoTime() < end && !Thread.currentThread().isInterrupted()) {
                        long t0 = System.nanoTime();
                        int status;
                        long retryAfterNanos = 0;
                        try {
                            HttpResponse<Void> r = http.send(request, HttpResponse.BodyHandlers.discarding());
                            status = r.statusCode();
                            retryAfterNanos = retryAfterNanos(r.headers().firstValue("Retry-After").orElse(null));
                        } catch (IOException e) {
                            status = 0;
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                            return;
                        }
                        tally.record(status, System.nanoTime() - t0);
                        if (o.polite && status == 429) {
                            // The client's own behaviour, not a synchronization: it waits as it was told to.
                            long wait = Math.min(retryAfterNanos, end - System.nanoTime());
                            if (wait > 0) {
                                try {
                                    TimeUnit.NANOSECONDS.sleep(wait);
                                } catch (InterruptedException e) {
                                    Thread.currentThread().interrupt();
                                    return;
                                }
                            }
                        }
                    }
                });
            }
            clients.shutdown();
            // The last requests were sent before the end and time out after 120 s at the most.
            if (!clients.awaitTermination((long) o.durationS + 130, TimeUnit.SECONDS)) {
                System.err.println("clients still waiting after the load; abandoning them");
            }
        } finally {
            clients.shutdownNow();
        }
        return System.nanoTime() - start;
    }

    /**
     * Open loop: Poisson arrivals at {@code --rate} for the duration, each request sent at its intended time,
     * latency from that time. Waits up to {@code --drain-s} for the requests still open, which count as other.
     * Returns the sending window's length, ns.
     */
    static long openLoop(Options o, HttpClient http, HttpRequest request, Tally tally, int round)
            throws InterruptedException {
        PoissonArrivals arrivals = new PoissonArrivals(o.rate, o.seed + round);
        long start = System.nanoTime();
        long window = (long) (o.durationS * 1e9);
        List<CompletableFuture<?>> sent = new ArrayList<>();
        for (long at = arrivals.nextArrivalNanos(); at < window; at = arrivals.nextArrivalNanos()) {
            long intended = start + at;
            dev.sluice.testing.FakeModel.sleepUntil(intended, 0);
            sent.add(http.sendAsync(request, HttpResponse.BodyHandlers.discarding()).handle((r, e) -> {
                tally.record(e == null ? r.statusCode() : 0, System.nanoTime() - intended);
                return null;
            }));
        }
        try {
            CompletableFuture.allOf(sent.toArray(CompletableFuture[]::new)).get((long) (o.drainS * 1000), TimeUnit.MILLISECONDS);
        } catch (TimeoutException | ExecutionException e) {
            long left = sent.stream().filter(f -> !f.isDone()).count();
            System.err.println(left + " requests still open after the drain: counted as other");
            tally.other.add(left);
            sent.forEach(f -> f.cancel(true));
        }
        return Math.max(window, 1);
    }

    private static void sleepSeconds(double s) throws InterruptedException {
        long until = System.nanoTime() + (long) (s * 1e9);
        for (long left; (left = until - System.nanoTime()) > 0; ) {
            TimeUnit.NANOSECONDS.sleep(left);
        }
    }

    /** The service as a child process: its output copied to a log, its port read from it, stopped by pid. */
    static final class Child implements AutoCloseable {
        private final Process process;
        private final CompletableFuture<Integer> port = new CompletableFuture<>();
        private final Thread onExit;

        private Child(Process process) {
            this.process = process;
            this.onExit = new Thread(() -> stop(process), "stop-ocr-service");
            Runtime.getRuntime().addShutdownHook(onExit);
        }

        static Child start(Options o, Path log) throws IOException {
            ProcessBuilder pb = new ProcessBuilder(o.command()).redirectErrorStream(true);
            pb.environment().putAll(o.env);
            Child c = new Child(pb.start());
            Thread pump = new Thread(() -> c.pump(log), "ocr-service-output");
            pump.setDaemon(true);
            pump.start();
            return c;
        }

        private void pump(Path log) {
            try (Writer w = Files.newBufferedWriter(log, StandardCharsets.UTF_8); BufferedReader in = new BufferedReader(new InputStreamReader(process.getInputStream(),
                    StandardCharsets.UTF_8))) {
                for (String line; (line = in.readLine()) != null; ) {
                    w.write(line);
                    w.write('\n');
                    w.flush();
                    Integer p = servingPort(line);
                    if (p != null) {
                        port.complete(p);
                    }
                }
            } catch (IOException e) {
                port.completeExceptionally(e);
            }
            port.completeExceptionally(new IllegalStateException("the service's output ended before it served (see its log)"));
        }

        /** The port in the line the service prints once it serves, or null for any other line. */
        static Integer servingPort(String line) {
            Matcher m = SERVING.matcher(line);
            return m.find() ? Integer.valueOf(m.group(1)) : null;
        }

        long pid() {
            return process.pid();
        }

        int awaitPort(double timeoutS) throws InterruptedException, ExecutionException {
            try {
                return port.get((long) (timeoutS * 1000), TimeUnit.MILLISECONDS);
            } catch (TimeoutException e) {
                throw new IllegalStateException("the service did not serve within " + timeoutS + " s (see its log)", e);
            }
        }

        /** Runs {@code jcmd <pid> command...} and writes what it printed to {@code file}. */
        void jcmd(Path file, String... command) throws IOException, InterruptedException {
            List<String> c = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "jcmd").toString(),
                    Long.toString(pid())));
            c.addAll(List.of(command));
            Process p = new ProcessBuilder(c).redirectErrorStream(true).redirectOutput(file.toFile()).start();
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly();
            }
        }

        private static void stop(Process p) {
            p.destroy();
            try {
                if (!p.waitFor(15, TimeUnit.SECONDS)) {
                    p.destroyForcibly().waitFor(15, TimeUnit.SECONDS);
                }
            } catch (InterruptedException e) {
                p.destroyForcibly();
                Thread.currentThread().interrupt();
            }
        }

        @Override
        public void close() {
            stop(process);
            try {
                Runtime.getRuntime().removeShutdownHook(onExit);
            } catch (IllegalStateException e) {
                // the JVM is exiting: the hook stops it as well
            }
        }
    }
}
