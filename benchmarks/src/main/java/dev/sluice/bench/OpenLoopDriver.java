package dev.sluice.bench;

import dev.sluice.batching.BatchObserver;
import dev.sluice.batching.BatchPolicy;
import dev.sluice.batching.CostCurve;
import dev.sluice.batching.DynamicBatcher;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Set;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/**
 * Open-loop load driver for the dynamic batcher with a fake model ({@link FakeModel}: {@code fixed +
 * perItem * n}, one batch at a time by default).
 *
 * <p>Arrivals are Poisson at a target rate. A sender thread ({@link OpenLoopSender}) computes each request's
 * <em>intended</em> send time in advance, waits for it and submits; latency is measured from the intended
 * time to completion, so a sender that falls behind (GC pause, a slow submit, a late wakeup) does not hide
 * queueing delay (coordinated omission). The sender's own lateness is reported separately.
 *
 * <p>For each policy it measures (a) throughput at saturation, closed loop with a deep window and/or open
 * loop above capacity, as a fraction of the analytic limit {@code maxBatch / (fixed + perItem * maxBatch)}
 * per concurrent batch; (b) p50/p99/p99.9 latency and mean batch size at fractions of that limit. Prints
 * markdown tables on stdout, progress on stderr. {@code --help} lists the options.
 *
 * <p>Length: one benchmark program in one file: its options, the probes it reads (batch sizes, thread
 * wake-ups, policy decisions), the phases and the report; the sender and the arrival process it shares with
 * other benchmarks are classes of their own.
 */
public final class OpenLoopDriver {

    static final Integer INPUT = 7;

    /** Command-line options with their defaults. */
    static final class Options {
        List<String> policies = List.of("fixed", "eager", "adaptive");
        double[] loads = {0.1, 0.5, 0.9};
        List<String> saturation = List.of("closed", "open");
        double overload = 1.5;
        int closedWindow = 2048;
        double warmupS = 3;
        double durationS = 15;
        double saturationDurationS = 10;
        int maxBatch = 64;
        double maxDelayMs = 5;
        double fixedUs = 2000;
        double perItemUs = 50;
        double spinUs = 300;
        double senderSpinUs = 0;
        int queueCapacity = 4096;
        int concurrency = 1;
        long seed = 1;
        int repeat = 1;
        boolean countPolicy = true;
        boolean sleepTest;

        static Options parse(String[] args) {
            Options o = new Options();
            CommandLine.parse(args, Options::usage, Set.of("--sleep-test"), (a, v) -> {
                switch (a) {
                    case "--sleep-test": o.sleepTest = true; break;
                    case "--policies": o.policies = List.of(v.split(",")); break;
                    case "--loads": o.loads = v.isEmpty() ? new double[0]
                            : Arrays.stream(v.split(",")).mapToDouble(Double::parseDouble).toArray(); break;
                    case "--saturation": o.saturation = v.equals("none") ? List.of() : List.of(v.split(",")); break;
                    case "--overload": o.overload = Double.parseDouble(v); break;
                    case "--closed-window": o.closedWindow = Integer.parseInt(v); break;
                    case "--warmup-s": o.warmupS = Double.parseDouble(v); break;
                    case "--duration-s": o.durationS = Double.parseDouble(v); break;
                    case "--saturation-duration-s": o.saturationDurationS = Double.parseDouble(v); break;
                    case "--max-batch": o.maxBatch = Integer.parseInt(v); break;
                    case "--max-delay-ms": o.maxDelayMs = Double.parseDouble(v); break;
                    case "--fixed-us": o.fixedUs = Double.parseDouble(v); break;
                    case "--per-item-us": o.perItemUs = Double.parseDouble(v); break;
                    case "--spin-us": o.spinUs = Double.parseDouble(v); break;
                    case "--sender-spin-us": o.senderSpinUs = Double.parseDouble(v); break;
                    case "--queue-capacity": o.queueCapacity = Integer.parseInt(v); break;
                    case "--concurrency": o.concurrency = Integer.parseInt(v); break;
                    case "--seed": o.seed = Long.parseLong(v); break;
                    case "--repeat": o.repeat = Integer.parseInt(v); break;
                    case "--count-policy": o.countPolicy = Boolean.parseBoolean(v); break;
                    default: throw CommandLine.unknown(a);
                }
            });
            for (String p : o.policies) {
                policy(p); // validates
            }
            if (o.repeat < 1) {
                throw new IllegalArgumentException("--repeat must be at least 1");
            }
            for (String s : o.saturation) {
                if (!s.equals("closed") && !s.equals("open")) {
                    throw new IllegalArgumentException("--saturation takes closed, open, closed,open or none");
                }
            }
            return o;
        }

