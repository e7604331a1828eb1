package dev.sluice.bench;

import dev.sluice.Deployment;
import dev.sluice.DeploymentHandle;
import dev.sluice.Model;
import dev.sluice.Sluice;
import dev.sluice.onnx.OnnxModel;
import dev.sluice.tensor.DataType;
import dev.sluice.tensor.Tensor;
import dev.sluice.tensor.TensorSignature;
import dev.sluice.tensor.TensorSpec;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/**
 * What a request costs on each way into one Sluice server: {@link DeploymentHandle#submit in process}, REST JSON
 * ({@code java.net.http} against the starter's endpoints on Tomcat), REST with the binary tensor data extension
 * (the same, every input and output as raw bytes after a short JSON header) and gRPC ({@code OipGrpcClient} against
 * sluice-grpc), all four reaching the same runtime of the same {@link TransportServer} in this JVM, over loopback.
 *
 * <p>Two requests: {@code rec}, the PaddleOCR recognizer ({@code ch_PP-OCRv4_rec_infer.onnx}, found as
 * {@link RecognizerBenchmark} finds it) on an FP32 [1, 3, 48, 320] line of values uniform in [-1, 1] ({@code --images}
 * of them, reused), answering its FP32 [1, 40, 6625] probabilities (about 1 MB raw, 3 MB as JSON); and
 * {@code small}, an FP32 [1, 3] vector through a pure-Java model that answers {@code 2x + 1}. The recognizer runs
 * on {@code --replicas} (2) replicas of one CPU each, in an execution budget of as many CPUs; the small model on
 * one replica that takes no CPU from the budget. Both batch with {@code --max-batch} (16) and {@code --max-delay-ms}
 * (2).
 *
 * <p>Closed loop: for each request, each of {@code --clients} (1, 4, 16) and each transport, that many client
 * threads each send a request, wait for its answer (decoded to tensors, as a client would use it) and send the
 * next, {@code --warmup-s} (2) then {@code --duration-s} (4) measured: throughput counts the answers that arrive in
 * the measured window, latency is theirs (the warm-up is longer than one answer takes at 16 clients over REST JSON,
 * the slowest cell, so the window sees the steady state). The transports are interleaved: every cell of a round runs all four, in
 * an order that turns by one each round, so a machine that slows down over the run favours none; {@code --rounds}
 * (5) rounds, and the report gives each figure's median over the rounds, and its ratio to in-process's median.
 * Before the first round every transport's answer to each request is checked against in-process's, bit for bit.
 *
 * <p>Prints a markdown table on stdout (progress on stderr) and writes {@code transport-rounds.csv} (every cell of
 * every round) and {@code transport.csv} (the medians and ratios) to {@code --out} ({@code benchmarks/results}).
 * {@code --help} lists the options. The defaults take about 12 minutes; a smoke run:
 *
 * <pre>
 * mvn -q -B -o package -DskipTests -pl benchmarks -am
 * java -cp benchmarks/target/benchmarks.jar dev.sluice.bench.TransportBenchmark
 * java -cp benchmarks/target/benchmarks.jar dev.sluice.bench.TransportBenchmark --rounds 1 --clients 1,4 --warmup-s 0.2 --duration-s 0.5 --out /tmp/transport   # smoke run
 * </pre>
 *
 * <p>A transport is a {@link Transport}; another is one more entry in {@link #transports}.
 */
public final class TransportBenchmark {
    static final String REC = "rec";
    static final String SMALL = "small";

    /** Command-line options with their defaults. */
    static final class Options {
        Path model = RecognizerBenchmark.defaultModel();
        List<String> requests = List.of(REC, SMALL);
        int[] clients = {1, 4, 16};
        int rounds = 5;
        double warmupS = 2;
        double durationS = 4;
        int replicas = 2;
        int maxBatch = 16;
        double maxDelayMs = 2;
        int images = 16;
        long seed = 1;
        double timeoutS = 60;
        String out = "benchmarks/results";

