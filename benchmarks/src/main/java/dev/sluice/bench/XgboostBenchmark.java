package dev.sluice.bench;

import dev.sluice.Deployment;
import dev.sluice.DeploymentHandle;
import dev.sluice.ModelContext;
import dev.sluice.Resources;
import dev.sluice.Sluice;
import dev.sluice.xgboost.Features;
import dev.sluice.xgboost.Prediction;
import dev.sluice.xgboost.XgboostModel;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;
import java.util.function.Supplier;
import ml.dmlc.xgboost4j.java.Booster;
import ml.dmlc.xgboost4j.java.DMatrix;
import ml.dmlc.xgboost4j.java.XGBoost;
import ml.dmlc.xgboost4j.java.XGBoostError;

/**
 * Tabular scoring with XGBoost on CPU (issue 14's targets): Sluice with its defaults against the careful
 * per-request baseline, in one run.
 *
 * <ul>
 *   <li>The model: {@code --trees} (300) trees of depth {@code --depth} (6) on {@code --features} (30),
 *       {@code binary:logistic}, trained at start by xgboost4j with {@code nthread} 1 on synthetic rows with a
 *       fixed seed and written to a temporary JSON file that both sides load ({@code --model PATH} uses a given
 *       model instead).
 *   <li>{@code direct}: {@code --threads} (this machine's cores) threads of a {@link ThreadConfinedPool}, each
 *       with its own {@code Booster} ({@code nthread} 1) taking one row at a time from one shared queue, through
 *       the faster of xgboost4j's two single-row paths ({@code inplace_predict} of one row, or a one-row
 *       {@code DMatrix} and {@code predict}), chosen by a short measurement at start and printed.
 *   <li>{@code sluice}: a {@link Sluice} runtime with {@link Resources#detect()} and one deployment of
 *       {@link XgboostModel} with Sluice's defaults (the default batching, its adaptive policy included), as many
 *       replicas as {@code --threads}, each call {@code cpus(1)}; each request one {@code Features.of(row)}.
 * </ul>
 *
 * <p>First, 64 rows are scored as one batch by {@link XgboostModel} and one by one by the direct path; any
 * difference aborts the run. Then saturation, closed loop: {@code --capacity-rounds} (2) rounds, sides
 * alternating, each {@code --capacity-warmup-s} (1) then {@code --capacity-s} (4) measured, the direct side
 * with {@code 2 x threads} rows in flight and Sluice with {@code --sluice-window} (1024); each side's best
 * round counts (others' work on shared cores only slows a round down). Then open loop, Poisson arrivals,
 * latency from the intended send time, {@code --warmup-s} (2) then {@code --duration-s} (8) measured per point
 * and side, both sides on the same schedule and rows, order alternating: at {@code --loads}
 * (0.1,0.25,0.5,0.9) times Sluice's saturation, and at the direct side's saturation rate. The direct side is
 * not run at points above {@code --direct-max-load} (1.0) times its own saturation: its queue would only grow,
 * and draining it would take most of the run.
 *
 * <p>Prints a markdown report (progress on stderr) with a "target met/missed" line for each of issue 14's
 * targets, and writes {@code xgboost-cpu.csv} and {@code xgboost-cpu.svg} to {@code --out}
 * ({@code benchmarks/results}). The defaults take about 3 minutes on 2 cores:
 *
 * <pre>
 * mvn -q -B -o package -DskipTests -pl benchmarks -am
 * java -cp benchmarks/target/benchmarks.jar dev.sluice.bench.XgboostBenchmark
 * </pre>
 */
public final class XgboostBenchmark {

    static final String SLUICE = RecognizerBenchmark.SLUICE;
    static final String DIRECT = RecognizerBenchmark.DIRECT;
    /** Rows scored both ways before anything is measured. */
    static final int CHECKED_ROWS = 64;
    /** Issue 14: Sluice's saturation at least this many times the direct side's. */
    static final double TARGET_RATIO = 5;
    /** Issue 14: Sluice's p99 at half its own saturation at most this (2 ms). */
    static final long TARGET_P99_NANOS = 2_000_000;
    /** The load (fraction of Sluice's saturation) of the p99 target. */
    static final double TARGET_LOAD = 0.5;

