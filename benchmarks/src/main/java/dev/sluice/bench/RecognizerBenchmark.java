package dev.sluice.bench;

import dev.sluice.Batching;
import dev.sluice.Deployment;
import dev.sluice.DeploymentHandle;
import dev.sluice.ModelContext;
import dev.sluice.Resources;
import dev.sluice.Sluice;
import dev.sluice.onnx.OnnxModel;
import dev.sluice.tensor.DataType;
import dev.sluice.tensor.Tensor;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.BrokenBarrierException;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Function;
import java.util.function.Supplier;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/**
 * The PaddleOCR recognizer ({@code ch_PP-OCRv4_rec_infer.onnx}, input {@code [n, 3, 48, W]} FP32) on CPU,
 * served by Sluice with batching against ONNX Runtime called directly one image at a time, on the same two
 * cores' worth of threads.
 *
 * <ul>
 *   <li>{@code sluice}: a {@link Sluice} runtime with {@code Resources.cpus(2)} and a deployment of
 *       {@link OnnxModel} with {@code replicas(2)}, each replica holding {@code cpus(1)}, which gives its
 *       ONNX Runtime session one intra-op thread; batching {@code --max-batch} (16), {@code --max-delay-ms}
 *       (2), policy {@code --policy} (adaptive, Sluice's default), queue capacity {@code --queue-capacity} (65536, so that no
 *       point rejects).
 *   <li>{@code direct}: {@link DirectOrtPool}, two threads each with its own {@code OrtSession} (one
 *       intra-op thread) taking single images from one shared queue. This is the fairer "no Sluice" baseline
 *       than {@code OnnxModel.predict(List.of(one))}: it pays none of the adapter's validation, stacking and
 *       output copies, so whatever Sluice wins here it wins against ONNX Runtime itself. The adapter's cost
 *       alone is measured beside it (see below). It copies the output once, into a heap {@code FloatBuffer};
 *       Sluice hands each request its own {@code Tensor}.
 * </ul>
 *
 * <p>Each side's open-loop sender, and Sluice's batch former, share the two cores with the model threads;
 * the report shows each side's sender lag (how late requests left) beside its latency.
 *
 * <p>Images are {@code [1, 3, 48, W]} with every value uniform in [-1, 1], {@code W} = {@code --widths}
 * (320); with several widths each request picks one uniformly, and Sluice pads a batch to its widest
 * image (the recognizer's output follows the width and is cropped back per request). {@code --images}
 * (16) images per width are made once and reused.
 *
 * <p>First, closed loop: the direct side's single-image capacity, two threads each running images back to
 * back on its own session ({@code --capacity-warmup-s} 1, then {@code --capacity-s} 5 measured), and the
 * same through {@code OnnxModel.predict} of one image per call, without a batcher
 * ({@code --adapter-capacity-s} 3; 0 skips it). Then, open loop, for each of {@code --loads}
 * (0.5,0.8,1.2,2.0) times the direct capacity: Poisson arrivals ({@link PhasedArrivals}) sent by an
 * {@link OpenLoopSender}, latency counted from each request's intended send time, {@code --warmup-s} (2)
 * at the load then {@code --duration-s} (8) measured; both sides run each point on the same arrival
 * schedule and image sequence, the order alternating from point to point. Before the first point each
 * side runs two rounds of {@code 2 x maxBatch} images sent at once, so the first point does not pay for
 * JIT compilation and ONNX Runtime's first runs. Above a side's capacity its queue grows through the whole
 * run, so its latency there measures the run's length rather than a steady state; its throughput is what
 * counts.
 *
 * <p>Prints a markdown table on stdout (progress on stderr): per load, both sides' throughput and
 * p50/p99, and the ratios sluice / direct; writes the same per load and side to
 * {@code recognizer-cpu.csv} and a plot of p50/p99 against offered load to {@code recognizer-cpu.svg} in
 * {@code --out} ({@code benchmarks/results}). {@code --help} lists the options. Run from the repository
 * root (the defaults take about 2.5 minutes; {@code scripts/fetch-models.sh} fetches the model):
 *
 * <pre>
 * mvn -q -B -o package -DskipTests -pl benchmarks -am
 * java -cp benchmarks/target/benchmarks.jar dev.sluice.bench.RecognizerBenchmark
 * java -cp benchmarks/target/benchmarks.jar dev.sluice.bench.RecognizerBenchmark --capacity-s 2 --adapter-capacity-s 1 --warmup-s 1 --duration-s 3 --out /tmp/rec   # smoke run
 * </pre>
 *
 * <p>Length: one benchmark program in one file: its options, both sides' set-up, the phases, the report and
 * the plots; the parts shared with other benchmarks (sender, plots, pools) are classes of their own.
 */