        static Options parse(String[] args) {
            Options o = new Options();
            CommandLine.parse(args, Options::usage, Set.of(), (a, v) -> {
                switch (a) {
                    case "--model": o.model = Paths.get(v); break;
                    case "--requests": o.requests = Arrays.stream(v.split(",")).map(String::trim).distinct().toList(); break;
                    case "--clients": o.clients = Arrays.stream(v.split(",")).mapToInt(s -> Integer.parseInt(s.trim())).sorted().distinct().toArray(); break;
                    case "--rounds": o.rounds = Integer.parseInt(v); break;
                    case "--warmup-s": o.warmupS = Double.parseDouble(v); break;
                    case "--duration-s": o.durationS = Double.parseDouble(v); break;
                    case "--replicas": o.replicas = Integer.parseInt(v); break;
                    case "--max-batch": o.maxBatch = Integer.parseInt(v); break;
                    case "--max-delay-ms": o.maxDelayMs = Double.parseDouble(v); break;
                    case "--images": o.images = Integer.parseInt(v); break;
                    case "--seed": o.seed = Long.parseLong(v); break;
                    case "--timeout-s": o.timeoutS = Double.parseDouble(v); break;
                    case "--out": o.out = v; break;
                    default: throw CommandLine.unknown(a);
                }
            });
            if (o.requests.isEmpty() || !List.of(REC, SMALL).containsAll(o.requests)) {
                throw new IllegalArgumentException("--requests takes rec, small or both, was " + o.requests);
            }
            if (o.clients.length == 0 || o.clients[0] < 1) {
                throw new IllegalArgumentException("--clients takes positive counts of client threads, e.g. 1,4,16");
            }
            if (o.rounds < 1 || o.replicas < 1 || o.maxBatch < 1 || o.images < 1) {
                throw new IllegalArgumentException("--rounds, --replicas, --max-batch and --images must be at least 1");
            }
            if (!(o.durationS > 0) || !(o.timeoutS > 0) || !(o.warmupS >= 0) || !(o.maxDelayMs >= 0)) {
                throw new IllegalArgumentException("--duration-s and --timeout-s must be positive, --warmup-s and"
                        + " --max-delay-ms not negative");
            }
            return o;
        }

        static void usage() {
            System.out.println(String.join("\n",
                    "TransportBenchmark [options]: one Sluice server, in process, over REST JSON, binary REST, gRPC;",
                    "closed-loop clients, throughput and latency per transport, medians over rounds, ratios to in-process",
                    "  --model PATH                    the recognizer (default: the cache of scripts/fetch-models.sh,",
                    "                                  " + RecognizerBenchmark.defaultModel() + ")",
                    "  --requests rec,small            rec: FP32 [1,3,48,320] through the recognizer, [1,40,6625] back;",
                    "                                  small: FP32 [1,3] through a pure-Java model, [1,3] back",
                    "  --clients 1,4,16                closed-loop client threads per cell",
                    "  --rounds 5                      rounds; each runs every cell on every transport, the order turning",
                    "  --warmup-s 2 --duration-s 4     per cell: warm-up, then measured seconds",
                    "  --replicas 2                    recognizer replicas (1 CPU each; the budget has as many CPUs)",
                    "  --max-batch 16 --max-delay-ms 2 batching of both deployments",
                    "  --images 16                     distinct recognizer inputs (and small vectors), reused",
                    "  --seed 1                        seed of the inputs",
                    "  --timeout-s 60                  the longest one request may take",
                    "  --out benchmarks/results        where transport-rounds.csv and transport.csv go"));
        }

        Duration maxDelay() {
            return Duration.ofNanos(Math.round(maxDelayMs * 1e6));
        }

        Duration timeout() {
            return Duration.ofNanos(Math.round(timeoutS * 1e9));
        }
    }

    /**
     * One request the clients send.
     *
     * @param name its name in the report
     * @param model the deployment it goes to
     * @param inputs the inputs sent, in turn (client {@code i} starts at {@code i})
     */
    record Request(String name, String model, List<Map<String, Tensor>> inputs) {}

    /** What one transport did in one cell of one round: {@code completed} answers in {@code seconds}, their latency. */
    record Cell(int round, String request, int clients, String transport, double seconds, long completed, long failed,
            Histogram latency) {

        double throughput() {
            return completed / seconds;
        }

        /** Latency at {@code percentile}, in nanoseconds; -1 if nothing was measured. */
        long latency(double percentile) {
            return latency.getTotalCount() == 0 ? -1 : latency.getValueAtPercentile(percentile);
        }
    }