        static void usage() {
            System.out.println(String.join("\n",
                    "OpenLoopDriver [options]",
                    "  --policies fixed,eager,adaptive   policies to compare",
                    "  --loads 0.1,0.5,0.9               offered load points, fractions of the analytic limit",
                    "  --saturation closed,open|none     saturation runs: closed loop (deep window), open loop (overload)",
                    "  --overload 1.5                    open-loop saturation rate, fraction of the analytic limit",
                    "  --closed-window 2048              requests outstanding in the closed-loop saturation run",
                    "  --warmup-s 3                      warmup per point (same load, not measured)",
                    "  --duration-s 15                   measured seconds per load point",
                    "  --saturation-duration-s 10        measured seconds per saturation point",
                    "  --max-batch 64 --max-delay-ms 5 --queue-capacity 4096 --concurrency 1",
                    "  --fixed-us 2000 --per-item-us 50  fake model: batch of n takes fixed + perItem*n",
                    "  --spin-us 300                     model sleep: park, then spin the last N us (0: park only)",
                    "  --sender-spin-us 0                sender: park, then spin the last N us before a send",
                    "  --seed 1                          seed of the Poisson schedule (repetition r uses seed + r)",
                    "  --repeat 1                        runs per point, policies interleaved; histograms are pooled",
                    "  --count-policy true               wrap the policy to count how often it waits (false: pass it as is)",
                    "  --sleep-test                      only measure sleep precision on this machine"));
        }

        FakeModel<Integer> model() {
            return new FakeModel<>(micros(fixedUs), micros(perItemUs), micros(spinUs));
        }

        double analyticLimit() {
            return analyticCapacity(maxBatch, micros(fixedUs), micros(perItemUs), concurrency);
        }
    }

    /** Requests per second when every batch is full and back to back: {@code concurrency * n / c(n)}. */
    static double analyticCapacity(int maxBatch, long fixedNanos, long perItemNanos, int concurrency) {
        return concurrency * new FakeModel<>(fixedNanos, perItemNanos, 0).capacity(maxBatch);
    }

    static long micros(double us) {
        return Math.round(us * 1000);
    }

    static BatchPolicy policy(String name) {
        switch (name) {
            case "fixed": return BatchPolicy.fixed();
            case "eager": return BatchPolicy.eager();
            case "adaptive": return BatchPolicy.adaptive();
            default: throw new IllegalArgumentException("unknown policy '" + name + "': fixed, eager or adaptive");
        }
    }

    /** Counts batches through the batcher's observer; read as before/after snapshots. */
    static final class BatchStats implements BatchObserver {
        final LongAdder batches = new LongAdder();
        final LongAdder items = new LongAdder();
        final LongAdder executionNanos = new LongAdder();

        @Override
        public void onBatch(String batcher, int size, long[] queueWaits, long execNanos, Throwable failure) {
            batches.increment();
            items.add(size);
            executionNanos.add(execNanos);
        }

        long[] snapshot() {
            return new long[] {batches.sum(), items.sum(), executionNanos.sum()};
        }
    }