public final class RecognizerBenchmark {

    static final String MODEL_FILE = "ch_PP-OCRv4_rec_infer.onnx";
    static final int THREADS = 2;
    static final String SLUICE = "sluice";
    static final String DIRECT = "direct";

    /** Command-line options with their defaults. */
    static final class Options {
        Path model = defaultModel();
        int[] widths = {320};
        double[] loads = {0.5, 0.8, 1.2, 2.0};
        int maxBatch = 16;
        double maxDelayMs = 2;
        String policy = "adaptive";
        int queueCapacity = 65_536;
        double capacity = 0;
        double capacityWarmupS = 1;
        double capacityS = 5;
        double adapterCapacityS = 3;
        double warmupS = 2;
        double durationS = 8;
        double drainS = 120;
        int images = 16;
        long seed = 1;
        double senderSpinUs = 0;
        String out = "benchmarks/results";

        static Options parse(String[] args) {
            Options o = new Options();
            CommandLine.parse(args, Options::usage, Set.of(), (a, v) -> {
                switch (a) {
                    case "--model": o.model = Paths.get(v); break;
                    case "--widths": o.widths = Arrays.stream(v.split(",")).mapToInt(s -> Integer.parseInt(s.trim())).toArray(); break;
                    case "--loads": o.loads = Arrays.stream(v.split(",")).mapToDouble(s -> Double.parseDouble(s.trim())).sorted().distinct().toArray(); break;
                    case "--max-batch": o.maxBatch = Integer.parseInt(v); break;
                    case "--max-delay-ms": o.maxDelayMs = Double.parseDouble(v); break;
                    case "--policy": o.policy = v; break;
                    case "--queue-capacity": o.queueCapacity = Integer.parseInt(v); break;
                    case "--capacity": o.capacity = Double.parseDouble(v); break;
                    case "--capacity-warmup-s": o.capacityWarmupS = Double.parseDouble(v); break;
                    case "--capacity-s": o.capacityS = Double.parseDouble(v); break;
                    case "--adapter-capacity-s": o.adapterCapacityS = Double.parseDouble(v); break;
                    case "--warmup-s": o.warmupS = Double.parseDouble(v); break;
                    case "--duration-s": o.durationS = Double.parseDouble(v); break;
                    case "--drain-s": o.drainS = Double.parseDouble(v); break;
                    case "--images": o.images = Integer.parseInt(v); break;
                    case "--seed": o.seed = Long.parseLong(v); break;
                    case "--sender-spin-us": o.senderSpinUs = Double.parseDouble(v); break;
                    case "--out": o.out = v; break;
                    default: throw CommandLine.unknown(a);
                }
            });
            OpenLoopDriver.policy(o.policy); // validates
            if (o.widths.length == 0 || Arrays.stream(o.widths).anyMatch(w -> w < 1)) {
                throw new IllegalArgumentException("--widths takes positive widths, e.g. 320 or 160,320,480");
            }
            if (o.loads.length == 0 || Arrays.stream(o.loads).anyMatch(l -> !(l > 0) || Double.isInfinite(l))) {
                throw new IllegalArgumentException("--loads takes positive fractions of the capacity, e.g. 0.5,0.8,1.2,2.0");
            }
            if (o.maxBatch < 1 || o.images < 1 || o.queueCapacity < 1) {
                throw new IllegalArgumentException("--max-batch, --images and --queue-capacity must be at least 1");
            }
            if (!(o.maxDelayMs >= 0)) {
                throw new IllegalArgumentException("--max-delay-ms must not be negative");
            }
            if (!(o.capacity >= 0)) {
                throw new IllegalArgumentException("--capacity must be positive, or 0 to measure it");
            }
            if (o.capacity == 0 && !(o.capacityS > 0)) {
                throw new IllegalArgumentException("--capacity-s must be positive (or give --capacity)");
            }
            if (!(o.durationS > 0) || !(o.drainS > 0)) {
                throw new IllegalArgumentException("--duration-s and --drain-s must be positive");
            }
            if (o.warmupS < 0 || o.capacityWarmupS < 0 || o.adapterCapacityS < 0) {
                throw new IllegalArgumentException("warm-up and --adapter-capacity-s must not be negative");
            }
            return o;
        }