    /** A transport's medians over the rounds for one request and client count, and their ratios to in-process's. */
    record Summary(String request, int clients, String transport, int rounds, double throughput, double p50Ms,
            double p99Ms, long failed, double throughputRatio, double p50Ratio, double p99Ratio) {}

    private final Options o;

    TransportBenchmark(Options o) {
        this.o = o;
    }

    public static void main(String[] args) throws Exception {
        Options o = Options.parse(args);
        if (o.requests.contains(REC) && !Files.isRegularFile(o.model)) {
            throw new IllegalArgumentException("no model at " + o.model + ": run scripts/fetch-models.sh, or give --model");
        }
        new TransportBenchmark(o).run();
    }

    void run() throws Exception {
        String loadBefore = OpenLoopDriver.loadAverage();
        List<Cell> cells = new ArrayList<>();
        List<Request> requests;
        List<String> names;
        try (TransportServer server = new TransportServer(o.replicas)) {
            requests = deploy(server.sluice());
            List<Transport> transports = transports(server);
            try {
                names = transports.stream().map(Transport::name).toList();
                for (Request r : requests) {
                    log(r.name() + ": " + checkSameAnswers(transports, r));
                }
                for (int round = 0; round < o.rounds; round++) {
                    for (Request r : requests) {
                        for (int clients : o.clients) {
                            for (Transport t : order(transports, round)) {
                                Cell c = measure(t, r, clients, round);
                                cells.add(c);
                                log(line(c));
                            }
                        }
                    }
                }
            } finally {
                transports.forEach(Transport::close);
            }
        }
        List<Summary> summaries = summarize(cells, names.get(0));
        System.out.print(report(summaries));
        Path dir = Paths.get(o.out);
        Files.createDirectories(dir);
        Path rounds = dir.resolve("transport-rounds.csv");
        Path medians = dir.resolve("transport.csv");
        Files.write(rounds, roundsCsv(cells).getBytes(StandardCharsets.UTF_8));
        Files.write(medians, csv(summaries).getBytes(StandardCharsets.UTF_8));
        System.out.println("Wrote " + rounds.toAbsolutePath() + " and " + medians.toAbsolutePath());
        System.out.println(OpenLoopDriver.loadLine(loadBefore));
        System.out.flush();
    }

    /** Every transport, in-process first (the baseline of the ratios). */
    List<Transport> transports(TransportServer server) {
        return List.of(new InProcessTransport(server.sluice(), o.timeout()),
                new RestJsonTransport(server.http(), o.timeout()),
                new RestBinaryTransport(server.http(), o.timeout()),
                new GrpcTransport(server.grpcTarget(), o.timeout()));
    }

    /** Deploys the models of the requests asked for; returns those requests. */
    List<Request> deploy(Sluice sluice) throws Exception {
        List<Request> requests = new ArrayList<>();
        for (String name : o.requests) {
            Deployment<Map<String, Tensor>, Map<String, Tensor>> d = name.equals(REC) ? recognizer() : small();
            sluice.deploy(d).awaitReady(Duration.ofSeconds(120));
            requests.add(new Request(name, d.name(), name.equals(REC) ? recInputs(d.signature().orElseThrow()) : smallInputs()));
        }
        return requests;
    }

    private Deployment<Map<String, Tensor>, Map<String, Tensor>> recognizer() throws Exception {
        OnnxModel.Builder m = OnnxModel.builder(o.model);
        return Deployment.<Map<String, Tensor>, Map<String, Tensor>>builder(REC, m.factory())
                .signature(m.signature())
                .replicas(o.replicas)
                .resources(r -> r.cpus(1))
                .batching(b -> b.maxBatchSize(o.maxBatch).maxDelay(o.maxDelay()))
                .build();
    }

    private List<Map<String, Tensor>> recInputs(TensorSignature signature) {
        TensorSpec in = signature.inputs().get(0);
        long[] shape = in.shape();
        if (signature.inputs().size() != 1 || in.type() != DataType.FP32 || shape.length != 4 || shape[1] != 3
                || shape[2] != RecognizerImages.HEIGHT) {
            throw new IllegalArgumentException(o.model + " takes " + signature.inputs()
                    + ", not one [n, 3, 48, W] FP32 input");
        }
        RecognizerImages images = new RecognizerImages(in.name(), new int[] {320}, o.images, o.seed);
        List<Map<String, Tensor>> inputs = new ArrayList<>();
        for (int i = 0; i < o.images; i++) {
            inputs.add(Map.of(in.name(), images.image(0, i)));
        }
        return inputs;
    }