    /** Command-line options with their defaults. */
    static final class Options {
        Path model;
        int trees = 300;
        int depth = 6;
        int features = 30;
        int trainRows = 10_000;
        int rows = 4096;
        int threads = Runtime.getRuntime().availableProcessors();
        double[] loads = {0.1, 0.25, 0.5, 0.9};
        double directMaxLoad = 1.0;
        int sluiceWindow = 1024;
        int capacityRounds = 2;
        double capacityWarmupS = 1;
        double capacityS = 4;
        double pickS = 0.5;
        double warmupS = 2;
        double durationS = 8;
        double drainS = 60;
        long seed = 1;
        String out = "benchmarks/results";

        static Options parse(String[] args) {
            Options o = new Options();
            CommandLine.parse(args, Options::usage, Set.of(), (a, v) -> {
                switch (a) {
                    case "--model": o.model = Paths.get(v); break;
                    case "--trees": o.trees = Integer.parseInt(v); break;
                    case "--depth": o.depth = Integer.parseInt(v); break;
                    case "--features": o.features = Integer.parseInt(v); break;
                    case "--train-rows": o.trainRows = Integer.parseInt(v); break;
                    case "--rows": o.rows = Integer.parseInt(v); break;
                    case "--threads": o.threads = Integer.parseInt(v); break;
                    case "--loads": o.loads = Arrays.stream(v.split(",")).mapToDouble(s -> Double.parseDouble(s.trim())).sorted().distinct().toArray(); break;
                    case "--direct-max-load": o.directMaxLoad = Double.parseDouble(v); break;
                    case "--sluice-window": o.sluiceWindow = Integer.parseInt(v); break;
                    case "--capacity-rounds": o.capacityRounds = Integer.parseInt(v); break;
                    case "--capacity-warmup-s": o.capacityWarmupS = Double.parseDouble(v); break;
                    case "--capacity-s": o.capacityS = Double.parseDouble(v); break;
                    case "--pick-s": o.pickS = Double.parseDouble(v); break;
                    case "--warmup-s": o.warmupS = Double.parseDouble(v); break;
                    case "--duration-s": o.durationS = Double.parseDouble(v); break;
                    case "--drain-s": o.drainS = Double.parseDouble(v); break;
                    case "--seed": o.seed = Long.parseLong(v); break;
                    case "--out": o.out = v; break;
                    default: throw CommandLine.unknown(a);
                }
            });
            if (o.trees < 1 || o.depth < 1 || o.features < 1 || o.threads < 1 || o.sluiceWindow < 1
                    || o.capacityRounds < 1) {
                throw new IllegalArgumentException("--trees, --depth, --features, --threads, --sluice-window and"
                        + " --capacity-rounds must be at least 1");
            }
            if (o.rows < CHECKED_ROWS || o.trainRows < 2) {
                throw new IllegalArgumentException("--rows must be at least " + CHECKED_ROWS
                        + " (the rows checked at start) and --train-rows at least 2");
            }
            if (o.loads.length == 0 || Arrays.stream(o.loads).anyMatch(l -> !(l > 0) || Double.isInfinite(l))) {
                throw new IllegalArgumentException("--loads takes positive fractions of Sluice's saturation, e.g. 0.1,0.25,0.5,0.9");
            }
            if (!(o.directMaxLoad > 0) || Double.isInfinite(o.directMaxLoad)) {
                throw new IllegalArgumentException("--direct-max-load must be positive and finite, was " + o.directMaxLoad);
            }
            if (!(o.capacityS > 0) || !(o.durationS > 0) || !(o.drainS > 0) || !(o.pickS > 0)) {
                throw new IllegalArgumentException("--capacity-s, --duration-s, --drain-s and --pick-s must be positive");
            }
            if (!(o.warmupS >= 0) || !(o.capacityWarmupS >= 0)) {
                throw new IllegalArgumentException("--warmup-s and --capacity-warmup-s must not be negative");
            }
            if (o.model != null && !Files.isRegularFile(o.model)) {
                throw new IllegalArgumentException("--model " + o.model + " is not a file");
            }
            return o;
        }