        static void usage() {
            System.out.println(String.join("\n",
                    "RecognizerBenchmark [options]: the PaddleOCR recognizer on CPU, Sluice (2 replicas x 1 thread,",
                    "batched) against 2 threads calling ONNX Runtime directly one image at a time; open-loop Poisson load",
                    "  --model PATH                      the recognizer (default: the cache of scripts/fetch-models.sh,",
                    "                                    " + defaultModel() + ")",
                    "  --widths 320                      image widths; several (160,320,480): each request picks one",
                    "  --images 16                       random images made per width, reused",
                    "  --loads 0.5,0.8,1.2,2.0           offered loads, fractions of the direct side's single-image capacity",
                    "  --capacity 0                      that capacity in images/s; 0: measure it (closed loop, 2 threads)",
                    "  --capacity-warmup-s 1 --capacity-s 5  its measurement: warm-up, then measured seconds",
                    "  --adapter-capacity-s 3            also measure OnnxModel.predict of one image per call (0: skip)",
                    "  --max-batch 16 --max-delay-ms 2   Sluice's batching",
                    "  --policy adaptive                 Sluice's batch policy: adaptive (its default), eager or fixed",
                    "  --queue-capacity 65536            Sluice's queue capacity (the direct side's queue is unbounded)",
                    "  --warmup-s 2 --duration-s 8       per load point and side: warm-up at the load, then measured seconds",
                    "  --drain-s 120                     the most to wait for a point's backlog before giving up",
                    "  --seed 1                          seed of the schedule and image sequence (point i uses seed + i)",
                    "  --sender-spin-us 0                sender: park, then spin the last N us before a send",
                    "  --out benchmarks/results          where recognizer-cpu.csv and recognizer-cpu.svg go"));
        }

        Duration maxDelay() {
            return Duration.ofNanos(OpenLoopDriver.micros(maxDelayMs * 1000));
        }

        String widthsText() {
            return Arrays.stream(widths).mapToObj(Integer::toString).reduce((x, y) -> x + "," + y).orElse("");
        }
    }

    static Path defaultModel() {
        String cache = System.getenv().getOrDefault("SLUICE_MODEL_CACHE",
                System.getProperty("user.home") + "/.cache/sluice/models");
        return Paths.get(cache, "ocr-models-1.4.2", MODEL_FILE);
    }

    // ------------------------------------------------------------------ rate math

    /** Images per second from {@code images} completed in {@code nanos}. */
    static double perSecond(long images, long nanos) {
        if (nanos <= 0) {
            throw new IllegalArgumentException("the measured time must be positive, was " + nanos + " ns");
        }
        return images * 1e9 / nanos;
    }

    /** The Poisson rate that offers {@code load} times {@code capacity} (images per second). */
    static double offeredRate(double load, double capacity) {
        if (!(capacity > 0) || Double.isInfinite(capacity)) {
            throw new IllegalArgumentException("capacity must be positive and finite, was " + capacity);
        }
        if (!(load > 0) || Double.isInfinite(load)) {
            throw new IllegalArgumentException("load must be positive and finite, was " + load);
        }
        return load * capacity;
    }

    /** {@code a / b} for latencies in nanoseconds; NaN when either side measured nothing (-1). */
    static double ratio(double a, double b) {
        return a < 0 || b <= 0 ? Double.NaN : a / b;
    }

    // ------------------------------------------------------------------ the sides