    /** The small request's model: {@code y = 2x + 1} on FP32 [n, 3], no CPU taken from the budget. */
    private Deployment<Map<String, Tensor>, Map<String, Tensor>> small() {
        TensorSignature sig = new TensorSignature(List.of(new TensorSpec("x", DataType.FP32, new long[] {-1, 3})),
                List.of(new TensorSpec("y", DataType.FP32, new long[] {-1, 3})));
        Model<Map<String, Tensor>, Map<String, Tensor>> model = batch -> {
            List<Map<String, Tensor>> out = new ArrayList<>(batch.size());
            for (Map<String, Tensor> request : batch) {
                Tensor x = request.get("x");
                float[] y = x.toFloatArray();
                for (int i = 0; i < y.length; i++) {
                    y[i] = 2 * y[i] + 1;
                }
                out.add(Map.of("y", Tensor.ofFloats("y", x.shape(), y)));
            }
            return out;
        };
        return Deployment.<Map<String, Tensor>, Map<String, Tensor>>builder(SMALL, ctx -> model)
                .signature(sig)
                .resources(r -> r.cpus(0))
                .batching(b -> b.maxBatchSize(o.maxBatch).maxDelay(o.maxDelay()))
                .build();
    }

    private List<Map<String, Tensor>> smallInputs() {
        Random rnd = new Random(o.seed);
        List<Map<String, Tensor>> inputs = new ArrayList<>();
        for (int i = 0; i < o.images; i++) {
            inputs.add(Map.of("x", Tensor.ofFloats("x", new long[] {1, 3}, rnd.nextFloat(), rnd.nextFloat(),
                    rnd.nextFloat())));
        }
        return inputs;
    }

    /**
     * Sends {@code r}'s first input over every transport and checks that each answers what the first (in-process)
     * does, bit for bit; returns what they answered.
     *
     * @throws IllegalStateException if one answers otherwise
     */
    static String checkSameAnswers(List<Transport> transports, Request r) throws Exception {
        Map<String, Tensor> in = r.inputs().get(0);
        Map<String, Tensor> expected = transports.get(0).infer(r.model(), in);
        for (Transport t : transports.subList(1, transports.size())) {
            Map<String, Tensor> got = t.infer(r.model(), in);
            String difference = difference(expected, got);
            if (difference != null) {
                throw new IllegalStateException(t.name() + " answered " + r.name() + " unlike "
                        + transports.get(0).name() + ": " + difference);
            }
        }
        StringBuilder s = new StringBuilder();
        in.values().forEach(t -> s.append(t.dataType()).append(' ').append(Arrays.toString(t.shape())).append(' '));
        s.append("in,");
        expected.values().forEach(t -> s.append(' ').append(t.dataType()).append(' ').append(Arrays.toString(t.shape())));
        return s.append(" out; the same from every transport").toString();
    }

    /** Where {@code b} differs from {@code a} (names, types, shapes, FP32 bits), or null if it does not. */
    static String difference(Map<String, Tensor> a, Map<String, Tensor> b) {
        if (!a.keySet().equals(b.keySet())) {
            return "outputs " + b.keySet() + ", not " + a.keySet();
        }
        for (Map.Entry<String, Tensor> e : a.entrySet()) {
            Tensor x = e.getValue();
            Tensor y = b.get(e.getKey());
            if (x.dataType() != y.dataType() || !Arrays.equals(x.shape(), y.shape())) {
                return "output '" + e.getKey() + "' is " + y + ", not " + x;
            }
            if (!x.data().equals(y.data())) {
                return "output '" + e.getKey() + "' holds other values";
            }
        }
        return null;
    }