    /** CPU time and context switches of this process's threads whose name starts with a prefix (Linux). */
    static final class ThreadProbe {
        /** {run time ns, voluntary switches, involuntary switches}, summed over matching threads. */
        static long[] sample(String namePrefix) {
            long[] sum = new long[3];
            Path tasks = Paths.get("/proc/self/task");
            if (!Files.isDirectory(tasks)) {
                return sum;
            }
            // comm holds at most 15 characters of the thread name.
            String prefix = namePrefix.length() > 15 ? namePrefix.substring(0, 15) : namePrefix;
            try (DirectoryStream<Path> dirs = Files.newDirectoryStream(tasks)) {
                for (Path dir : dirs) {
                    try {
                        String comm = new String(Files.readAllBytes(dir.resolve("comm")), StandardCharsets.UTF_8).trim();
                        if (!comm.startsWith(prefix)) {
                            continue;
                        }
                        String schedstat = new String(Files.readAllBytes(dir.resolve("schedstat")), StandardCharsets.UTF_8).trim();
                        sum[0] += Long.parseLong(schedstat.split("\\s+")[0]);
                        for (String line : Files.readAllLines(dir.resolve("status"))) {
                            if (line.startsWith("voluntary_ctxt_switches:")) {
                                sum[1] += Long.parseLong(line.substring(line.indexOf(':') + 1).trim());
                            } else if (line.startsWith("nonvoluntary_ctxt_switches:")) {
                                sum[2] += Long.parseLong(line.substring(line.indexOf(':') + 1).trim());
                            }
                        }
                    } catch (IOException | RuntimeException threadEnded) {
                        // the thread ended while we read it
                    }
                }
            } catch (IOException e) {
                return sum;
            }
            return sum;
        }
    }

    /**
     * Wraps a policy (its sizes and its waits) and counts its wait answers, to show how often it chose to
     * wait. The batcher calls {@code nanosToWait} on its former thread only, so plain counters would do;
     * LongAdders keep the snapshot from another thread exact.
     */
    static final class CountingPolicy implements BatchPolicy {
        final BatchPolicy delegate;
        final LongAdder decisions = new LongAdder();
        final LongAdder waits = new LongAdder();

        CountingPolicy(BatchPolicy delegate) {
            this.delegate = delegate;
        }

        @Override
        public long nanosToWait(State state) {
            long w = delegate.nanosToWait(state);
            decisions.increment();
            if (w > 0) {
                waits.increment();
            }
            return w;
        }

        @Override
        public int batchSize(State state) {
            return delegate.batchSize(state);
        }

        @Override
        public int targetBatchSize(List<CostCurve.Point> curve, int maxBatchSize) {
            return delegate.targetBatchSize(curve, maxBatchSize);
        }

        @Override
        public void onBatchExecuted(int size, long executionNanos) {
            delegate.onBatchExecuted(size, executionNanos);
        }

        @Override
        public String toString() {
            return delegate.toString();
        }
    }

    /** What one run of one point measured. */
    static final class Point {
        String policy;
        String kind;
        double offeredRate;
        double seconds;
        long completed;
        long rejected;
        long otherFailures;
        long batches;
        long items;
        long executionNanos;
        long processCpuNanos;
        long formerCpuNanos;
        long formerWakeups;
        long policyDecisions;
        long policyWaits;
        Histogram latency;
        Histogram senderLag;

        double throughput() {
            return completed / seconds;
        }
    }

    /** The runs of one (policy, point): pooled histograms and counters, and per-run figures. */
    static final class Agg {
        final List<Point> runs = new ArrayList<>();

        Point first() {
            return runs.get(0);
        }

        double seconds() {
            return runs.stream().mapToDouble(p -> p.seconds).sum();
        }

        long sum(java.util.function.ToLongFunction<Point> f) {
            return runs.stream().mapToLong(f).sum();
        }

        double throughput() {
            return sum(p -> p.completed) / seconds();
        }

        double medianThroughput() {
            return median(runs.stream().mapToDouble(Point::throughput).toArray());
        }

        String perRunThroughput() {
            StringBuilder b = new StringBuilder();
            for (Point p : runs) {
                b.append(b.length() == 0 ? "" : " / ").append(String.format(Locale.ROOT, "%.0f", p.throughput()));
            }
            return b.toString();
        }

        Histogram pooled(java.util.function.Function<Point, Histogram> f) {
            Histogram h = null;
            for (Point p : runs) {
                Histogram x = f.apply(p);
                if (x == null) {
                    continue;
                }
                if (h == null) {
                    h = x.copy();
                } else {
                    h.add(x);
                }
            }
            return h;
        }