    /**
     * One side of the comparison.
     *
     * @param <T> what one request sends (an image here; {@link OcrBenchmark} sends a page's index)
     * @param name its name in the output
     * @param submit takes one request; the future completes with its output
     * @param batchCounters {batches run, images run} so far (the direct side runs one image per call)
     */
    record Side<T>(String name, Function<T, CompletableFuture<?>> submit, Supplier<long[]> batchCounters) {}

    /**
     * How long one side runs at one load point: {@code warmupS} at the load, then {@code durationS} measured;
     * at most {@code drainS} to wait for the backlog after the last send; the sender spins the last
     * {@code senderSpinUs} before each send.
     */
    record Phases(double warmupS, double durationS, double drainS, double senderSpinUs) {}

    /**
     * What one side measured at one load point, over its measured window; {@code sideCounters} is how much each
     * of the side's {@code batchCounters} grew over it ({@code batches} and {@code items} are its first two).
     */
    record Point(String side, double load, double offered, double seconds, long completed, long rejected,
            long failed, long batches, long items, Histogram latency, Histogram senderLag, long[] sideCounters) {

        Point(String side, double load, double offered, double seconds, long completed, long rejected, long failed,
                long batches, long items, Histogram latency, Histogram senderLag) {
            this(side, load, offered, seconds, completed, rejected, failed, batches, items, latency, senderLag,
                    new long[] {batches, items});
        }

        double throughput() {
            return completed / seconds;
        }

        double meanBatch() {
            return batches == 0 ? 0 : (double) items / batches;
        }

        /** Latency at {@code percentile}, in nanoseconds; -1 if nothing was measured. */
        long latency(double percentile) {
            return latency.getTotalCount() == 0 ? -1 : latency.getValueAtPercentile(percentile);
        }

        long lag(double percentile) {
            return senderLag.getTotalCount() == 0 ? -1 : senderLag.getValueAtPercentile(percentile);
        }
    }

    /** Runs one image on {@code runner}, on the calling thread. */
    @FunctionalInterface
    interface ImageCall<R> {
        void run(R runner, Tensor image) throws Exception;
    }

    private final Options o;
    private final RecognizerImages images;
    private final String input;
    private final String output;

    RecognizerBenchmark(Options o, RecognizerImages images, String input, String output) {
        this.o = o;
        this.images = images;
        this.input = input;
        this.output = output;
    }

    public static void main(String[] args) throws Exception {
        Options o = Options.parse(args);
        if (!Files.isRegularFile(o.model)) {
            throw new IllegalArgumentException("no model at " + o.model + ": run scripts/fetch-models.sh, or give --model");
        }
        String input;
        String output;
        try (OnnxModel m = OnnxModel.builder(o.model).open(ModelContext.forTest("rec"))) {
            dev.sluice.tensor.TensorSpec in = m.signature().inputs().get(0);
            long[] shape = in.shape();
            if (m.signature().inputs().size() != 1 || in.type() != DataType.FP32 || shape.length != 4 || shape[1] != 3
                    || shape[2] != RecognizerImages.HEIGHT) {
                throw new IllegalArgumentException(o.model + " takes " + m.signature().inputs() + ", not one [n, 3, 48, W] FP32 input");
            }
            input = in.name();
            output = m.signature().outputs().get(0).name();
            log("model " + o.model.getFileName() + ": inputs " + m.signature().inputs() + ", outputs " + m.signature().outputs());
        }
        RecognizerImages images = new RecognizerImages(input, o.widths, o.images, o.seed);
        new RecognizerBenchmark(o, images, input, output).runAll();
    }