        static void usage() {
            System.out.println(String.join("\n",
                    "XgboostBenchmark [options]: XGBoost binary:logistic on CPU, Sluice with its defaults (batched) against",
                    "one Booster per thread called directly one row at a time; closed-loop saturation, then open-loop Poisson load",
                    "  --model PATH                      an XGBoost JSON/UBJSON model (default: train one at start)",
                    "  --trees 300 --depth 6 --features 30   the model trained at start (nthread 1, fixed seed)",
                    "  --train-rows 10000                its synthetic training rows",
                    "  --rows 4096                       synthetic request rows made once and reused",
                    "  --threads N                       direct threads and Sluice replicas (default: this machine's cores)",
                    "  --loads 0.1,0.25,0.5,0.9          offered loads, fractions of Sluice's saturation (plus one point at",
                    "                                    the direct side's saturation rate)",
                    "  --direct-max-load 1.0             run the direct side only up to this x its own saturation",
                    "  --sluice-window 1024              Sluice's requests in flight in the closed loop",
                    "  --capacity-rounds 2               closed-loop rounds, sides alternating; each side's best round counts",
                    "  --capacity-warmup-s 1 --capacity-s 4  per round and side: warm-up, then measured seconds",
                    "  --pick-s 0.5                      seconds measuring each single-row path to pick the faster",
                    "  --warmup-s 2 --duration-s 8       per load point and side: warm-up at the load, then measured seconds",
                    "  --drain-s 60                      the most to wait for a point's backlog before giving up",
                    "  --seed 1                          seed of the rows and schedules (point i uses seed + i)",
                    "  --out benchmarks/results          where xgboost-cpu.csv and xgboost-cpu.svg go"));
        }

        /** Seconds the run plans to take, not counting training, drains and points the direct side skips. */
        double plannedSeconds() {
            return 2 * pickS + capacityRounds * 2 * (capacityWarmupS + capacityS)
                    + (loads.length + 1) * 2 * (warmupS + durationS);
        }
    }

    // ------------------------------------------------------------------ model and rows