        long latencyP(double percentile) {
            Histogram h = pooled(p -> p.latency);
            return h == null || h.getTotalCount() == 0 ? -1 : h.getValueAtPercentile(percentile);
        }

        long[] perRunP99() {
            return runs.stream().mapToLong(p -> p.latency == null || p.latency.getTotalCount() == 0 ? -1
                    : p.latency.getValueAtPercentile(99)).toArray();
        }

        double meanBatch() {
            long b = sum(p -> p.batches);
            return b == 0 ? 0 : (double) sum(p -> p.items) / b;
        }

        double meanExecNanos() {
            long b = sum(p -> p.batches);
            return b == 0 ? 0 : (double) sum(p -> p.executionNanos) / b;
        }

        double workerBusy(int concurrency) {
            return sum(p -> p.executionNanos) / (seconds() * 1e9 * concurrency);
        }

        /** Time per batch the worker(s) spent not running the function. */
        double idleGapNanos(int concurrency) {
            long b = sum(p -> p.batches);
            return b == 0 ? 0 : (seconds() * 1e9 * concurrency - sum(p -> p.executionNanos)) / b;
        }

        double perRequest(java.util.function.ToLongFunction<Point> f) {
            long c = sum(p -> p.completed);
            return c == 0 ? 0 : (double) sum(f) / c;
        }
    }

    static double median(double[] xs) {
        double[] s = xs.clone();
        Arrays.sort(s);
        int n = s.length;
        return n == 0 ? Double.NaN : n % 2 == 1 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
    }

    private final Options o;

    OpenLoopDriver(Options o) {
        this.o = o;
    }

    public static void main(String[] args) throws Exception {
        Options o = Options.parse(args);
        if (o.sleepTest) {
            sleepTest();
            return;
        }
        new OpenLoopDriver(o).runAll();
    }

    /** Short batcher names, so the thread names stay distinct in the 15 characters Linux keeps. */
    static String shortName(String policy) {
        switch (policy) {
            case "fixed": return "fx";
            case "eager": return "eg";
            default: return "ad";
        }
    }

    private DynamicBatcher<Integer, Integer> batcher(String policy, BatchStats stats, CountingPolicy counting) {
        return DynamicBatcher.builder(o.model())
                .name(shortName(policy))
                .policy(o.countPolicy ? counting : counting.delegate)
                .maxBatchSize(o.maxBatch)
                .maxDelay(Duration.ofNanos(micros(o.maxDelayMs * 1000)))
                .queueCapacity(o.queueCapacity)
                .maxConcurrentBatches(o.concurrency)
                .observer(stats)
                .build();
    }

    /** The machine's load before and now, for the end of a report: a busy machine explains noisy numbers. */
    static String loadLine(String before) {
        return "/proc/loadavg before: " + before + "; after: " + loadAverage() + " ("
                + Runtime.getRuntime().availableProcessors() + " CPUs)";
    }

    static String loadAverage() {
        try {
            return new String(Files.readAllBytes(Paths.get("/proc/loadavg")), StandardCharsets.UTF_8).trim();
        } catch (IOException e) {
            return "?";
        }
    }

    void runAll() throws InterruptedException {
        double limit = o.analyticLimit();
        String loadBefore = loadAverage();
        log(String.format(Locale.ROOT, "analytic limit %.1f req/s (maxBatch %d, batch %.3f ms, concurrency %d)",
                limit, o.maxBatch, o.model().batchNanos(o.maxBatch) / 1e6, o.concurrency));
        Map<String, Agg> saturation = new LinkedHashMap<>();
        for (String mode : o.saturation) {
            for (int r = 0; r < o.repeat; r++) {
                for (String p : o.policies) {
                    Point pt = mode.equals("closed") ? runClosed(p)
                            : runOpen(p, o.overload * limit, o.saturationDurationS, "open " + o.overload + "x", o.seed + r);
                    saturation.computeIfAbsent(mode + "/" + p, k -> new Agg()).runs.add(pt);
                    log(summary(pt, limit));
                }
            }
        }
        Map<String, Map<String, Agg>> byLoad = new LinkedHashMap<>();
        for (double load : o.loads) {
            String kind = String.format(Locale.ROOT, "%.0f%%", load * 100);
            Map<String, Agg> row = new LinkedHashMap<>();
            for (int r = 0; r < o.repeat; r++) {
                for (String p : o.policies) {
                    // The policies of one repetition see the same arrival schedule (same seed).
                    Point pt = runOpen(p, load * limit, o.durationS, kind, o.seed + r);
                    row.computeIfAbsent(p, k -> new Agg()).runs.add(pt);
                    log(summary(pt, limit));
                }
            }
            byLoad.put(kind, row);
        }
        printTables(limit, saturation, byLoad);
        System.out.println(OpenLoopDriver.loadLine(loadBefore));
    }