    void runAll() throws Exception {
        String loadBefore = OpenLoopDriver.loadAverage();
        double capacity = o.capacity;
        if (capacity == 0) {
            capacity = closedLoopCapacity(() -> new DirectOrtPool.Session(o.model, input), DirectOrtPool.Session::run,
                    o.capacityWarmupS, o.capacityS);
            log(String.format(Locale.ROOT, "direct single-image capacity (closed loop, %d threads): %.1f img/s",
                    THREADS, capacity));
        }
        double adapter = Double.NaN;
        if (o.adapterCapacityS > 0) {
            OnnxModel.Builder b = OnnxModel.builder(o.model);
            adapter = closedLoopCapacity(() -> b.open(ModelContext.forTest("rec")),
                    (m, image) -> m.predict(List.of(Map.of(input, image))), o.capacityWarmupS, o.adapterCapacityS);
            log(String.format(Locale.ROOT, "OnnxModel.predict single-image capacity (closed loop, %d threads): %.1f img/s",
                    THREADS, adapter));
        }

        OpenLoopDriver.BatchStats stats = new OpenLoopDriver.BatchStats();
        List<Point> points = new ArrayList<>();
        try (Sluice sluice = Sluice.builder().resources(Resources.builder().cpus(THREADS).build()).build();
                DirectOrtPool pool = new DirectOrtPool(o.model, input, THREADS)) {
            DeploymentHandle<Map<String, Tensor>, Map<String, Tensor>> h = sluice.deploy(
                    Deployment.<Map<String, Tensor>, Map<String, Tensor>>builder("rec",
                                    OnnxModel.builder(o.model).follow(output, 1, input, 3).factory())
                            .replicas(THREADS)
                            .resources(r -> r.cpus(1))
                            .batching(batching(stats))
                            .build());
            h.awaitReady(Duration.ofSeconds(120));
            Side<Tensor> sluiceSide = new Side<>(SLUICE, image -> h.submit(Map.of(input, image)), () -> {
                long[] b = stats.snapshot();
                return new long[] {b[0], b[1]};
            });
            LongAdder sent = new LongAdder();
            Side<Tensor> directSide = new Side<>(DIRECT, image -> {
                sent.increment();
                return pool.submit(image);
            }, () -> new long[] {sent.sum(), sent.sum()});
            prime(sluiceSide);
            prime(directSide);
            for (int i = 0; i < o.loads.length; i++) {
                double rate = offeredRate(o.loads[i], capacity);
                long seed = o.seed + i;
                log(String.format(Locale.ROOT, "load %.2f: %.1f img/s offered", o.loads[i], rate));
                // Alternate the order, so that a machine that slows down over the run does not favour one side.
                List<Side<Tensor>> order = i % 2 == 0 ? List.of(sluiceSide, directSide) : List.of(directSide, sluiceSide);
                for (Side<Tensor> side : order) {
                    Point p = measure(side, o.loads[i], rate, seed);
                    points.add(p);
                    log(summary(p));
                }
            }
        }
        System.out.print(report(points, capacity, adapter));
        Path dir = Paths.get(o.out);
        Files.createDirectories(dir);
        Path csv = dir.resolve("recognizer-cpu.csv");
        Path svg = dir.resolve("recognizer-cpu.svg");
        Files.write(csv, csv(points).getBytes(StandardCharsets.UTF_8));
        Files.write(svg, plot(points, capacity).getBytes(StandardCharsets.UTF_8));
        System.out.println("Wrote " + csv.toAbsolutePath() + " and " + svg.toAbsolutePath());
        System.out.println(OpenLoopDriver.loadLine(loadBefore));
        System.out.flush();
    }

    private Batching batching(OpenLoopDriver.BatchStats stats) {
        return Batching.builder().maxBatchSize(o.maxBatch).maxDelay(o.maxDelay()).queueCapacity(o.queueCapacity)
                .policy(() -> OpenLoopDriver.policy(o.policy)).observer(stats).build();
    }

