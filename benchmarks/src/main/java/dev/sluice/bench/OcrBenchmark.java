package dev.sluice.bench;

import dev.sluice.Resources;
import dev.sluice.Sluice;
import dev.sluice.batching.OverloadedException;
import dev.sluice.examples.ocr.OcrResult;
import dev.sluice.examples.ocr.OcrService;
import java.io.IOException;
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
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * The OCR service end to end on CPU: the Sluice pipeline of {@link OcrService} (detector, direction
 * classifier and recognizer as deployments of {@code --replicas} (2) replicas each, each call holding one CPU
 * of the runtime's execution budget (this machine's cores) and one ONNX Runtime intra-op thread, classifier
 * and recognizer batched across requests) against
 * {@link SequentialOcr}, the same plain-Java steps and the same models called directly with ONNX Runtime, one
 * page per thread from start to end, on {@code --baseline-threads} threads (the machine's CPUs: 2 here).
 *
 * <p>The pages are {@code --pages} (24) rendered pages of {@code --min-lines} to {@code --max-lines} (2 to 5)
 * lines of random words ({@link OcrPages}, from {@code --seed}), PNG bytes, the same bytes for both sides.
 *
 * <p>The run, in order:
 * <ol>
 *   <li><b>Readings.</b> Every page read once by each side (one at a time): the baseline's reading of each page
 *       is the expected one, and every reading of either side after that, in every phase, is compared with it
 *       (the text of every line, in order); each difference is counted and the first few are printed. Also
 *       counted: pages read exactly as rendered (information, not a requirement).
 *   <li><b>Saturation throughput</b>, closed loop: the baseline's threads reading pages back to back;
 *       Sluice with {@code --sluice-window} (16) pages always in flight. {@code --capacity-rounds} (4) rounds,
 *       the sides alternating, each {@code --capacity-warmup-s} (2) then {@code --capacity-s} (5) measured;
 *       each side's best round counts (others' work on the shared cores only ever slows a round down), and
 *       beside it the median of the rounds' ratios, each Sluice round over the baseline round next to it in
 *       time (the host's speed drifts by more than the gap between the sides within minutes; neighbours share
 *       most of the drift, two sides' best rounds need not). The
 *       baseline's figure is its capacity: the loads below are fractions of it ({@code --capacity} gives it
 *       instead and skips these measurements).
 *   <li><b>Latency</b>, open loop: for each of {@code --loads} (0.25,0.5,0.75) x the baseline's capacity,
 *       Poisson arrivals ({@link PhasedArrivals}, seed {@code --seed} + point) sent by an {@link OpenLoopSender},
 *       latency from each request's intended send time (coordinated omission corrected), {@code --warmup-s} (3)
 *       at the load then {@code --duration-s} (15) measured. The two sides run each point back to back on the
 *       same schedule and page sequence, the first side alternating from point to point.
 * </ol>
 * Sluice's batch sizes per model come from a {@link BatchSizes} observer on its runtime, over each measured
 * window; the baseline's model calls are counted the same way.
 *
 * <p>Prints markdown tables on stdout (progress on stderr) and writes {@code ocr-cpu.csv}, {@code ocr-cpu.svg}
 * (p50/p99 against load) and {@code ocr-cpu-throughput.svg} to {@code --out} ({@code benchmarks/results}).
 * {@code --help} lists the options. Run from the repository root (the defaults take about 2.5 minutes on 2 cores):
 *
 * <pre>
 * mvn -q -B -o package -DskipTests -pl benchmarks -am
 * java -cp benchmarks/target/benchmarks.jar dev.sluice.bench.OcrBenchmark
 * java -cp benchmarks/target/benchmarks.jar dev.sluice.bench.OcrBenchmark --pages 8 --capacity-warmup-s 1 --capacity-s 3 --warmup-s 1 --duration-s 3 --out /tmp/ocr   # smoke run
 * </pre>
 *
 * <p>Length: one benchmark program in one file: its options, both sides' set-up, the reading checks, the
 * phases, the report and the plots; the parts shared with other benchmarks are classes of their own.
 */
public final class OcrBenchmark {

    static final String SLUICE = "sluice";
    static final String BASELINE = "baseline";
    static final List<String> MODELS = List.of("det", "cls", "rec");
    /** Batch sizes are counted one by one up to this (larger ones as this). */
    static final int COUNTED_SIZES = 64;

    /** Command-line options with their defaults. */
    static final class Options {
        Path models = OcrService.defaultModels();
        int pages = 24;
        int minLines = 2;
        int maxLines = 5;
        long seed = 1;
        int replicas = 2;
        int detBurst = 2;
        int baselineThreads = Runtime.getRuntime().availableProcessors();
        int maxBatch = 32;
        double maxDelayMs = 5;
        double[] loads = {0.25, 0.5, 0.75};
        double capacity = 0;
        double capacityWarmupS = 2;
        double capacityS = 5;
        int capacityRounds = 4;
        int sluiceWindow = 16;
        double warmupS = 3;
        double durationS = 15;
        double drainS = 60;
        double senderSpinUs = 0;
        String out = "benchmarks/results";