    // ------------------------------------------------------------------ runs

    /** Keeps {@code closedWindow} requests outstanding; counts completions per second. */
    Point runClosed(String policy) throws InterruptedException {
        BatchStats stats = new BatchStats();
        LongAdder completed = new LongAdder();
        LongAdder failed = new LongAdder();
        Semaphore window = new Semaphore(o.closedWindow);
        CountingPolicy counting = new CountingPolicy(policy(policy));
        DynamicBatcher<Integer, Integer> b = batcher(policy, stats, counting);
        long measureStart = System.nanoTime() + secondsToNanos(o.warmupS);
        long end = measureStart + secondsToNanos(o.saturationDurationS);
        Thread driver = new Thread(() -> {
            while (System.nanoTime() < end) {
                try {
                    if (!window.tryAcquire(10, TimeUnit.MILLISECONDS)) {
                        continue;
                    }
                } catch (InterruptedException e) {
                    return;
                }
                b.submit(INPUT).whenComplete((v, e) -> {
                    window.release();
                    if (e != null) {
                        failed.increment();
                    } else {
                        completed.increment();
                    }
                });
            }
        }, "closed-loop-driver");
        driver.start();
        Point pt = measureWindow(policy, "closed w=" + o.closedWindow, Double.NaN, stats, counting, completed, failed,
                new LongAdder(), measureStart, end);
        driver.join();
        window.acquireUninterruptibly(o.closedWindow); // all outstanding done
        b.close();
        return pt;
    }

    /** Poisson arrivals at {@code rate}; latency from the intended send time. */
    Point runOpen(String policy, double rate, double durationS, String kind, long seed) throws InterruptedException {
        BatchStats stats = new BatchStats();
        Recorder latency = new Recorder(3);
        Recorder lag = new Recorder(3);
        CountingPolicy counting = new CountingPolicy(policy(policy));
        DynamicBatcher<Integer, Integer> b = batcher(policy, stats, counting);
        long start = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(5);
        long measureStart = start + secondsToNanos(o.warmupS);
        long end = measureStart + secondsToNanos(durationS);
        OpenLoopSender sender = new OpenLoopSender("open-loop-sender", PhasedArrivals.constant(rate, end - start, seed),
                start, micros(o.senderSpinUs), () -> b.submit(INPUT),
                OpenLoopSender.measuredFrom(measureStart, latency, lag));
        sender.start();
        Point pt = measureWindow(policy, kind, rate, stats, counting, sender.completed, sender.failed, sender.rejected,
                measureStart, end);
        sender.join();
        if (!sender.awaitOutstanding(TimeUnit.SECONDS.toNanos(60))) {
            log("WARNING: " + sender.outstanding() + " requests still outstanding 60 s after the last send");
        }
        b.close();
        pt.latency = latency.getIntervalHistogram();
        pt.senderLag = lag.getIntervalHistogram();
        return pt;
    }