    /** {@code n} rows of {@code features} values, row-major: Gaussian, one value in 50 missing (NaN). */
    static float[] rows(int n, int features, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] x = new float[n * features];
        for (int i = 0; i < x.length; i++) {
            x[i] = r.nextInt(50) == 0 ? Float.NaN : (float) r.nextGaussian();
        }
        return x;
    }

    /** Row {@code i} of {@code data}. */
    static float[] row(float[] data, int features, int i) {
        return Arrays.copyOfRange(data, i * features, (i + 1) * features);
    }

    /**
     * Trains the model: a label from a few features, non-linear and noisy, so that the trees grow to their depth;
     * one thread and a fixed seed make it the same model every run.
     */
    static byte[] train(Options o) throws XGBoostError, IOException {
        float[] x = rows(o.trainRows, o.features, o.seed + 7777);
        float[] y = new float[o.trainRows];
        SplittableRandom noise = new SplittableRandom(o.seed + 8888);
        for (int i = 0; i < o.trainRows; i++) {
            double s = 0;
            for (int f = 0; f < Math.min(o.features, 8); f++) {
                float v = x[i * o.features + f];
                s += Float.isNaN(v) ? 0 : (f % 2 == 0 ? v : v * v - 1) / (f + 1);
            }
            y[i] = s + 0.5 * noise.nextGaussian() > 0 ? 1 : 0;
        }
        DMatrix m = new DMatrix(x, o.trainRows, o.features, Float.NaN);
        try {
            m.setLabel(y);
            Map<String, Object> params = new HashMap<>();
            params.put("objective", "binary:logistic");
            params.put("max_depth", o.depth);
            params.put("eta", 0.1);
            params.put("nthread", 1);
            params.put("seed", 7);
            Booster b = XGBoost.train(m, params, o.trees, new HashMap<>(), null, null);
            try {
                return b.toByteArray("json");
            } finally {
                b.dispose();
            }
        } finally {
            m.dispose();
        }
    }

    // ------------------------------------------------------------------ the direct side

    /** One thread's {@code Booster} ({@code nthread} 1) and the single-row path it uses. Not thread-safe. */
    static final class DirectBooster implements AutoCloseable {
        private static final int[] ALL_TREES = {0, 0};
        private final Booster booster;
        private final int features;
        private final boolean inplace;

        DirectBooster(byte[] model, int features, boolean inplace) throws XGBoostError, IOException {
            this.booster = XGBoost.loadModel(model);
            this.features = features;
            this.inplace = inplace;
            booster.setParam("nthread", 1);
        }

        /** The model's output for one row. */
        float score(float[] row) throws XGBoostError {
            if (inplace) {
                return booster.inplace_predict(row, 1, features, Float.NaN, ALL_TREES, Booster.PredictionType.kValue,
                        null)[0][0];
            }
            DMatrix m = new DMatrix(row, 1, features, Float.NaN);
            try {
                return booster.predict(m)[0][0];
            } finally {
                m.dispose();
            }
        }

        @Override
        public void close() {
            booster.dispose();
        }
    }

    /** Rows per second of {@code b} scoring rows of {@code data} one by one on this thread for {@code seconds}. */
    static double singleRowRate(DirectBooster b, float[] data, int features, int rowCount, double seconds)
            throws XGBoostError {
        long end = System.nanoTime() + OpenLoopDriver.secondsToNanos(seconds);
        long start = System.nanoTime();
        long n = 0;
        float sink = 0;
        while (System.nanoTime() - end < 0) {
            sink += b.score(row(data, features, (int) (n % rowCount)));
            n++;
        }
        if (sink == Float.MAX_VALUE) {
            log("unlikely sum"); // keeps the scores from being optimised away
        }
        return RecognizerBenchmark.perSecond(n, System.nanoTime() - start);
    }

    // ------------------------------------------------------------------ targets

    /**
     * The three target lines of issue 14.
     *
     * @param sluiceSat Sluice's saturation, rows/s
     * @param directSat the direct side's
     * @param sluiceP99Half Sluice's p99 at {@link #TARGET_LOAD} of its saturation, ns (-1: not measured)
     * @param sluiceP99AtDirect Sluice's p99 at the direct side's saturation rate, ns (-1: not measured)
     * @param directP99AtDirect the direct side's p99 there, ns (-1: not measured)
     */
    static String targets(double sluiceSat, double directSat, long sluiceP99Half, long sluiceP99AtDirect,
            long directP99AtDirect) {
        double ratio = sluiceSat / directSat;
        StringBuilder s = new StringBuilder();
        s.append(String.format(Locale.ROOT, "- Saturation >= %.0fx the direct side's: %.3fx (%.1f / %.1f rows/s): target %s%n",
                TARGET_RATIO, ratio, sluiceSat, directSat, ratio >= TARGET_RATIO ? "met" : "missed"));
        s.append(String.format(Locale.ROOT, "- p99 at %.0f%% of Sluice's saturation <= %s ms: ", TARGET_LOAD * 100,
                OpenLoopDriver.ms(TARGET_P99_NANOS)));
        s.append(sluiceP99Half < 0 ? "not measured (--loads has no " + TARGET_LOAD + "): target not checked\n"
                : String.format(Locale.ROOT, "%s ms: target %s%n", OpenLoopDriver.ms(sluiceP99Half),
                        sluiceP99Half <= TARGET_P99_NANOS ? "met" : "missed"));
        s.append("- At the direct side's saturation rate, Sluice's p99 below the direct side's: ");
        s.append(sluiceP99AtDirect < 0 || directP99AtDirect < 0 ? "not measured: target not checked\n"
                : String.format(Locale.ROOT, "%s ms against %s ms: target %s%n", OpenLoopDriver.ms(sluiceP99AtDirect),
                        OpenLoopDriver.ms(directP99AtDirect), sluiceP99AtDirect < directP99AtDirect ? "met" : "missed"));
        return s.toString();
    }

    /** The point of {@code side} at {@code load}, or null. */
    static RecognizerBenchmark.Point find(List<RecognizerBenchmark.Point> points, String side, double load) {
        for (RecognizerBenchmark.Point p : points) {
            if (p.side().equals(side) && p.load() == load) {
                return p;
            }
        }
        return null;
    }

    private static long p99(RecognizerBenchmark.Point p) {
        return p == null ? -1 : p.latency(99);
    }

    // ------------------------------------------------------------------ the run

    private final Options o;
    private final byte[] model;
    private final Path modelFile;
    private final float[] data;

    XgboostBenchmark(Options o, byte[] model, Path modelFile, float[] data) {
        this.o = o;
        this.model = model.clone();
        this.modelFile = modelFile;
        this.data = data.clone();
    }

    /** Runs the benchmark; {@code --help} lists the options. */
    public static void main(String[] args) throws Exception {
        Options o = Options.parse(args);
        log(String.format(Locale.ROOT, "planned: about %.0f s of measurement on %d thread(s), plus training and drains",
                o.plannedSeconds(), o.threads));
        Path file = o.model;
        Path temp = null;
        if (file == null) {
            long t0 = System.nanoTime();
            byte[] trained = train(o);
            temp = Files.createTempFile("xgboost-bench-", ".json");
            Files.write(temp, trained);
            file = temp;
            log(String.format(Locale.ROOT, "trained %d trees of depth %d on %d features in %.1f s: %s", o.trees, o.depth,
                    o.features, (System.nanoTime() - t0) / 1e9, file));
        }
        try {
            byte[] bytes = Files.readAllBytes(file);
            int features;
            try (DirectBooster probe = new DirectBooster(bytes, 1, true)) {
                features = Math.toIntExact(probe.booster.getNumFeature());
            }
            if (o.model == null && features != o.features) {
                throw new IllegalStateException("the trained model has " + features + " features, not " + o.features);
            }
            o.features = features;
            new XgboostBenchmark(o, bytes, file, rows(o.rows, features, o.seed)).runAll();
        } finally {
            if (temp != null) {
                Files.deleteIfExists(temp);
            }
        }
    }

    /** Throws if {@link XgboostModel}'s batch of the first rows differs in any bit from the direct path's rows. */
    void checkBatchEqualsSingleRows(boolean inplace) throws Exception {
        List<Features> batch = new ArrayList<>();
        for (int i = 0; i < CHECKED_ROWS; i++) {
            batch.add(Features.of(row(data, o.features, i)));
        }
        try (XgboostModel m = XgboostModel.builder(modelFile).open(ModelContext.forTest("check"));
                DirectBooster direct = new DirectBooster(model, o.features, inplace)) {
            List<Prediction> batched = m.predict(batch);
            for (int i = 0; i < CHECKED_ROWS; i++) {
                float one = direct.score(row(data, o.features, i));
                float b = batched.get(i).value();
                if (Float.floatToIntBits(one) != Float.floatToIntBits(b)) {
                    throw new IllegalStateException("row " + i + ": batched prediction " + b + " differs from one-by-one "
                            + one + "; the comparison would be between different models");
                }
            }
        }
        log("checked: " + CHECKED_ROWS + " rows scored as one batch by XgboostModel equal the one-by-one scores exactly");
    }

    void runAll() throws Exception {
        String loadBefore = OpenLoopDriver.loadAverage();
        double inplaceRate;
        double dmatrixRate;
        try (DirectBooster a = new DirectBooster(model, o.features, true);
                DirectBooster b = new DirectBooster(model, o.features, false)) {
            singleRowRate(a, data, o.features, o.rows, o.pickS / 4); // JIT and first calls
            singleRowRate(b, data, o.features, o.rows, o.pickS / 4);
            inplaceRate = singleRowRate(a, data, o.features, o.rows, o.pickS);
            dmatrixRate = singleRowRate(b, data, o.features, o.rows, o.pickS);
        }
        boolean inplace = inplaceRate >= dmatrixRate;
        String path = String.format(Locale.ROOT, "%s (one thread: inplace_predict %.0f rows/s, one-row DMatrix + predict"
                + " %.0f rows/s)", inplace ? "inplace_predict" : "DMatrix + predict", inplaceRate, dmatrixRate);
        log("direct single-row path: " + path);
        checkBatchEqualsSingleRows(inplace);

        BatchSizes sizes = new BatchSizes(1024);
        List<String> names = List.of("xgb");
        List<RecognizerBenchmark.Point> points = new ArrayList<>();
        List<OcrBenchmark.Saturation> sluiceRounds = new ArrayList<>();
        List<OcrBenchmark.Saturation> directRounds = new ArrayList<>();
        try (Sluice sluice = Sluice.builder().resources(Resources.detect()).observer(sizes).build();
                ThreadConfinedPool<DirectBooster, float[], Float> pool = new ThreadConfinedPool<>("direct", o.threads,
                        () -> new DirectBooster(model, o.features, inplace), DirectBooster::score)) {
            DeploymentHandle<Features, Prediction> h = sluice.deploy(
                    Deployment.builder("xgb", XgboostModel.builder(modelFile).factory())
                            .replicas(o.threads)
                            .resources(r -> r.cpus(1))
                            .build());
            h.awaitReady(Duration.ofSeconds(120));
            Supplier<long[]> sluiceCounters = () -> {
                BatchSizes.Distribution d = BatchSizes.Distribution.of(sizes.snapshot(names), 0, 1);
                return new long[] {d.calls(), d.items()};
            };
            java.util.concurrent.atomic.LongAdder sent = new java.util.concurrent.atomic.LongAdder();
            Supplier<long[]> directCounters = () -> new long[] {sent.sum(), sent.sum()};
            RecognizerBenchmark.Side<Integer> sluiceSide = new RecognizerBenchmark.Side<>(SLUICE,
                    i -> h.submit(Features.of(row(data, o.features, i))), sluiceCounters);
            RecognizerBenchmark.Side<Integer> directSide = new RecognizerBenchmark.Side<>(DIRECT, i -> {
                sent.increment();
                return pool.submit(row(data, o.features, i));
            }, directCounters);

            for (int round = 0; round < o.capacityRounds; round++) {
                for (int k = 0; k < 2; k++) {
                    boolean directNow = (round + k) % 2 == 0; // direct first in even rounds
                    RecognizerBenchmark.Side<Integer> side = directNow ? directSide : sluiceSide;
                    OcrBenchmark.Saturation s = OcrBenchmark.closedLoop(side.submit(), sequence(o.seed + 1000 + round),
                            side.batchCounters(), directNow ? 2 * o.threads : o.sluiceWindow, o.capacityWarmupS,
                            o.capacityS, o.drainS);
                    (directNow ? directRounds : sluiceRounds).add(s);
                    log(String.format(Locale.ROOT, "round %d: %s saturation %.1f rows/s, mean batch %.2f", round + 1,
                            side.name(), s.pagesPerSecond(), s.grew()[0] == 0 ? 0 : (double) s.grew()[1] / s.grew()[0]));
                }
            }
            double sluiceSat = OcrBenchmark.best(sluiceRounds).pagesPerSecond();
            double directSat = OcrBenchmark.best(directRounds).pagesPerSecond();

            List<Double> loads = new ArrayList<>();
            for (double l : o.loads) {
                loads.add(l);
            }
            double directLoad = directSat / sluiceSat;
            if (!loads.contains(directLoad)) {
                loads.add(directLoad);
            }
            loads.sort(Comparator.naturalOrder());
            RecognizerBenchmark.Phases phases = new RecognizerBenchmark.Phases(o.warmupS, o.durationS, o.drainS, 0);
            for (int i = 0; i < loads.size(); i++) {
                double load = loads.get(i);
                double rate = RecognizerBenchmark.offeredRate(load, sluiceSat);
                long seed = o.seed + i;
                boolean runDirect = rate <= o.directMaxLoad * directSat * (1 + 1e-9);
                log(String.format(Locale.ROOT, "load %.3f of Sluice's saturation: %.1f rows/s offered%s", load, rate,
                        runDirect ? "" : " (direct side not run: above --direct-max-load of its saturation)"));
                List<RecognizerBenchmark.Side<Integer>> order = !runDirect ? List.of(sluiceSide)
                        : i % 2 == 0 ? List.of(sluiceSide, directSide) : List.of(directSide, sluiceSide);
                for (RecognizerBenchmark.Side<Integer> side : order) {
                    RecognizerBenchmark.Point p = RecognizerBenchmark.measure(side, load, rate, seed, sequence(seed),
                            phases);
                    points.add(p);
                    log(String.format(Locale.ROOT, "%-6s offered %.1f got %.1f rows/s p50 %s p99 %s ms, batch %.2f,"
                                    + " rejected %d, failed %d", p.side(), p.offered(), p.throughput(),
                            OpenLoopDriver.ms(p.latency(50)), OpenLoopDriver.ms(p.latency(99)), p.meanBatch(),
                            p.rejected(), p.failed()));
                }
            }
            System.out.print(report(points, sluiceRounds, directRounds, directLoad, path));
            Path dir = Paths.get(o.out);
            Files.createDirectories(dir);
            Path csv = dir.resolve("xgboost-cpu.csv");
            Path svg = dir.resolve("xgboost-cpu.svg");
            Files.write(csv, RecognizerBenchmark.csv(points).replace("img_s", "rows_s").getBytes(StandardCharsets.UTF_8));
            Files.write(svg, plot(points, sluiceSat).getBytes(StandardCharsets.UTF_8));
            System.out.println("Wrote " + csv.toAbsolutePath() + " and " + svg.toAbsolutePath());
            System.out.println(OpenLoopDriver.loadLine(loadBefore));
            System.out.flush();
        }
    }

    /** Row indices in a random order of {@code seed}, the same for both sides. */
    Supplier<Integer> sequence(long seed) {
        Random r = new Random(seed);
        return () -> r.nextInt(o.rows);
    }

    String report(List<RecognizerBenchmark.Point> points, List<OcrBenchmark.Saturation> sluiceRounds,
            List<OcrBenchmark.Saturation> directRounds, double directLoad, String path) {
        double sluiceSat = OcrBenchmark.best(sluiceRounds).pagesPerSecond();
        double directSat = OcrBenchmark.best(directRounds).pagesPerSecond();
        long[] g = OcrBenchmark.best(sluiceRounds).grew();
        StringBuilder out = new StringBuilder();
        out.append(String.format(Locale.ROOT, "%nXGBoost on CPU: %s, binary:logistic, %d features, %d synthetic rows"
                        + " reused. %d thread(s), %d CPU(s).%n", o.model == null ? String.format(Locale.ROOT,
                        "%d trees of depth %d trained at start", o.trees, o.depth) : o.model.toString(), o.features, o.rows,
                o.threads, Runtime.getRuntime().availableProcessors()));
        out.append(String.format(Locale.ROOT, "direct: %d threads, each its own Booster (nthread 1), one shared queue, one"
                + " row per call by %s. sluice: Resources.detect(), XgboostModel replicas(%d) x cpus(1), default"
                + " batching. %d rows: batched equal one-by-one exactly.%n%n", o.threads, path, o.threads, CHECKED_ROWS));
        out.append(String.format(Locale.ROOT, "Saturation, closed loop (%d round(s) per side, sides alternating, %s s"
                        + " warm-up then %s s measured, best round counts):%n%n", o.capacityRounds,
                SvgPlot.number(o.capacityWarmupS), SvgPlot.number(o.capacityS)));
        out.append("| side | in flight | rows/s (best) | rounds | mean batch |\n|---|---:|---:|---|---:|\n");
        out.append(String.format(Locale.ROOT, "| direct | %d | %.1f | %s | 1 |%n", 2 * o.threads, directSat,
                OcrBenchmark.rounds(directRounds)));
        out.append(String.format(Locale.ROOT, "| sluice | %d | %.1f | %s | %.2f |%n", o.sluiceWindow, sluiceSat,
                OcrBenchmark.rounds(sluiceRounds), g[0] == 0 ? 0 : (double) g[1] / g[0]));
        out.append(String.format(Locale.ROOT, "%nsluice / direct: %.2fx%n%n", sluiceSat / directSat));
        out.append(String.format(Locale.ROOT, "Open loop, Poisson arrivals, latency from the intended send time; per point"
                        + " and side %s s at the load, then %s s measured; same schedule and rows (seed %d + point), order"
                        + " alternating. Load as a fraction of Sluice's saturation; %.3f is the direct side's saturation."
                        + " Latency in ms; '-': not run.%n%n", SvgPlot.number(o.warmupS), SvgPlot.number(o.durationS),
                o.seed, directLoad));
        out.append("| load | offered rows/s | sluice rows/s | direct rows/s | sluice p50 | direct p50 | sluice p99 | direct p99"
                + " | sluice mean batch | sluice rejected/failed | direct rejected/failed |\n");
        out.append("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
        for (RecognizerBenchmark.Point s : points) {
            if (!s.side().equals(SLUICE)) {
                continue;
            }
            RecognizerBenchmark.Point d = find(points, DIRECT, s.load());
            out.append(String.format(Locale.ROOT, "| %.3f | %.1f | %.1f | %s | %s | %s | %s | %s | %.2f | %d/%d | %s |%n",
                    s.load(), s.offered(), s.throughput(),
                    d == null ? "-" : String.format(Locale.ROOT, "%.1f", d.throughput()),
                    OpenLoopDriver.ms(s.latency(50)), d == null ? "-" : OpenLoopDriver.ms(d.latency(50)),
                    OpenLoopDriver.ms(s.latency(99)), d == null ? "-" : OpenLoopDriver.ms(d.latency(99)), s.meanBatch(),
                    s.rejected(), s.failed(), d == null ? "-" : d.rejected() + "/" + d.failed()));
        }
        out.append("\nTargets (issue 14):\n\n");
        out.append(targets(sluiceSat, directSat, p99(find(points, SLUICE, TARGET_LOAD)),
                p99(find(points, SLUICE, directLoad)), p99(find(points, DIRECT, directLoad))));
        out.append('\n');
        return out.toString();
    }

    String plot(List<RecognizerBenchmark.Point> points, double sluiceSat) {
        List<LoadLatencyPlot.Series> series = new ArrayList<>();
        for (String side : List.of(SLUICE, DIRECT)) {
            List<RecognizerBenchmark.Point> mine = points.stream().filter(p -> p.side().equals(side))
                    .sorted(Comparator.comparingDouble(RecognizerBenchmark.Point::load)).toList();
            Function<Double, double[]> ms = pct -> mine.stream().mapToDouble(p -> p.latency(pct) / 1e6).toArray();
            series.add(new LoadLatencyPlot.Series(side.equals(SLUICE) ? "Sluice (defaults, batched)" : "xgboost4j direct (1 row)",
                    side.equals(SLUICE) ? "#1f5fbf" : "#d07020",
                    mine.stream().mapToDouble(RecognizerBenchmark.Point::load).toArray(), ms.apply(50.0), ms.apply(99.0)));
        }
        String subtitle = String.format(Locale.ROOT, "%d threads each: Sluice replicas(%d) x cpus(1), defaults; direct:"
                + " one Booster per thread; %s s measured per point", o.threads, o.threads, SvgPlot.number(o.durationS));
        return LoadLatencyPlot.svg("XGBoost on CPU: Sluice batched vs xgboost4j direct", subtitle,
                String.format(Locale.ROOT, "offered load, x Sluice's saturation (%.1f rows/s)", sluiceSat), series);
    }

    private static void log(String s) {
        System.err.println("[xgboost] " + s);
        System.err.flush();
    }
}