    /**
     * Images per second of {@link #THREADS} threads, each running images back to back on a runner of its own
     * (opened on that thread, closed after): the images finished in {@code seconds} after {@code warmupS}.
     */
    <R extends AutoCloseable> double closedLoopCapacity(Callable<R> open, ImageCall<R> call, double warmupS,
            double seconds) throws Exception {
        CyclicBarrier opened = new CyclicBarrier(THREADS + 1);
        AtomicReference<Exception> failure = new AtomicReference<>();
        long[] counts = new long[THREADS];
        long[] window = new long[2];
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < THREADS; t++) {
            int index = t;
            Supplier<Tensor> next = images.sequence(o.seed + 1000 + t);
            Thread thread = new Thread(() -> {
                try (R runner = open.call()) {
                    opened.await();
                    opened.await(); // the main thread has set the window
                    long from = window[0];
                    long to = window[1];
                    long n = 0;
                    while (true) {
                        call.run(runner, next.get());
                        long now = System.nanoTime();
                        if (now - to >= 0) {
                            break;
                        }
                        if (now - from >= 0) {
                            n++;
                        }
                    }
                    counts[index] = n;
                } catch (Exception e) {
                    failure.compareAndSet(null, e);
                    opened.reset();
                }
            }, "capacity-" + t);
            threads.add(thread);
            thread.start();
        }
        try {
            opened.await();
            window[0] = System.nanoTime() + OpenLoopDriver.secondsToNanos(warmupS);
            window[1] = window[0] + OpenLoopDriver.secondsToNanos(seconds);
            opened.await();
        } catch (BrokenBarrierException e) {
            // a runner failed to open; reported below
        }
        for (Thread t : threads) {
            t.join();
        }
        if (failure.get() != null) {
            throw failure.get();
        }
        return perSecond(Arrays.stream(counts).sum(), window[1] - window[0]);
    }

    /**
     * Sends two rounds of {@code 2 x maxBatch} images at once through {@code side} and waits for them, so that
     * its first load point does not pay for JIT compilation and ONNX Runtime's first runs (its memory arena
     * grows to the largest batch then).
     */
    private void prime(Side<Tensor> side) throws Exception {
        Supplier<Tensor> next = images.sequence(o.seed - 1);
        long t0 = System.nanoTime();
        for (int round = 0; round < 2; round++) {
            List<CompletableFuture<?>> all = new ArrayList<>();
            for (int i = 0; i < THREADS * o.maxBatch; i++) {
                all.add(side.submit().apply(next.get()));
            }
            CompletableFuture.allOf(all.toArray(CompletableFuture[]::new)).get(120, TimeUnit.SECONDS);
        }
        log(String.format(Locale.ROOT, "primed %s: 2 x %d images in %.1f s", side.name(), THREADS * o.maxBatch,
                (System.nanoTime() - t0) / 1e9));
    }

    /** One open-loop run of {@code side} at {@code rate}, on the schedule and image sequence of {@code seed}. */
    Point measure(Side<Tensor> side, double load, double rate, long seed) throws InterruptedException {
        return measure(side, load, rate, seed, images.sequence(seed),
                new Phases(o.warmupS, o.durationS, o.drainS, o.senderSpinUs));
    }

    /**
     * One open-loop run of {@code side} at {@code rate} on the Poisson schedule of {@code seed}, sending
     * {@code next}'s inputs in turn: {@code phases.warmupS()} at the load, then {@code phases.durationS()}
     * measured, then the backlog waited for.
     *
     * @throws IllegalStateException if requests are still outstanding {@code phases.drainS()} after the last send
     */
    static <T> Point measure(Side<T> side, double load, double rate, long seed, Supplier<T> next, Phases phases)
            throws InterruptedException {
        Recorder latency = new Recorder(3);
        Recorder lag = new Recorder(3);
        long start = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(5);
        long measureStart = start + OpenLoopDriver.secondsToNanos(phases.warmupS());
        long end = measureStart + OpenLoopDriver.secondsToNanos(phases.durationS());
        OpenLoopSender sender = new OpenLoopSender(side.name() + "-sender",
                PhasedArrivals.constant(rate, end - start, seed), start, OpenLoopDriver.micros(phases.senderSpinUs()),
                () -> side.submit().apply(next.get()), OpenLoopSender.measuredFrom(measureStart, latency, lag));
        sender.start();
        OpenLoopDriver.sleepUntilNanoTime(measureStart);
        long[] before = counters(sender, side);
        OpenLoopDriver.sleepUntilNanoTime(end);
        long[] after = counters(sender, side);
        sender.join();
        if (!sender.awaitOutstanding(OpenLoopDriver.secondsToNanos(phases.drainS()))) {
            // Their latencies would be missing from the percentiles, and they would run into the next point.
            throw new IllegalStateException(side.name() + " at load " + load + ": " + sender.outstanding()
                    + " requests still outstanding " + phases.drainS() + " s after the last send; lower the loads or"
                    + " --duration-s, or raise --drain-s");
        }
        long[] grew = new long[after.length - 4];
        for (int i = 0; i < grew.length; i++) {
            grew[i] = after[4 + i] - before[4 + i];
        }
        return new Point(side.name(), load, rate, (after[0] - before[0]) / 1e9, after[1] - before[1],
                after[2] - before[2], after[3] - before[3], grew[0], grew[1],
                latency.getIntervalHistogram(), lag.getIntervalHistogram(), grew);
    }

    /** {nanoTime, completed, rejected, failed, then the side's batch counters}, read once. */
    private static long[] counters(OpenLoopSender sender, Side<?> side) {
        long[] b = side.batchCounters().get();
        long[] c = new long[4 + b.length];
        c[0] = System.nanoTime();
        c[1] = sender.completed.sum();
        c[2] = sender.rejected.sum();
        c[3] = sender.failed.sum();
        System.arraycopy(b, 0, c, 4, b.length);
        return c;
    }

    // ------------------------------------------------------------------ output

    private static String summary(Point p) {
        return String.format(Locale.ROOT, "%-6s load %.2f offered %.1f got %.1f img/s p50 %s p99 %s p99.9 %s ms,"
                        + " batch %.2f, sender lag p99 %s ms, rejected %d, failed %d",
                p.side(), p.load(), p.offered(), p.throughput(), OpenLoopDriver.ms(p.latency(50)),
                OpenLoopDriver.ms(p.latency(99)), OpenLoopDriver.ms(p.latency(99.9)), p.meanBatch(),
                OpenLoopDriver.ms(p.lag(99)), p.rejected(), p.failed());
    }

    String report(List<Point> points, double capacity, double adapter) {
        StringBuilder out = new StringBuilder();
        out.append(String.format(Locale.ROOT, "%nPaddleOCR recognizer on CPU (%s, input [n, 3, 48, W] FP32): W = %s,"
                        + " every value uniform in [-1, 1], %d image(s) per width reused. %d CPU(s).%n",
                o.model.getFileName(), o.widthsText(), o.images, Runtime.getRuntime().availableProcessors()));
        out.append(String.format(Locale.ROOT, "Direct single-image capacity: %.1f img/s (%s). Through"
                        + " OnnxModel.predict of one image per call, same threads, no batcher: %s.%n",
                capacity, o.capacity > 0 ? "given with --capacity" : String.format(Locale.ROOT,
                        "closed loop, %d threads each with its own OrtSession, 1 intra-op thread, images back to back,"
                                + " %.0f s after %.0f s of warm-up", THREADS, o.capacityS, o.capacityWarmupS),
                Double.isNaN(adapter) ? "not measured" : String.format(Locale.ROOT, "%.1f img/s (%.2fx)", adapter,
                        adapter / capacity)));
        out.append(String.format(Locale.ROOT, "sluice: Resources cpus(%d), OnnxModel replicas(%d) x cpus(1) (1 intra-op"
                        + " thread each), maxBatchSize %d, maxDelay %s ms, policy %s, queueCapacity %d. direct: %d"
                        + " threads, each its own OrtSession (1 intra-op thread), one shared unbounded queue, one image"
                        + " per run, output copied once to a heap FloatBuffer.%n",
                THREADS, THREADS, o.maxBatch, SvgPlot.number(o.maxDelayMs), o.policy, o.queueCapacity, THREADS));
        out.append(String.format(Locale.ROOT, "Open loop, Poisson arrivals, latency from the intended send time; per"
                        + " point and side %s s at the load, then %s s measured; both sides on the same schedule and"
                        + " image sequence (seed %d + point), order alternating. Latency in ms.%n%n",
                SvgPlot.number(o.warmupS), SvgPlot.number(o.durationS), o.seed));
        out.append("| load | offered img/s | sluice img/s | direct img/s | sluice p50 | direct p50 | sluice p99 "
                + "| direct p99 | p50 sluice/direct | p99 sluice/direct | sluice mean batch | sender lag p99 sluice/direct "
                + "| rejected+failed |\n");
        out.append("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|\n");
        for (Point[] pair : pairs(points)) {
            Point s = pair[0];
            Point d = pair[1];
            out.append(String.format(Locale.ROOT, "| %.2f | %.1f | %.1f | %.1f | %s | %s | %s | %s | %s | %s | %.2f | %s / %s | %d |%n",
                    s.load(), s.offered(), s.throughput(), d.throughput(), OpenLoopDriver.ms(s.latency(50)),
                    OpenLoopDriver.ms(d.latency(50)), OpenLoopDriver.ms(s.latency(99)), OpenLoopDriver.ms(d.latency(99)),
                    ratioText(s.latency(50), d.latency(50)), ratioText(s.latency(99), d.latency(99)), s.meanBatch(),
                    OpenLoopDriver.ms(s.lag(99)), OpenLoopDriver.ms(d.lag(99)),
                    s.rejected() + s.failed() + d.rejected() + d.failed()));
        }
        out.append("\nAbove a side's capacity its queue grows through warm-up and measurement: its latency there"
                + " measures the run's length, its throughput what it can do.\n\n");
        return out.toString();
    }

    private static String ratioText(long a, long b) {
        double r = ratio(a, b);
        return Double.isNaN(r) ? "-" : String.format(Locale.ROOT, "%.2f", r);
    }

    /** The points as {sluice, direct} pairs, in load order. */
    static List<Point[]> pairs(List<Point> points) {
        List<Point[]> pairs = new ArrayList<>();
        for (Point p : points) {
            if (!p.side().equals(SLUICE)) {
                continue;
            }
            for (Point q : points) {
                if (q.side().equals(DIRECT) && q.load() == p.load()) {
                    pairs.add(new Point[] {p, q});
                    break;
                }
            }
        }
        return pairs;
    }

    /** One row per load point and side, by load, sluice before direct; latencies empty where nothing was measured. */
    static String csv(List<Point> points) {
        StringBuilder s = new StringBuilder("load,offered_img_s,side,throughput_img_s,p50_ms,p99_ms,p999_ms,"
                + "mean_batch,completed,rejected,failed,sender_lag_p99_ms\n");
        List<Point> sorted = new ArrayList<>(points);
        sorted.sort(Comparator.comparingDouble(Point::load).thenComparing(p -> !p.side().equals(SLUICE)));
        for (Point p : sorted) {
            s.append(String.format(Locale.ROOT, "%.3f,%.2f,%s,%.2f,%s,%s,%s,%.3f,%d,%d,%d,%s%n", p.load(), p.offered(),
                    p.side(), p.throughput(), csvMs(p.latency(50)), csvMs(p.latency(99)), csvMs(p.latency(99.9)),
                    p.meanBatch(), p.completed(), p.rejected(), p.failed(), csvMs(p.lag(99))));
        }
        return s.toString();
    }

    private static String csvMs(long nanos) {
        return nanos < 0 ? "" : String.format(Locale.ROOT, "%.3f", nanos / 1e6);
    }

    String plot(List<Point> points, double capacity) {
        List<LoadLatencyPlot.Series> series = new ArrayList<>();
        for (String side : List.of(SLUICE, DIRECT)) {
            List<Point> mine = points.stream().filter(p -> p.side().equals(side)).toList();
            Function<Double, double[]> ms = pct -> mine.stream().mapToDouble(p -> p.latency(pct) / 1e6).toArray();
            series.add(new LoadLatencyPlot.Series(
                    side.equals(SLUICE) ? String.format(Locale.ROOT, "Sluice (batch \u2264 %d)", o.maxBatch)
                            : "ORT direct (1 image)",
                    side.equals(SLUICE) ? "#1f5fbf" : "#d07020",
                    mine.stream().mapToDouble(Point::load).toArray(), ms.apply(50.0), ms.apply(99.0)));
        }
        String subtitle = String.format(Locale.ROOT, "2 threads each: Sluice replicas(2) x cpus(1), maxDelay %s ms, %s;"
                        + " W = %s; %s s measured per point", SvgPlot.number(o.maxDelayMs), o.policy, o.widthsText(),
                SvgPlot.number(o.durationS));
        return LoadLatencyPlot.svg("PaddleOCR recognizer on CPU: Sluice batched vs ONNX Runtime direct", subtitle,
                String.format(Locale.ROOT, "offered load, x the direct side's single-image capacity (%.1f img/s)",
                        capacity), series);
    }

    private static void log(String s) {
        System.err.println("[recognizer] " + s);
        System.err.flush();
    }
}