    /** {@code transports} turned left by {@code round}: over as many rounds as transports, each runs in each place. */
    static <T> List<T> order(List<T> transports, int round) {
        int n = transports.size();
        List<T> order = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            order.add(transports.get((i + round) % n));
        }
        return order;
    }

    /** One cell: {@code clients} threads sending {@code r} over {@code t} back to back. */
    Cell measure(Transport t, Request r, int clients, int round) throws InterruptedException {
        Recorder latency = new Recorder(3);
        LongAdder completed = new LongAdder();
        LongAdder failed = new LongAdder();
        AtomicReference<Exception> firstFailure = new AtomicReference<>();
        long from = System.nanoTime() + OpenLoopDriver.secondsToNanos(o.warmupS);
        long to = from + OpenLoopDriver.secondsToNanos(o.durationS);
        List<Thread> threads = new ArrayList<>();
        for (int c = 0; c < clients; c++) {
            int first = c;
            Thread thread = new Thread(() -> {
                List<Map<String, Tensor>> inputs = r.inputs();
                for (int i = first; System.nanoTime() - to < 0; i++) {
                    long start = System.nanoTime();
                    try {
                        t.infer(r.model(), inputs.get(i % inputs.size()));
                    } catch (Exception e) {
                        failed.increment();
                        firstFailure.compareAndSet(null, e);
                        continue;
                    }
                    long end = System.nanoTime();
                    if (end - from >= 0 && end - to < 0) {
                        latency.recordValue(end - start);
                        completed.increment();
                    }
                }
            }, "client-" + t.name() + "-" + c);
            threads.add(thread);
            thread.start();
        }
        long deadline = to + o.timeout().toNanos() + TimeUnit.SECONDS.toNanos(5);
        for (Thread thread : threads) {
            thread.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())));
            if (thread.isAlive()) {
                throw new IllegalStateException(thread.getName() + " still waits for an answer past its timeout");
            }
        }
        if (firstFailure.get() != null) {
            log(t.name() + " " + r.name() + " x" + clients + ": " + failed.sum() + " failed, the first: "
                    + firstFailure.get());
        }
        return new Cell(round, r.name(), clients, t.name(), (to - from) / 1e9, completed.sum(), failed.sum(),
                latency.getIntervalHistogram());
    }

    // ------------------------------------------------------------------ summary and output

    /** The median of {@code values} (the mean of the middle two for an even count); NaN for none. */
    static double median(double[] values) {
        if (values.length == 0) {
            return Double.NaN;
        }
        double[] v = values.clone();
        Arrays.sort(v);
        int m = v.length / 2;
        return v.length % 2 == 1 ? v[m] : (v[m - 1] + v[m]) / 2;
    }

    /**
     * Per request, client count and transport (in the order first met): the medians over the rounds and their
     * ratios to {@code baseline}'s medians (NaN where either side measured nothing).
     */
    static List<Summary> summarize(List<Cell> cells, String baseline) {
        Map<String, List<Cell>> groups = new LinkedHashMap<>();
        for (Cell c : cells) {
            groups.computeIfAbsent(c.request() + "/" + c.clients() + "/" + c.transport(), k -> new ArrayList<>()).add(c);
        }
        Map<String, double[]> medians = new LinkedHashMap<>(); // {throughput, p50 ms, p99 ms}
        for (Map.Entry<String, List<Cell>> g : groups.entrySet()) {
            List<Cell> l = g.getValue();
            medians.put(g.getKey(), new double[] {
                median(l.stream().mapToDouble(Cell::throughput).toArray()),
                median(l.stream().filter(c -> c.latency(50) >= 0).mapToDouble(c -> c.latency(50) / 1e6).toArray()),
                median(l.stream().filter(c -> c.latency(99) >= 0).mapToDouble(c -> c.latency(99) / 1e6).toArray())});
        }
        List<Summary> out = new ArrayList<>();
        for (Map.Entry<String, List<Cell>> g : groups.entrySet()) {
            Cell any = g.getValue().get(0);
            double[] m = medians.get(g.getKey());
            double[] base = medians.getOrDefault(any.request() + "/" + any.clients() + "/" + baseline,
                    new double[] {Double.NaN, Double.NaN, Double.NaN});
            out.add(new Summary(any.request(), any.clients(), any.transport(), g.getValue().size(), m[0], m[1], m[2],
                    g.getValue().stream().mapToLong(Cell::failed).sum(), m[0] / base[0], m[1] / base[1],
                    m[2] / base[2]));
        }
        out.sort(Comparator.comparing((Summary s) -> s.request().equals(REC) ? 0 : 1)
                .thenComparingInt(Summary::clients));
        return out;
    }

    String report(List<Summary> summaries) {
        StringBuilder out = new StringBuilder();
        out.append(String.format(Locale.ROOT, "%nOne Sluice server (Spring Boot, the starter; Tomcat for REST, sluice-grpc"
                        + " for gRPC; loopback), its clients in the same JVM. %d CPU(s). rec: %s, FP32 [1, 3, 48, 320] in,"
                        + " [1, 40, 6625] out, %d replica(s) x 1 CPU; small: FP32 [1, 3] in and out, a pure-Java model."
                        + " Batching: maxBatchSize %d, maxDelay %s ms.%n",
                Runtime.getRuntime().availableProcessors(), o.model.getFileName(), o.replicas, o.maxBatch,
                SvgPlot.number(o.maxDelayMs)));
        out.append(String.format(Locale.ROOT, "Closed loop, per cell %s s of warm-up then %s s measured; %d round(s),"
                        + " transports interleaved (the order turns each round); medians over the rounds, and their"
                        + " ratio to in-process's. Latency in ms.%n%n",
                SvgPlot.number(o.warmupS), SvgPlot.number(o.durationS), o.rounds));
        out.append("| request | clients | transport | req/s | x in-process | p50 | x in-process | p99 | x in-process | failed |\n");
        out.append("|---|---:|---|---:|---:|---:|---:|---:|---:|---:|\n");
        for (Summary s : summaries) {
            out.append(String.format(Locale.ROOT, "| %s | %d | %s | %.1f | %s | %s | %s | %s | %s | %d |%n",
                    s.request(), s.clients(), s.transport(), s.throughput(), ratio(s.throughputRatio()), ms(s.p50Ms()),
                    ratio(s.p50Ratio()), ms(s.p99Ms()), ratio(s.p99Ratio()), s.failed()));
        }
        return out.append('\n').toString();
    }

    /** Every cell of every round, in the order run; latencies empty where nothing was measured. */
    static String roundsCsv(List<Cell> cells) {
        StringBuilder s = new StringBuilder("round,request,clients,transport,seconds,completed,failed,throughput_rps,"
                + "p50_ms,p99_ms\n");
        for (Cell c : cells) {
            s.append(String.format(Locale.ROOT, "%d,%s,%d,%s,%.3f,%d,%d,%.2f,%s,%s%n", c.round() + 1, c.request(),
                    c.clients(), c.transport(), c.seconds(), c.completed(), c.failed(), c.throughput(),
                    csvMs(c.latency(50)), csvMs(c.latency(99))));
        }
        return s.toString();
    }

    /** One row per request, client count and transport: medians over the rounds and the ratios to in-process. */
    static String csv(List<Summary> summaries) {
        StringBuilder s = new StringBuilder("request,clients,transport,rounds,throughput_rps,p50_ms,p99_ms,failed,"
                + "throughput_vs_in_process,p50_vs_in_process,p99_vs_in_process\n");
        for (Summary x : summaries) {
            s.append(String.format(Locale.ROOT, "%s,%d,%s,%d,%.2f,%s,%s,%d,%s,%s,%s%n", x.request(), x.clients(),
                    x.transport(), x.rounds(), x.throughput(), csvNumber(x.p50Ms()), csvNumber(x.p99Ms()), x.failed(),
                    csvNumber(x.throughputRatio()), csvNumber(x.p50Ratio()), csvNumber(x.p99Ratio())));
        }
        return s.toString();
    }

    private static String csvMs(long nanos) {
        return nanos < 0 ? "" : String.format(Locale.ROOT, "%.3f", nanos / 1e6);
    }

    private static String csvNumber(double v) {
        return Double.isNaN(v) || Double.isInfinite(v) ? "" : String.format(Locale.ROOT, "%.3f", v);
    }

    private static String ms(double v) {
        return Double.isNaN(v) ? "-" : String.format(Locale.ROOT, "%.3f", v);
    }

    private static String ratio(double v) {
        return Double.isNaN(v) || Double.isInfinite(v) ? "-" : String.format(Locale.ROOT, "%.2f", v);
    }

    private static String line(Cell c) {
        return String.format(Locale.ROOT, "round %d %-5s x%-2d %-10s %.1f req/s p50 %s p99 %s ms, failed %d",
                c.round() + 1, c.request(), c.clients(), c.transport(), c.throughput(), OpenLoopDriver.ms(c.latency(50)),
                OpenLoopDriver.ms(c.latency(99)), c.failed());
    }

    private static void log(String s) {
        System.err.println("[transport] " + s);
        System.err.flush();
    }
}