    /** Snapshots the counters at {@code measureStart} and {@code end} (completion-time based). */
    private Point measureWindow(String policy, String kind, double rate, BatchStats stats, CountingPolicy counting,
            LongAdder completed, LongAdder failed, LongAdder rejected, long measureStart, long end) {
        String former = "sluice-" + shortName(policy) + "-fo";
        String worker = "sluice-" + shortName(policy) + "-wo";
        sleepUntilNanoTime(measureStart);
        long[] before = sample(stats, counting, completed, failed, rejected, former, worker);
        sleepUntilNanoTime(end);
        long[] after = sample(stats, counting, completed, failed, rejected, former, worker);
        long[] d = new long[after.length];
        for (int i = 0; i < d.length; i++) {
            d[i] = after[i] - before[i];
        }
        Point pt = new Point();
        pt.policy = policy;
        pt.kind = kind;
        pt.offeredRate = rate;
        pt.seconds = d[NANO_TIME] / 1e9;
        pt.completed = d[COMPLETED];
        pt.otherFailures = d[FAILED];
        pt.rejected = d[REJECTED];
        pt.batches = d[BATCHES];
        pt.items = d[ITEMS];
        pt.executionNanos = d[EXECUTION];
        pt.processCpuNanos = d[PROCESS_CPU];
        pt.formerCpuNanos = d[FORMER_CPU];
        pt.formerWakeups = d[FORMER_WAKEUPS];
        pt.policyDecisions = d[DECISIONS];
        pt.policyWaits = d[WAITS];
        return pt;
    }