        static Options parse(String[] args) {
            Options o = new Options();
            CommandLine.parse(args, Options::usage, Set.of(), (a, v) -> {
                switch (a) {
                    case "--models": o.models = Paths.get(v); break;
                    case "--pages": o.pages = Integer.parseInt(v); break;
                    case "--min-lines": o.minLines = Integer.parseInt(v); break;
                    case "--max-lines": o.maxLines = Integer.parseInt(v); break;
                    case "--seed": o.seed = Long.parseLong(v); break;
                    case "--replicas": o.replicas = Integer.parseInt(v); break;
                    case "--det-burst": o.detBurst = Integer.parseInt(v); break;
                    case "--baseline-threads": o.baselineThreads = Integer.parseInt(v); break;
                    case "--max-batch": o.maxBatch = Integer.parseInt(v); break;
                    case "--max-delay-ms": o.maxDelayMs = Double.parseDouble(v); break;
                    case "--loads": o.loads = Arrays.stream(v.split(",")).mapToDouble(s -> Double.parseDouble(s.trim())).sorted().distinct().toArray(); break;
                    case "--capacity": o.capacity = Double.parseDouble(v); break;
                    case "--capacity-warmup-s": o.capacityWarmupS = Double.parseDouble(v); break;
                    case "--capacity-s": o.capacityS = Double.parseDouble(v); break;
                    case "--capacity-rounds": o.capacityRounds = Integer.parseInt(v); break;
                    case "--sluice-window": o.sluiceWindow = Integer.parseInt(v); break;
                    case "--warmup-s": o.warmupS = Double.parseDouble(v); break;
                    case "--duration-s": o.durationS = Double.parseDouble(v); break;
                    case "--drain-s": o.drainS = Double.parseDouble(v); break;
                    case "--sender-spin-us": o.senderSpinUs = Double.parseDouble(v); break;
                    case "--out": o.out = v; break;
                    default: throw CommandLine.unknown(a);
                }
            });
            if (o.pages < 1 || o.minLines < 1 || o.maxLines < o.minLines) {
                throw new IllegalArgumentException("need --pages >= 1 and 1 <= --min-lines <= --max-lines");
            }
            if (o.replicas < 1 || o.detBurst < 1 || o.baselineThreads < 1 || o.maxBatch < 1 || o.sluiceWindow < 1
                    || o.capacityRounds < 1) {
                throw new IllegalArgumentException("--replicas, --det-burst, --baseline-threads, --max-batch, --sluice-window"
                        + " and --capacity-rounds must be at least 1");
            }
            if (o.loads.length == 0 || Arrays.stream(o.loads).anyMatch(l -> !(l > 0) || Double.isInfinite(l))) {
                throw new IllegalArgumentException("--loads takes positive fractions of the baseline's capacity, e.g. 0.25,0.5,0.75");
            }
            if (!(o.maxDelayMs >= 0) || !(o.capacity >= 0)) {
                throw new IllegalArgumentException("--max-delay-ms and --capacity must not be negative");
            }
            if (o.capacity == 0 && !(o.capacityS > 0)) {
                throw new IllegalArgumentException("--capacity-s must be positive (or give --capacity)");
            }
            if (!(o.durationS > 0) || !(o.drainS > 0) || o.warmupS < 0 || o.capacityWarmupS < 0) {
                throw new IllegalArgumentException("--duration-s and --drain-s must be positive, warm-ups not negative");
            }
            return o;
        }

        static void usage() {
            System.out.println(String.join("\n",
                    "OcrBenchmark [options]: the OCR service on CPU, the Sluice pipeline (replicas per model, batched) against",
                    "the same steps with the models called directly on ONNX Runtime, one page per thread; closed loop, then open loop",
                    "  --models DIR                      the PaddleOCR models (default " + OcrService.defaultModels() + ")",
                    "  --pages 24 --min-lines 2 --max-lines 5   rendered pages and their lines of random words",
                    "  --seed 1                          seed of the pages, the schedules and the page sequences",
                    "  --replicas 2                      Sluice: replicas of each of det, cls, rec (each call on one CPU of the budget)",
                    "  --det-burst 2                     Sluice: CPUs a detector call may borrow when idle (the service's default; 1: never)",
                    "  --baseline-threads N              the baseline's threads (default: the CPUs, " + Runtime.getRuntime().availableProcessors() + ")",
                    "  --max-batch 32 --max-delay-ms 5   Sluice: classifier and recognizer batching (the service's defaults)",
                    "  --capacity 0                      the baseline's capacity in pages/s; 0: measure both sides' saturation",
                    "  --capacity-warmup-s 2 --capacity-s 5    closed-loop warm-up and measured seconds, per side and round",
                    "  --capacity-rounds 4               closed-loop rounds, sides alternating; each side's best round counts",
                    "  --sluice-window 16                Sluice's closed loop: pages in flight",
                    "  --loads 0.25,0.5,0.75             open-loop loads, fractions of the baseline's capacity",
                    "  --warmup-s 3 --duration-s 15      per load point and side: warm-up at the load, then measured seconds",
                    "  --drain-s 60                      the most to wait for a point's backlog",
                    "  --sender-spin-us 0                sender: park, then spin the last N us before a send",
                    "  --out benchmarks/results          where ocr-cpu.csv, ocr-cpu.svg and ocr-cpu-throughput.svg go"));
        }

        Duration maxDelay() {
            return Duration.ofNanos(OpenLoopDriver.micros(maxDelayMs * 1000));
        }

        /** Roughly how long the run takes, in seconds, before start-up, readings and drains. */
        double plannedSeconds() {
            double capacity = this.capacity > 0 ? 0 : capacityRounds * 2 * (capacityWarmupS + capacityS);
            return capacity + loads.length * 2 * (warmupS + durationS);
        }
    }

    // ------------------------------------------------------------------ readings