    private static final com.sun.management.OperatingSystemMXBean PROCESS =
            (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();

    // Positions in a counter sample.
    private static final int BATCHES = 0, ITEMS = 1, EXECUTION = 2, COMPLETED = 3, FAILED = 4, REJECTED = 5,
            PROCESS_CPU = 6, FORMER_CPU = 7, FORMER_WAKEUPS = 8, WORKER_WAKEUPS = 9, DECISIONS = 10, WAITS = 11,
            NANO_TIME = 12;

    /** Every counter a measurement window reports, read once; a window is the difference of two samples. */
    private static long[] sample(BatchStats stats, CountingPolicy counting, LongAdder completed, LongAdder failed,
            LongAdder rejected, String former, String worker) {
        long[] s = stats.snapshot();
        long[] fo = ThreadProbe.sample(former);
        long[] wo = ThreadProbe.sample(worker);
        return new long[] {s[0], s[1], s[2], completed.sum(), failed.sum(), rejected.sum(),
                PROCESS.getProcessCpuTime(), fo[0], fo[1], wo[1], counting.decisions.sum(), counting.waits.sum(),
                System.nanoTime()};
    }

    static void sleepUntilNanoTime(long t) {
        long left;
        while ((left = t - System.nanoTime()) > 0) {
            LockSupport.parkNanos(Math.min(left, TimeUnit.MILLISECONDS.toNanos(100)));
        }
    }

    static long secondsToNanos(double s) {
        return Math.round(s * 1e9);
    }

    // ------------------------------------------------------------------ output

    private String summary(Point pt, double limit) {
        Histogram h = pt.latency;
        boolean lat = h != null && h.getTotalCount() > 0;
        return String.format(Locale.ROOT, "%-8s %-14s offered %8s got %8.0f/s (%.1f%% of limit) p50 %s p99 %s p99.9 %s ms, "
                        + "batch %.1f, exec %.3f ms, policy waits %d/%d, former wakeups/req %.2f, cpu us/req %.1f, rejected %d, failed %d",
                pt.policy, pt.kind, Double.isNaN(pt.offeredRate) ? "closed" : String.format(Locale.ROOT, "%.0f", pt.offeredRate),
                pt.throughput(), 100 * pt.throughput() / limit,
                ms(lat ? h.getValueAtPercentile(50) : -1), ms(lat ? h.getValueAtPercentile(99) : -1),
                ms(lat ? h.getValueAtPercentile(99.9) : -1),
                pt.batches == 0 ? 0 : (double) pt.items / pt.batches,
                pt.batches == 0 ? 0 : pt.executionNanos / 1e6 / pt.batches, pt.policyWaits, pt.policyDecisions,
                pt.completed == 0 ? 0 : (double) pt.formerWakeups / pt.completed,
                pt.completed == 0 ? 0 : pt.processCpuNanos / 1e3 / pt.completed,
                pt.rejected, pt.otherFailures);
    }

    void printTables(double limit, Map<String, Agg> saturation, Map<String, Map<String, Agg>> byLoad) {
        StringBuilder out = new StringBuilder();
        out.append(String.format(Locale.ROOT, "%nFake model: %.0f us + %.0f us/item (sleep: park, spin last %.0f us); "
                        + "maxBatch %d, maxDelay %.1f ms, queueCapacity %d, maxConcurrentBatches %d; "
                        + "analytic limit %.1f req/s; %d interleaved run(s) per point, each %.0f s warmup + %.0f s measured "
                        + "(%.0f s at saturation); seed %d.%n%n",
                o.fixedUs, o.perItemUs, o.spinUs, o.maxBatch, o.maxDelayMs, o.queueCapacity, o.concurrency, limit,
                o.repeat, o.warmupS, o.durationS, o.saturationDurationS, o.seed));
        if (!saturation.isEmpty()) {
            out.append("Saturation throughput (median of runs; other columns pooled over runs)\n\n");
            out.append("| policy | mode | completed req/s | per run | % of analytic limit | mean batch | mean batch time ms "
                    + "| model overrun us/batch | worker idle us/batch | worker busy | process CPU us/req "
                    + "| former CPU us/req | former wakeups/req | rejected/s |\n");
            out.append("|---|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
            for (Agg a : saturation.values()) {
                Point f = a.first();
                double nominal = o.model().batchNanos(0) + micros(o.perItemUs) * a.meanBatch();
                out.append(String.format(Locale.ROOT, "| %s | %s | %.0f | %s | %.1f%% | %.1f | %.3f | %.0f | %.0f | %.1f%% | %.1f | %.2f | %.3f | %.0f |%n",
                        f.policy, f.kind, a.medianThroughput(), a.perRunThroughput(), 100 * a.medianThroughput() / limit,
                        a.meanBatch(), a.meanExecNanos() / 1e6, (a.meanExecNanos() - nominal) / 1e3,
                        a.idleGapNanos(o.concurrency) / 1e3, 100 * a.workerBusy(o.concurrency),
                        a.perRequest(p -> p.processCpuNanos) / 1e3, a.perRequest(p -> p.formerCpuNanos) / 1e3,
                        a.perRequest(p -> p.formerWakeups), a.sum(p -> p.rejected) / a.seconds()));
            }
            out.append('\n');
        }
        if (!byLoad.isEmpty()) {
            out.append("Latency from intended send time (coordinated-omission corrected), ms, pooled over runs\n\n");
            out.append("| load | policy | offered req/s | completed req/s | p50 | p99 | p99.9 | max | p99 per run | mean batch "
                    + "| worker busy | policy waited | process CPU us/req | former CPU us/req | former wakeups/req | sender lag p99 | failed |\n");
            out.append("|---|---|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|\n");
            for (Map<String, Agg> row : byLoad.values()) {
                for (Agg a : row.values()) {
                    Point f = a.first();
                    Histogram all = a.pooled(p -> p.latency);
                    Histogram lag = a.pooled(p -> p.senderLag);
                    StringBuilder perRun = new StringBuilder();
                    for (long v : a.perRunP99()) {
                        perRun.append(perRun.length() == 0 ? "" : " / ").append(ms(v));
                    }
                    long decisions = a.sum(p -> p.policyDecisions);
                    String waited = decisions == 0 ? "-" : String.format(Locale.ROOT, "%.1f%% of %d",
                            100.0 * a.sum(p -> p.policyWaits) / decisions, decisions);
                    out.append(String.format(Locale.ROOT, "| %s | %s | %.0f | %.0f | %s | %s | %s | %s | %s | %.1f | %.1f%% | %s | %.1f | %.2f | %.3f | %s | %d |%n",
                            f.kind, f.policy, f.offeredRate, a.throughput(), ms(a.latencyP(50)), ms(a.latencyP(99)),
                            ms(a.latencyP(99.9)), ms(all == null ? -1 : all.getMaxValue()), perRun, a.meanBatch(),
                            100 * a.workerBusy(o.concurrency), waited, a.perRequest(p -> p.processCpuNanos) / 1e3,
                            a.perRequest(p -> p.formerCpuNanos) / 1e3, a.perRequest(p -> p.formerWakeups), ms(lag == null ? -1 : lag.getValueAtPercentile(99)),
                            a.sum(p -> p.rejected + p.otherFailures)));
                }
            }
            out.append('\n');
            if (o.policies.contains("adaptive") && o.policies.contains("fixed") && o.policies.contains("eager")) {
                out.append("Target: adaptive p99 no worse than the better of fixed and eager (pooled p99; "
                        + "runs: in how many interleaved runs it held)\n\n");
                out.append("| load | fixed p99 | eager p99 | adaptive p99 | adaptive / better | met (pooled) | runs |\n");
                out.append("|---|---:|---:|---:|---:|---|---|\n");
                for (Map<String, Agg> row : byLoad.values()) {
                    long f = row.get("fixed").latencyP(99);
                    long g = row.get("eager").latencyP(99);
                    long a = row.get("adaptive").latencyP(99);
                    double ratio = (double) a / Math.min(f, g);
                    long[] fr = row.get("fixed").perRunP99();
                    long[] gr = row.get("eager").perRunP99();
                    long[] ar = row.get("adaptive").perRunP99();
                    int held = 0;
                    for (int i = 0; i < ar.length; i++) {
                        if (ar[i] <= Math.min(fr[i], gr[i])) {
                            held++;
                        }
                    }
                    out.append(String.format(Locale.ROOT, "| %s | %s | %s | %s | %.3f | %s | %d of %d |%n",
                            row.get("fixed").first().kind, ms(f), ms(g), ms(a), ratio, ratio <= 1.0 ? "yes" : "no",
                            held, ar.length));
                }
                out.append('\n');
            }
        }
        System.out.print(out);
        System.out.flush();
    }

    static String ms(long nanos) {
        return nanos < 0 ? "-" : String.format(Locale.ROOT, "%.3f", nanos / 1e6);
    }

    private static void log(String s) {
        System.err.println("[open-loop] " + s);
        System.err.flush();
    }

    // ------------------------------------------------------------------ sleep precision

    /** Measures how late {@code parkNanos}, {@code Thread.sleep} and the model's park+spin sleep return. */
    static void sleepTest() throws InterruptedException {
        long[] targetsUs = {100, 1000, 2050, 5200};
        long[] spinsUs = {50, 100, 200, 300};
        int samples = 300;
        StringBuilder out = new StringBuilder();
        out.append("Sleep precision: lateness (actual - requested), us\n\n");
        out.append("| method | requested us | p50 | p90 | p99 | max | mean | samples |\n");
        out.append("|---|---:|---:|---:|---:|---:|---:|---:|\n");
        List<String> methods = new ArrayList<>(List.of("parkNanos", "Thread.sleep"));
        for (long spin : spinsUs) {
            methods.add("park+spin " + spin + "us");
        }
        for (String method : methods) {
            for (long us : targetsUs) {
                if (method.equals("Thread.sleep") && us % 1000 != 0) {
                    continue;
                }
                long spinNanos = method.startsWith("park+spin ")
                        ? Long.parseLong(method.substring(10, method.length() - 2)) * 1000 : 0;
                Histogram h = new Histogram(3);
                long target = us * 1000;
                for (int i = 0; i < samples + 20; i++) {
                    long t0 = System.nanoTime();
                    if (method.equals("parkNanos")) {
                        LockSupport.parkNanos(target);
                    } else if (method.equals("Thread.sleep")) {
                        Thread.sleep(us / 1000);
                    } else {
                        dev.sluice.testing.FakeModel.sleepUntil(t0 + target, spinNanos);
                    }
                    long late = System.nanoTime() - t0 - target;
                    if (i >= 20) {
                        h.recordValue(Math.max(0, late));
                    }
                }
                out.append(String.format(Locale.ROOT, "| %s | %d | %.1f | %.1f | %.1f | %.1f | %.1f | %d |%n", method, us,
                        h.getValueAtPercentile(50) / 1e3, h.getValueAtPercentile(90) / 1e3, h.getValueAtPercentile(99) / 1e3,
                        h.getMaxValue() / 1e3, h.getMean() / 1e3, h.getTotalCount()));
            }
        }
        System.out.print(out);
    }
}