    /**
     * Compares every reading with the expected one for its page (the lines' texts, in order) and counts the
     * differences per side, keeping the first {@link #KEPT} for the report. Thread-safe.
     */
    static final class Readings {
        static final int KEPT = 5;

        private final List<List<String>> expected;
        private final LongAdder[] mismatches = {new LongAdder(), new LongAdder()};
        private final LongAdder[] checked = {new LongAdder(), new LongAdder()};
        private final ConcurrentLinkedQueue<String> examples = new ConcurrentLinkedQueue<>();

        Readings(List<List<String>> expected) {
            this.expected = List.copyOf(expected);
        }

        static List<String> texts(OcrResult r) {
            return r.lines().stream().map(OcrResult.Line::text).toList();
        }

        /** Checks {@code side}'s reading of page {@code page}; returns it. */
        OcrResult check(String side, int page, OcrResult read) {
            int s = index(side);
            checked[s].increment();
            List<String> got = texts(read);
            if (!got.equals(expected.get(page))) {
                mismatches[s].increment();
                if (examples.size() < KEPT) {
                    examples.add(side + " page " + page + ": read " + got + ", expected " + expected.get(page));
                }
            }
            return read;
        }

        long mismatches(String side) {
            return mismatches[index(side)].sum();
        }

        long checked(String side) {
            return checked[index(side)].sum();
        }

        List<String> examples() {
            return List.copyOf(examples);
        }

        private static int index(String side) {
            return switch (side) {
                case SLUICE -> 0;
                case BASELINE -> 1;
                default -> throw new IllegalArgumentException("no side " + side);
            };
        }
    }

    /** Pages read exactly as rendered (every line, in order) among {@code read}, the reading of page i at i. */
    static int exactlyRead(OcrPages pages, List<List<String>> read) {
        int n = 0;
        for (int i = 0; i < pages.size(); i++) {
            if (pages.page(i).lines().equals(read.get(i))) {
                n++;
            }
        }
        return n;
    }

    // ------------------------------------------------------------------ measurement

    /** {calls, items} over the models, then {@link BatchSizes#snapshot} of {@link #MODELS}: a side's batch counters. */
    static long[] counters(BatchSizes sizes) {
        long[] snap = sizes.snapshot(MODELS);
        long[] out = new long[2 + snap.length];
        for (int m = 0; m < MODELS.size(); m++) {
            BatchSizes.Distribution d = BatchSizes.Distribution.of(snap, m, MODELS.size());
            out[0] += d.calls();
            out[1] += d.items();
        }
        System.arraycopy(snap, 0, out, 2, snap.length);
        return out;
    }

    /** Model {@code m}'s batch sizes in the growth of {@link #counters} over a window. */
    static BatchSizes.Distribution distribution(long[] grew, int m) {
        return BatchSizes.Distribution.of(Arrays.copyOfRange(grew, 2, grew.length), m, MODELS.size());
    }

    /**
     * A closed-loop figure: pages/s, the batch counters' growth over the measured window, and the pages
     * admission refused (each backed off as its refusal said, then the window sent another).
     */
    record Saturation(double pagesPerSecond, long[] grew, long refused, ThreadCpu.Usage cpu) {}

    /** A refused closed-loop client waits at least this long, and at most the longer, before it sends again. */
    private static final long MIN_BACKOFF_NANOS = 1_000_000L;
    private static final long MAX_BACKOFF_NANOS = 20_000_000L;

    /**
     * The round with the most pages/s. Other engineers' work shares the machine's cores: it can only slow a
     * round down, so the best round is the closest to what the side can do.
     */
    static Saturation best(List<Saturation> rounds) {
        return rounds.stream().max(Comparator.comparingDouble(Saturation::pagesPerSecond)).orElseThrow();
    }

    /**
     * Each Sluice round's pages/s over the baseline round measured next to it (the rounds alternate, so round
     * i of each side ran back to back): ratios of neighbours, which share most of the host's drift.
     */
    static double[] pairedRatios(List<Saturation> sluiceRounds, List<Saturation> baselineRounds) {
        if (sluiceRounds.size() != baselineRounds.size()) {
            throw new IllegalArgumentException("rounds differ in number: sluice " + sluiceRounds.size() + ", baseline "
                    + baselineRounds.size());
        }
        double[] ratios = new double[sluiceRounds.size()];
        for (int i = 0; i < ratios.length; i++) {
            ratios[i] = sluiceRounds.get(i).pagesPerSecond() / baselineRounds.get(i).pagesPerSecond();
        }
        return ratios;
    }

    static String rounds(List<Saturation> rounds) {
        return String.join(" / ", rounds.stream().map(r -> String.format(Locale.ROOT, "%.2f", r.pagesPerSecond())).toList());
    }

    /**
     * Pages per second with {@code window} pages always in flight through {@code submit}: a new page is sent
     * whenever one ends, those ending in {@code seconds} after {@code warmupS} counted. A refused page's slot comes
     * back only after its backoff, on a timer: that client waits, the others go on (parking the thread that heard
     * the refusal instead stalled the whole loop, or a model's worker, for every refusal).
     */
    static Saturation closedLoop(Function<Integer, CompletableFuture<?>> submit, Supplier<Integer> next,
            Supplier<long[]> counters, int window, double warmupS, double seconds, double drainS) throws Exception {
        Semaphore free = new Semaphore(window);
        ScheduledExecutorService backoff = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "closed-loop-backoff");
            t.setDaemon(true);
            return t;
        });
        LongAdder done = new LongAdder();
        LongAdder refused = new LongAdder();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        long from = System.nanoTime() + OpenLoopDriver.secondsToNanos(warmupS);
        long to = from + OpenLoopDriver.secondsToNanos(seconds);
        long[] before = null;
        long[] after = null;
        Map<String, ThreadCpu.Times> cpuBefore = null;
        Map<String, ThreadCpu.Times> cpuAfter = null;
        long cpuFrom = 0;
        long cpuTo = 0;
        while (true) {
            long now = System.nanoTime();
            if (before == null && now - from >= 0) {
                before = counters.get();
                cpuBefore = ThreadCpu.snapshot();
                cpuFrom = System.nanoTime();
            }
            if (now - to >= 0) {
                after = counters.get();
                cpuAfter = ThreadCpu.snapshot();
                cpuTo = System.nanoTime();
                break;
            }
            if (!free.tryAcquire(Math.max(1, Math.min(to, before == null ? from : to) - now), TimeUnit.NANOSECONDS)) {
                continue;
            }
            submit.apply(next.get()).whenComplete((v, e) -> {
                long t = System.nanoTime();
                if (e != null && OpenLoopSender.unwrap(e) instanceof OverloadedException o) {
                    // Admission refused it (it sizes what it admits from capacity): a client backs off as told.
                    refused.increment();
                    backoff.schedule((Runnable) free::release, Math.min(MAX_BACKOFF_NANOS,
                            Math.max(MIN_BACKOFF_NANOS, o.retryAfter() == null ? 0 : o.retryAfter().toNanos())),
                            TimeUnit.NANOSECONDS);
                    return;
                } else if (e != null) {
                    failure.compareAndSet(null, e);
                } else if (t - from >= 0 && t - to < 0) {
                    done.increment();
                }
                free.release();
            });
            if (failure.get() != null) {
                break;
            }
        }
        try {
            if (!free.tryAcquire(window, OpenLoopDriver.secondsToNanos(drainS), TimeUnit.NANOSECONDS)) {
                throw new IllegalStateException("closed loop: pages still in flight " + drainS + " s after the end");
            }
        } finally {
            backoff.shutdownNow();
        }
        if (failure.get() != null) {
            throw new IllegalStateException("closed loop: a page failed", failure.get());
        }
        long[] grew = new long[after.length];
        for (int i = 0; i < grew.length; i++) {
            grew[i] = after[i] - before[i];
        }
        return new Saturation(RecognizerBenchmark.perSecond(done.sum(), to - from), grew, refused.sum(),
                ThreadCpu.Usage.between(cpuBefore, cpuAfter, cpuTo - cpuFrom, done.sum()));
    }

    private final Options o;
    private final OcrPages pages;

    OcrBenchmark(Options o, OcrPages pages) {
        this.o = o;
        this.pages = pages;
    }

    public static void main(String[] args) throws Exception {
        Options o = Options.parse(args);
        for (String f : List.of(OcrService.DETECTOR, OcrService.CLASSIFIER, OcrService.RECOGNIZER, OcrService.DICTIONARY)) {
            if (!Files.isRegularFile(o.models.resolve(f))) {
                throw new IllegalArgumentException("no " + f + " in " + o.models + ": run scripts/fetch-models.sh, or give --models");
            }
        }
        new OcrBenchmark(o, new OcrPages(o.pages, o.minLines, o.maxLines, o.seed)).runAll();
    }

    void runAll() throws Exception {
        String loadBefore = OpenLoopDriver.loadAverage();
        log(String.format(Locale.ROOT, "%d pages, %.2f lines per page; load average %s", pages.size(),
                pages.meanLines(), loadBefore));
        BatchSizes sluiceSizes = new BatchSizes(COUNTED_SIZES);
        BatchSizes baselineSizes = new BatchSizes(COUNTED_SIZES);
        // This machine's cores as the execution budget: every replica is placed (replicas take no CPU), and no
        // more model calls run at once than there are cores, older pages' calls first.
        try (Sluice sluice = Sluice.builder().resources(Resources.detect())
                .observer(sluiceSizes).build();
                OcrService service = OcrService.builder(o.models).sluice(sluice)
                        .detectorReplicas(o.replicas, o.replicas).detectorBurstCpus(o.detBurst).classifierReplicas(o.replicas)
                        .recognizerReplicas(o.replicas).maxBatchSize(o.maxBatch).maxDelay(o.maxDelay()).build()) {
            SequentialOcr baseline = new SequentialOcr(service, baselineSizes);
            try (ThreadConfinedPool<SequentialOcr.Sessions, Integer, OcrResult> pool = new ThreadConfinedPool<>(
                    "sequential-ocr", o.baselineThreads, () -> new SequentialOcr.Sessions(o.models),
                    (s, page) -> baseline.read(s, pages.page(page).png()))) {
                run(service, baseline, pool, sluiceSizes, baselineSizes, loadBefore);
            }
        }
    }

    private void run(OcrService service, SequentialOcr baseline,
            ThreadConfinedPool<SequentialOcr.Sessions, Integer, OcrResult> pool, BatchSizes sluiceSizes,
            BatchSizes baselineSizes, String loadBefore) throws Exception {
        // 1. Readings: the baseline's are the expected ones.
        List<List<String>> expected = new ArrayList<>();
        List<List<String>> sluiceRead = new ArrayList<>();
        for (int i = 0; i < pages.size(); i++) {
            expected.add(Readings.texts(pool.submit(i).get(120, TimeUnit.SECONDS)));
            sluiceRead.add(Readings.texts(service.read(pages.page(i).png()).get(120, TimeUnit.SECONDS).value()));
        }
        Readings readings = new Readings(expected);
        int sluiceDiffers = 0;
        for (int i = 0; i < pages.size(); i++) {
            if (!sluiceRead.get(i).equals(expected.get(i))) {
                sluiceDiffers++;
                log("page " + i + ": sluice read " + sluiceRead.get(i) + ", baseline " + expected.get(i));
            }
        }
        log(String.format(Locale.ROOT, "readings: sluice differs from the baseline on %d of %d pages; read exactly as"
                        + " rendered: baseline %d, sluice %d", sluiceDiffers, pages.size(), exactlyRead(pages, expected),
                exactlyRead(pages, sluiceRead)));

        RecognizerBenchmark.Side<Integer> sluiceSide = new RecognizerBenchmark.Side<>(SLUICE,
                page -> service.read(pages.page(page).png()).thenApply(r -> readings.check(SLUICE, page, r.value())),
                () -> counters(sluiceSizes));
        RecognizerBenchmark.Side<Integer> baselineSide = new RecognizerBenchmark.Side<>(BASELINE,
                page -> pool.submit(page).thenApply(r -> readings.check(BASELINE, page, r)),
                () -> counters(baselineSizes));

        // 2. Saturation, closed loop.
        double capacity = o.capacity;
        Saturation sluiceSat = null;
        Saturation baselineSat = null;
        List<Saturation> sluiceRounds = new ArrayList<>();
        List<Saturation> baselineRounds = new ArrayList<>();
        if (capacity == 0) {
            for (int round = 0; round < o.capacityRounds; round++) {
                for (int k = 0; k < 2; k++) {
                    boolean baselineNow = (round + k) % 2 == 0; // baseline first in even rounds
                    Saturation sat = baselineNow
                            ? closedLoop(baselineSide.submit(), pages.sequence(o.seed + 1000 + round),
                                    baselineSide.batchCounters(), o.baselineThreads, o.capacityWarmupS, o.capacityS, o.drainS)
                            : closedLoop(sluiceSide.submit(), pages.sequence(o.seed + 1000 + round),
                                    sluiceSide.batchCounters(), o.sluiceWindow, o.capacityWarmupS, o.capacityS, o.drainS);
                    (baselineNow ? baselineRounds : sluiceRounds).add(sat);
                    log(String.format(Locale.ROOT, "round %d: %s saturation (closed loop, %d in flight): %.2f pages/s,"
                                    + " %d refused by admission; %s",
                            round + 1, baselineNow ? BASELINE : SLUICE, baselineNow ? o.baselineThreads : o.sluiceWindow,
                            sat.pagesPerSecond(), sat.refused(), OpenLoopDriver.loadAverage()));
                }
            }
            baselineSat = best(baselineRounds);
            sluiceSat = best(sluiceRounds);
            capacity = baselineSat.pagesPerSecond();
        }

        // 3. Latency, open loop.
        RecognizerBenchmark.Phases phases = new RecognizerBenchmark.Phases(o.warmupS, o.durationS, o.drainS, o.senderSpinUs);
        List<RecognizerBenchmark.Point> points = new ArrayList<>();
        for (int i = 0; i < o.loads.length; i++) {
            double rate = RecognizerBenchmark.offeredRate(o.loads[i], capacity);
            long seed = o.seed + i;
            log(String.format(Locale.ROOT, "load %.2f: %.2f pages/s offered", o.loads[i], rate));
            List<RecognizerBenchmark.Side<Integer>> order = i % 2 == 0 ? List.of(sluiceSide, baselineSide)
                    : List.of(baselineSide, sluiceSide);
            for (RecognizerBenchmark.Side<Integer> side : order) {
                RecognizerBenchmark.Point p = RecognizerBenchmark.measure(side, o.loads[i], rate, seed,
                        pages.sequence(seed), phases);
                points.add(p);
                log(summary(p));
            }
        }

        System.out.print(report(points, capacity, baselineSat, sluiceSat, readings, sluiceDiffers, expected, sluiceRead,
                baselineSizes, baselineRounds, sluiceRounds));
        Path dir = Paths.get(o.out);
        Files.createDirectories(dir);
        write(dir.resolve("ocr-cpu.csv"), csv(points, baselineSat, sluiceSat));
        write(dir.resolve("ocr-cpu.svg"), latencyPlot(points, capacity));
        if (sluiceSat != null) {
            write(dir.resolve("ocr-cpu-throughput.svg"), throughputPlot(points, capacity, sluiceSat.pagesPerSecond()));
        }
        System.out.println("Wrote ocr-cpu.csv, ocr-cpu.svg" + (sluiceSat != null ? ", ocr-cpu-throughput.svg" : "")
                + " to " + dir.toAbsolutePath());
        System.out.println(OpenLoopDriver.loadLine(loadBefore));
        System.out.flush();
    }

    private static void write(Path file, String text) throws IOException {
        Files.write(file, text.getBytes(StandardCharsets.UTF_8));
    }

    // ------------------------------------------------------------------ output

    private static String summary(RecognizerBenchmark.Point p) {
        return String.format(Locale.ROOT, "%-8s load %.2f offered %.2f got %.2f pages/s p50 %s p99 %s ms,"
                        + " sender lag p99 %s ms, rejected %d, failed %d", p.side(), p.load(), p.offered(), p.throughput(),
                OpenLoopDriver.ms(p.latency(50)), OpenLoopDriver.ms(p.latency(99)), OpenLoopDriver.ms(p.lag(99)),
                p.rejected(), p.failed());
    }

    /** Whether Sluice met the target: more saturation throughput, and a p99 no worse at every load. */
    static String verdict(double sluicePagesPerSecond, double baselinePagesPerSecond, List<RecognizerBenchmark.Point[]> pairs) {
        boolean faster = sluicePagesPerSecond > baselinePagesPerSecond;
        List<String> worse = new ArrayList<>();
        for (RecognizerBenchmark.Point[] pair : pairs) {
            long s = pair[0].latency(99);
            long b = pair[1].latency(99);
            if (s < 0 || b < 0 || s > b) {
                worse.add(String.format(Locale.ROOT, "%.2f", pair[0].load()));
            }
        }
        String throughput = String.format(Locale.ROOT, "saturation throughput %.2f vs %.2f pages/s (%.2fx, %s)",
                sluicePagesPerSecond, baselinePagesPerSecond, sluicePagesPerSecond / baselinePagesPerSecond,
                faster ? "higher" : "not higher");
        String p99 = worse.isEmpty() ? "p99 equal or better at every load"
                : "p99 worse at load(s) " + String.join(", ", worse);
        return (faster && worse.isEmpty() ? "**Target met**: " : "**Target not met**: ") + throughput + "; " + p99 + ".";
    }

    /** {sluice, baseline} pairs by load. */
    static List<RecognizerBenchmark.Point[]> pairs(List<RecognizerBenchmark.Point> points) {
        List<RecognizerBenchmark.Point[]> pairs = new ArrayList<>();
        for (RecognizerBenchmark.Point p : points) {
            if (p.side().equals(SLUICE)) {
                points.stream().filter(q -> q.side().equals(BASELINE) && q.load() == p.load()).findFirst()
                        .ifPresent(q -> pairs.add(new RecognizerBenchmark.Point[] {p, q}));
            }
        }
        pairs.sort(Comparator.comparingDouble(pair -> pair[0].load()));
        return pairs;
    }

    String report(List<RecognizerBenchmark.Point> points, double capacity, Saturation baselineSat, Saturation sluiceSat,
            Readings readings, int sluiceDiffers, List<List<String>> expected, List<List<String>> sluiceRead,
            BatchSizes baselineSizes, List<Saturation> baselineRounds, List<Saturation> sluiceRounds) {
        StringBuilder out = new StringBuilder();
        out.append(String.format(Locale.ROOT, "%nOCR end to end on CPU: %d rendered pages (seed %d), %.2f lines per page;"
                        + " %d CPU(s), %s.%n", pages.size(), o.seed, pages.meanLines(),
                Runtime.getRuntime().availableProcessors(), cpuModel()));
        out.append(String.format(Locale.ROOT, "sluice: OcrService, det/cls/rec replicas(%d) each x cpus(1) (1 intra-op"
                        + " thread each, %d replica threads), cls/rec maxBatchSize %d, maxDelay %s ms. baseline: %d threads,"
                        + " each its own det/cls/rec OrtSessions (1 intra-op thread), one page at a time, a page's lines"
                        + " batched per model call (rec: per width bucket).%n", o.replicas, 3 * o.replicas, o.maxBatch,
                SvgPlot.number(o.maxDelayMs), o.baselineThreads));
        out.append(String.format(Locale.ROOT, "Readings: sluice differs from the baseline on %d of %d pages at the"
                        + " start; read exactly as rendered: baseline %d, sluice %d of %d.%n", sluiceDiffers, pages.size(),
                exactlyRead(pages, expected), exactlyRead(pages, sluiceRead), pages.size()));
        out.append(String.format(Locale.ROOT, "Every later reading checked against the baseline's: sluice %d mismatches"
                        + " of %d, baseline %d of %d.%n", readings.mismatches(SLUICE), readings.checked(SLUICE),
                readings.mismatches(BASELINE), readings.checked(BASELINE)));
        for (String e : readings.examples()) {
            out.append("  mismatch: ").append(e).append('\n');
        }
        out.append('\n');
        if (sluiceSat != null) {
            out.append(String.format(Locale.ROOT, "Saturation, closed loop: %d round(s) per side, sides alternating, each"
                            + " %s s warm-up then %s s measured; the best round counts (batch sizes from it):%n%n",
                    o.capacityRounds, SvgPlot.number(o.capacityWarmupS), SvgPlot.number(o.capacityS)));
            out.append("| side | in flight | pages/s (best) | vs baseline | rounds | det calls | cls batch sizes | rec batch sizes |\n");
            out.append("|---|---:|---:|---:|---|---:|---|---|\n");
            out.append(saturationRow(BASELINE, o.baselineThreads, baselineSat, baselineSat.pagesPerSecond(),
                    rounds(baselineRounds)));
            out.append(saturationRow(SLUICE, o.sluiceWindow, sluiceSat, baselineSat.pagesPerSecond(), rounds(sluiceRounds)));
            out.append(String.format(Locale.ROOT, "%nCPU in the best round, this JVM's threads by name (core-ms per page, from"
                    + " the kernel's schedstat, or its 10 ms ticks where it keeps none; and the ms per page they were ready"
                    + " but waited for a core):%n- baseline: %s%n- sluice: %s%n", baselineSat.cpu().text(8),
                    sluiceSat.cpu().text(8)));
            double[] paired = pairedRatios(sluiceRounds, baselineRounds);
            out.append(String.format(Locale.ROOT, "%nRound by round, Sluice over the baseline round beside it: %s; median"
                            + " **%.2fx**.%n", String.join(" / ", Arrays.stream(paired)
                            .mapToObj(r -> String.format(Locale.ROOT, "%.2fx", r)).toList()),
                    OpenLoopDriver.median(paired)));
            out.append('\n');
        }
        out.append(String.format(Locale.ROOT, "Open loop, Poisson, loads are fractions of the baseline's capacity"
                        + " (%.2f pages/s); per point and side %s s at the load, then %s s measured, both sides back to back"
                        + " on the same schedule and pages (seed %d + point), first side alternating. Latency in ms from the"
                        + " intended send time.%n%n", capacity, SvgPlot.number(o.warmupS), SvgPlot.number(o.durationS),
                o.seed));
        out.append("| load | offered pages/s | sluice pages/s | baseline pages/s | sluice p50 | baseline p50 | sluice p99 "
                + "| baseline p99 | p50 sluice/baseline | p99 sluice/baseline | pages measured sluice/baseline "
                + "| sender lag p99 sluice/baseline | rejected+failed |\n");
        out.append("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---|---:|\n");
        List<RecognizerBenchmark.Point[]> pairs = pairs(points);
        for (RecognizerBenchmark.Point[] pair : pairs) {
            RecognizerBenchmark.Point s = pair[0];
            RecognizerBenchmark.Point b = pair[1];
            out.append(String.format(Locale.ROOT, "| %.2f | %.2f | %.2f | %.2f | %s | %s | %s | %s | %s | %s | %d / %d | %s / %s | %d |%n",
                    s.load(), s.offered(), s.throughput(), b.throughput(), OpenLoopDriver.ms(s.latency(50)),
                    OpenLoopDriver.ms(b.latency(50)), OpenLoopDriver.ms(s.latency(99)), OpenLoopDriver.ms(b.latency(99)),
                    ratioText(s.latency(50), b.latency(50)), ratioText(s.latency(99), b.latency(99)),
                    s.latency().getTotalCount(), b.latency().getTotalCount(), OpenLoopDriver.ms(s.lag(99)),
                    OpenLoopDriver.ms(b.lag(99)), s.rejected() + s.failed() + b.rejected() + b.failed()));
        }
        out.append("\nSluice's batch sizes per model over each measured window (calls, mean, max; share of calls by size):\n\n");
        out.append("| load | det | cls | rec |\n|---:|---|---|---|\n");
        for (RecognizerBenchmark.Point[] pair : pairs) {
            long[] grew = pair[0].sideCounters();
            out.append(String.format(Locale.ROOT, "| %.2f | %s | %s | %s |%n", pair[0].load(), distribution(grew, 0).text(),
                    distribution(grew, 1).text(), distribution(grew, 2).text()));
        }
        long[] all = counters(baselineSizes);
        out.append(String.format(Locale.ROOT, "%nThe baseline's model calls over the whole run (a page's own lines):"
                        + " cls %s; rec %s.%n", distribution(all, 1).text(), distribution(all, 2).text()));
        if (sluiceSat != null && !pairs.isEmpty()) {
            out.append('\n').append(verdict(sluiceSat.pagesPerSecond(), baselineSat.pagesPerSecond(), pairs)).append('\n');
        }
        out.append('\n');
        return out.toString();
    }

    private static String saturationRow(String side, int inFlight, Saturation sat, double baseline, String rounds) {
        return String.format(Locale.ROOT, "| %s | %d | %.2f | %.2fx | %s | %s | %s | %s |%n", side, inFlight,
                sat.pagesPerSecond(), sat.pagesPerSecond() / baseline, rounds, distribution(sat.grew(), 0).calls(),
                distribution(sat.grew(), 1).text(),
                distribution(sat.grew(), 2).text());
    }

    private static String ratioText(long a, long b) {
        double r = RecognizerBenchmark.ratio(a, b);
        return Double.isNaN(r) ? "-" : String.format(Locale.ROOT, "%.2f", r);
    }

    /** The CPU's model name from /proc/cpuinfo, or "CPU model unknown". */
    static String cpuModel() {
        try {
            for (String line : Files.readAllLines(Paths.get("/proc/cpuinfo"))) {
                if (line.startsWith("model name")) {
                    return line.substring(line.indexOf(':') + 1).trim();
                }
            }
        } catch (IOException | RuntimeException e) {
            // not Linux: say so below
        }
        return "CPU model unknown";
    }

    /**
     * One row per load point and side (sluice first), then one per side's saturation ({@code load} "sat", no
     * latency); latencies empty where nothing was measured.
     */
    static String csv(List<RecognizerBenchmark.Point> points, Saturation baselineSat, Saturation sluiceSat) {
        StringBuilder s = new StringBuilder("load,offered_pages_s,side,throughput_pages_s,p50_ms,p99_ms,p999_ms,completed,"
                + "rejected,failed,sender_lag_p99_ms,cls_mean_batch,rec_mean_batch\n");
        List<RecognizerBenchmark.Point> sorted = new ArrayList<>(points);
        sorted.sort(Comparator.comparingDouble(RecognizerBenchmark.Point::load).thenComparing(p -> !p.side().equals(SLUICE)));
        for (RecognizerBenchmark.Point p : sorted) {
            s.append(String.format(Locale.ROOT, "%.3f,%.3f,%s,%.3f,%s,%s,%s,%d,%d,%d,%s,%.3f,%.3f%n", p.load(), p.offered(),
                    p.side(), p.throughput(), csvMs(p.latency(50)), csvMs(p.latency(99)), csvMs(p.latency(99.9)),
                    p.completed(), p.rejected(), p.failed(), csvMs(p.lag(99)), distribution(p.sideCounters(), 1).mean(),
                    distribution(p.sideCounters(), 2).mean()));
        }
        if (sluiceSat != null) {
            for (Object[] row : new Object[][] {{SLUICE, sluiceSat}, {BASELINE, baselineSat}}) {
                Saturation sat = (Saturation) row[1];
                s.append(String.format(Locale.ROOT, "sat,,%s,%.3f,,,,,,,,%.3f,%.3f%n", row[0], sat.pagesPerSecond(),
                        distribution(sat.grew(), 1).mean(), distribution(sat.grew(), 2).mean()));
            }
        }
        return s.toString();
    }

    private static String csvMs(long nanos) {
        return nanos < 0 ? "" : String.format(Locale.ROOT, "%.3f", nanos / 1e6);
    }

    private String subtitle() {
        return String.format(Locale.ROOT, "Sluice: 3 models x %d replicas, batch \u2264 %d, %s ms; baseline: %d threads;"
                        + " %d pages; %s s per point", o.replicas, o.maxBatch, SvgPlot.number(o.maxDelayMs),
                o.baselineThreads, pages.size(), SvgPlot.number(o.durationS));
    }

    String latencyPlot(List<RecognizerBenchmark.Point> points, double capacity) {
        List<LoadLatencyPlot.Series> series = new ArrayList<>();
        for (String side : List.of(SLUICE, BASELINE)) {
            List<RecognizerBenchmark.Point> mine = points.stream().filter(p -> p.side().equals(side))
                    .sorted(Comparator.comparingDouble(RecognizerBenchmark.Point::load)).toList();
            Function<Double, double[]> ms = pct -> mine.stream().mapToDouble(p -> p.latency(pct) / 1e6).toArray();
            series.add(new LoadLatencyPlot.Series(side.equals(SLUICE) ? "Sluice pipeline" : "sequential ORT baseline",
                    side.equals(SLUICE) ? "#1f5fbf" : "#d07020",
                    mine.stream().mapToDouble(RecognizerBenchmark.Point::load).toArray(), ms.apply(50.0), ms.apply(99.0)));
        }
        return LoadLatencyPlot.svg("OCR end to end on CPU: Sluice pipeline vs sequential ONNX Runtime", subtitle(),
                String.format(Locale.ROOT, "offered load, x the baseline's saturation throughput (%.2f pages/s)", capacity),
                series);
    }

    /**
     * Completed pages/s against offered pages/s for both sides (dots on lines), with each side's closed-loop
     * saturation throughput as a dashed horizontal line.
     */
    String throughputPlot(List<RecognizerBenchmark.Point> points, double baselineCapacity, double sluiceCapacity) {
        // Room above the saturation lines for the legend.
        double top = Math.max(baselineCapacity, sluiceCapacity) * 1.4;
        double right = Math.max(baselineCapacity, sluiceCapacity) * 1.1;
        for (RecognizerBenchmark.Point p : points) {
            top = Math.max(top, p.throughput() * 1.4);
            right = Math.max(right, p.offered() * 1.1);
        }
        SvgPlot plot = new SvgPlot(LoadLatencyPlot.WIDTH, LoadLatencyPlot.HEIGHT, 60, 20, 60, 55,
                "OCR end to end on CPU: throughput", subtitle());
        SvgPlot.Scale sx = plot.x(0, right);
        SvgPlot.Scale sy = plot.y(0, top);
        plot.yGrid(sy, SvgPlot.linearTicks(0, top));
        plot.xTicks(sx, SvgPlot.linearTicks(0, right));
        plot.axes("offered pages/s (open loop, Poisson)", "completed pages/s");
        for (String side : List.of(SLUICE, BASELINE)) {
            String colour = side.equals(SLUICE) ? "#1f5fbf" : "#d07020";
            double sat = side.equals(SLUICE) ? sluiceCapacity : baselineCapacity;
            List<RecognizerBenchmark.Point> mine = points.stream().filter(p -> p.side().equals(side))
                    .sorted(Comparator.comparingDouble(RecognizerBenchmark.Point::load)).toList();
            double[] xs = mine.stream().mapToDouble(RecognizerBenchmark.Point::offered).toArray();
            double[] ys = mine.stream().mapToDouble(RecognizerBenchmark.Point::throughput).toArray();
            plot.polyline(side + "-saturation", colour, "stroke-dasharray=\"6 4\" ", sx, sy, new double[] {0, right},
                    new double[] {sat, sat});
            plot.polyline(side + "-open-loop", colour, "stroke-width=\"2\" ", sx, sy, xs, ys);
            for (int i = 0; i < xs.length; i++) {
                plot.point(side + "-open-loop", colour, sx, sy, xs[i], ys[i]);
            }
            String name = side.equals(SLUICE) ? "Sluice" : "baseline";
            plot.legend(colour, " stroke-width=\"2\"", name + ": open loop");
            plot.legend(colour, " stroke-dasharray=\"6 4\"", String.format(Locale.ROOT, "%s: saturation %.2f", name, sat));
        }
        return plot.finish();
    }

    private static void log(String s) {
        System.err.println("[ocr] " + s);
        System.err.flush();
    }
}
