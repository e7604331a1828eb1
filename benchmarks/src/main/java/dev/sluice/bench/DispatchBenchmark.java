package dev.sluice.bench;

import dev.sluice.Batching;
import dev.sluice.Deployment;
import dev.sluice.DeploymentHandle;
import dev.sluice.Resources;
import dev.sluice.Sluice;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import java.util.function.ToDoubleFunction;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/**
 * Sluice's shared-queue pull dispatch against per-replica queues with power-of-two-choices routing, when
 * one replica is slower than the others.
 *
 * <p>{@code --replicas} (4) replicas of a fake model whose batch of {@code n} takes
 * {@code fixed + perItem * n}; the first replica's costs are {@code --slowdown} (3) times larger. The cost
 * is spent parked ({@code LockSupport.parkNanos}, spinning only the last {@code --spin-us}, default 0):
 * the replicas then overlap like accelerators, even on a machine with fewer cores than replicas, where
 * spinning models would queue for the cores. Arrivals are Poisson at {@code --load} (0.8) of the analytic
 * capacity, the sum over replicas of {@code maxBatch / (fixed + perItem * maxBatch)}, which counts the slow
 * replica at {@code 1 / slowdown} of the speed of the others. Latency is measured from each request's
 * intended send time (open loop, corrected for coordinated omission).
 *
 * <p>Each repetition runs both dispatches, in alternating order, on the same arrival schedule:
 * <ul>
 *   <li>{@code pull}: a real {@link Sluice} deployment with {@code replicas(N)}: one queue, and a replica
 *       takes its next batch from it when it is free (late binding);
 *   <li>{@code p2c}: {@link PowerOfTwoChoicesDispatch}: one {@code DynamicBatcher} per replica with the same
 *       batching settings, each request sent to the less loaded of two random replicas (outstanding
 *       requests: queued or in the running batch).
 * </ul>
 *
 * <p>Prints markdown tables on stdout (progress on stderr): per dispatch the medians across repetitions of
 * p50, p99, p99.9, mean batch size, throughput and the slow replica's share of requests; and the ratios
 * pull / p2c of p50 and p99, per repetition and their median. {@code --help} lists the options. Run from
 * the repository root (the defaults take about 1.5 minutes):
 *
 * <pre>
 * mvn -q -B -o package -DskipTests -pl benchmarks -am
 * java -cp benchmarks/target/benchmarks.jar dev.sluice.bench.DispatchBenchmark
 * java -cp benchmarks/target/benchmarks.jar dev.sluice.bench.DispatchBenchmark --repeat 1 --warmup-s 1 --duration-s 3   # smoke run
 * </pre>
 */
public final class DispatchBenchmark {

    static final Integer INPUT = 7;

    /** Command-line options with their defaults. */
    static final class Options {
        int replicas = 4;
        double slowdown = 3;
        double load = 0.8;
        double fixedUs = 10_000;
        double perItemUs = 500;
        double spinUs = 0;
        int maxBatch = 32;
        double maxDelayMs = 2;
        String policy = "eager";
        int queueCapacity = 4096;
        double warmupS = 3;
        double durationS = 10;
        int repeat = 3;
        long seed = 1;
        double senderSpinUs = 0;

        static Options parse(String[] args) {
            Options o = new Options();
            CommandLine.parse(args, Options::usage, Set.of(), (a, v) -> {
                switch (a) {
                    case "--replicas": o.replicas = Integer.parseInt(v); break;
                    case "--slowdown": o.slowdown = Double.parseDouble(v); break;
                    case "--load": o.load = Double.parseDouble(v); break;
                    case "--fixed-us": o.fixedUs = Double.parseDouble(v); break;
                    case "--per-item-us": o.perItemUs = Double.parseDouble(v); break;
                    case "--spin-us": o.spinUs = Double.parseDouble(v); break;
                    case "--max-batch": o.maxBatch = Integer.parseInt(v); break;
                    case "--max-delay-ms": o.maxDelayMs = Double.parseDouble(v); break;
                    case "--policy": o.policy = v; break;
                    case "--queue-capacity": o.queueCapacity = Integer.parseInt(v); break;
                    case "--warmup-s": o.warmupS = Double.parseDouble(v); break;
                    case "--duration-s": o.durationS = Double.parseDouble(v); break;
                    case "--repeat": o.repeat = Integer.parseInt(v); break;
                    case "--seed": o.seed = Long.parseLong(v); break;
                    case "--sender-spin-us": o.senderSpinUs = Double.parseDouble(v); break;
                    default: throw CommandLine.unknown(a);
                }
            });
            OpenLoopDriver.policy(o.policy); // validates
            if (o.replicas < 2) {
                throw new IllegalArgumentException("--replicas must be at least 2 (one slow, the others not)");
            }
            if (!(o.slowdown > 0)) {
                throw new IllegalArgumentException("--slowdown must be positive");
            }
            if (!(o.load > 0)) {
                throw new IllegalArgumentException("--load must be positive");
            }
            if (o.repeat < 1) {
                throw new IllegalArgumentException("--repeat must be at least 1");
            }
            if (!(o.durationS > 0) || o.warmupS < 0) {
                throw new IllegalArgumentException("--duration-s must be positive and --warmup-s not negative");
            }
            return o;
        }

        static void usage() {
            System.out.println(String.join("\n",
                    "DispatchBenchmark [options]: Sluice's shared-queue pull dispatch against per-replica queues",
                    "with power-of-two-choices routing, one replica slower than the others",
                    "  --replicas 4                      replicas; the first one is the slow one",
                    "  --slowdown 3                      the slow replica's costs are this many times larger",
                    "  --load 0.8                        offered load, fraction of the analytic capacity of all replicas",
                    "  --fixed-us 10000 --per-item-us 500  fake model: batch of n takes fixed + perItem*n (fast replicas)",
                    "  --spin-us 0                       model: park, then spin the last N us (0: park only, so replicas",
                    "                                    overlap even with fewer cores than replicas)",
                    "  --max-batch 32 --max-delay-ms 2   batching, the same for both dispatches",
                    "  --policy eager                    batch policy: eager, fixed or adaptive",
                    "  --queue-capacity 4096             queue capacity (p2c: of each replica's queue)",
                    "  --warmup-s 3 --duration-s 10      per run: warmup at the same load, then measured seconds",
                    "  --repeat 3                        repetitions; each runs pull and p2c on one schedule, order alternating",
                    "  --seed 1                          seed of the Poisson schedule (repetition r uses seed + r)",
                    "  --sender-spin-us 0                sender: park, then spin the last N us before a send"));
        }

        /** Every replica's model, the slow one first. */
        List<ReplicaModel<Integer>> models() {
            FakeModel<Integer> fast = new FakeModel<>(OpenLoopDriver.micros(fixedUs), OpenLoopDriver.micros(perItemUs),
                    OpenLoopDriver.micros(spinUs));
            List<ReplicaModel<Integer>> models = new ArrayList<>();
            models.add(new ReplicaModel<>(fast.slowerBy(slowdown)));
            for (int i = 1; i < replicas; i++) {
                models.add(new ReplicaModel<>(fast));
            }
            return models;
        }

        /** The batching settings of both dispatches; each batcher they are applied to gets its own policy instance. */
        Batching batching() {
            Duration maxDelay = Duration.ofNanos(OpenLoopDriver.micros(maxDelayMs * 1000));
            return Batching.builder().maxBatchSize(maxBatch).maxDelay(maxDelay).queueCapacity(queueCapacity)
                    .policy(() -> OpenLoopDriver.policy(policy)).build();
        }

        double offeredRate() {
            return load * capacity(models(), maxBatch);
        }
    }

    /**
     * Requests per second of {@code models} when each runs full batches back to back: the sum of their
     * {@link FakeModel#capacity}. A model k times slower adds 1/k of a fast one.
     */
    static double capacity(List<ReplicaModel<Integer>> models, int maxBatch) {
        double sum = 0;
        for (ReplicaModel<Integer> m : models) {
            sum += m.cost().capacity(maxBatch);
        }
        return sum;
    }

    /** What one run of one dispatch measured, over its measured window. */
    record Run(String dispatch, double seconds, long completed, long rejected, long failed, long[] batches,
            long[] items, Histogram latency, Histogram senderLag) {

        double throughput() {
            return completed / seconds;
        }

        double meanBatch() {
            long b = 0;
            long n = 0;
            for (int i = 0; i < batches.length; i++) {
                b += batches[i];
                n += items[i];
            }
            return b == 0 ? 0 : (double) n / b;
        }

        /** The slow replica's (index 0) share of the requests run. */
        double slowShare() {
            long n = 0;
            for (long x : items) {
                n += x;
            }
            return n == 0 ? 0 : (double) items[0] / n;
        }

        double slowMeanBatch() {
            return batches[0] == 0 ? 0 : (double) items[0] / batches[0];
        }

        /** Latency at {@code percentile}, in nanoseconds; -1 if nothing was measured. */
        long latency(double percentile) {
            return latency.getTotalCount() == 0 ? -1 : latency.getValueAtPercentile(percentile);
        }
    }

    private final Options o;

    DispatchBenchmark(Options o) {
        this.o = o;
    }

    public static void main(String[] args) throws Exception {
        new DispatchBenchmark(Options.parse(args)).runAll();
    }

    void runAll() throws Exception {
        String loadBefore = OpenLoopDriver.loadAverage();
        List<Run> pull = new ArrayList<>();
        List<Run> p2c = new ArrayList<>();
        log(String.format(Locale.ROOT, "analytic capacity %.1f req/s, offered %.1f req/s",
                capacity(o.models(), o.maxBatch), o.offeredRate()));
        String slowId = "?";
        for (int r = 0; r < o.repeat; r++) {
            long seed = o.seed + r;
            // Alternate the order, so that a machine that slows down over the run does not favour one side.
            for (int k = 0; k < 2; k++) {
                if ((k == 0) == (r % 2 == 0)) {
                    String[] ids = new String[o.replicas];
                    Run run = runPull(seed, ids);
                    slowId = ids[0];
                    pull.add(run);
                    log("repeat " + (r + 1) + " " + summary(run));
                } else {
                    Run run = runP2c(seed);
                    p2c.add(run);
                    log("repeat " + (r + 1) + " " + summary(run));
                }
            }
        }
        System.out.print(report(pull, p2c, slowId));
        System.out.println(OpenLoopDriver.loadLine(loadBefore));
        System.out.flush();
    }

    /** One run against a Sluice deployment of the replicas; {@code ids[i]} gets the replica id of model i. */
    Run runPull(long seed, String[] ids) throws Exception {
        List<ReplicaModel<Integer>> models = o.models();
        AtomicInteger made = new AtomicInteger();
        try (Sluice sluice = Sluice.builder().resources(Resources.builder().cpus(o.replicas).build()).build()) {
            DeploymentHandle<Integer, Integer> h = sluice.deploy(Deployment.<Integer, Integer>builder("pull", ctx -> {
                int i = made.getAndIncrement();
                if (i >= models.size()) {
                    throw new IllegalStateException("replica " + ctx.replicaId() + " would replace a lost one;"
                            + " the benchmark's results would mix models, so it refuses");
                }
                ids[i] = ctx.replicaId();
                return models.get(i);
            }).batching(o.batching()).replicas(o.replicas).build());
            h.awaitReady(Duration.ofSeconds(30));
            return measure("pull", models, () -> h.submit(INPUT), seed);
        }
    }

    /** One run against per-replica batchers with power-of-two-choices routing. */
    Run runP2c(long seed) throws Exception {
        List<ReplicaModel<Integer>> models = o.models();
        try (PowerOfTwoChoicesDispatch<Integer, Integer> d = new PowerOfTwoChoicesDispatch<>(models, o.batching(),
                "p2c", seed + 0x5DEECE66DL)) { // picks independent of the arrival gaps
            return measure("p2c", models, () -> d.submit(INPUT), seed);
        }
    }

    private Run measure(String dispatch, List<ReplicaModel<Integer>> models,
            Supplier<? extends CompletableFuture<?>> submit, long seed) throws InterruptedException {
        Recorder latency = new Recorder(3);
        Recorder lag = new Recorder(3);
        long start = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(5);
        long measureStart = start + OpenLoopDriver.secondsToNanos(o.warmupS);
        long end = measureStart + OpenLoopDriver.secondsToNanos(o.durationS);
        OpenLoopSender sender = new OpenLoopSender("dispatch-sender",
                PhasedArrivals.constant(o.offeredRate(), end - start, seed), start,
                OpenLoopDriver.micros(o.senderSpinUs), submit, OpenLoopSender.measuredFrom(measureStart, latency, lag));
        sender.start();
        OpenLoopDriver.sleepUntilNanoTime(measureStart);
        long[] before = counters(sender, models);
        OpenLoopDriver.sleepUntilNanoTime(end);
        long[] after = counters(sender, models);
        sender.join();
        if (!sender.awaitOutstanding(TimeUnit.SECONDS.toNanos(60))) {
            log("WARNING: " + sender.outstanding() + " requests still outstanding 60 s after the last send");
        }
        long[] d = new long[after.length];
        for (int i = 0; i < d.length; i++) {
            d[i] = after[i] - before[i];
        }
        int n = models.size();
        long[] batches = new long[n];
        long[] items = new long[n];
        for (int i = 0; i < n; i++) {
            batches[i] = d[4 + 2 * i];
            items[i] = d[5 + 2 * i];
        }
        return new Run(dispatch, d[0] / 1e9, d[1], d[2], d[3], batches, items, latency.getIntervalHistogram(),
                lag.getIntervalHistogram());
    }

    /** {nanoTime, completed, rejected, failed, then batches and items of each replica}, read once. */
    private static long[] counters(OpenLoopSender sender, List<ReplicaModel<Integer>> models) {
        long[] s = new long[4 + 2 * models.size()];
        s[0] = System.nanoTime();
        s[1] = sender.completed.sum();
        s[2] = sender.rejected.sum();
        s[3] = sender.failed.sum();
        for (int i = 0; i < models.size(); i++) {
            s[4 + 2 * i] = models.get(i).batches();
            s[5 + 2 * i] = models.get(i).items();
        }
        return s;
    }

    // ------------------------------------------------------------------ output

    private String summary(Run r) {
        return String.format(Locale.ROOT, "%-4s got %.0f/s p50 %s p99 %s p99.9 %s ms, batch %.1f, slow replica %.1f%% of"
                        + " requests (batch %.1f), sender lag p99 %s ms, rejected %d, failed %d",
                r.dispatch(), r.throughput(), OpenLoopDriver.ms(r.latency(50)), OpenLoopDriver.ms(r.latency(99)),
                OpenLoopDriver.ms(r.latency(99.9)), r.meanBatch(), 100 * r.slowShare(), r.slowMeanBatch(),
                OpenLoopDriver.ms(r.senderLag().getTotalCount() == 0 ? -1 : r.senderLag().getValueAtPercentile(99)),
                r.rejected(), r.failed());
    }

    String report(List<Run> pull, List<Run> p2c, String slowId) {
        List<ReplicaModel<Integer>> models = o.models();
        FakeModel<Integer> fast = models.get(1).cost();
        FakeModel<Integer> slow = models.get(0).cost();
        double capacity = capacity(models, o.maxBatch);
        StringBuilder out = new StringBuilder();
        out.append(String.format(Locale.ROOT, "%nDispatch with one slow replica: %d replicas, the first (%s in Sluice) %.1fx"
                        + " slower. Fake model: a batch of n takes %.0f us + %.0f us x n (slow one %.0f us + %.0f us x n),"
                        + " spent parked (spin the last %.0f us), so that %d replicas run at once on this machine's %d"
                        + " CPU(s) as accelerators would.%n",
                o.replicas, slowId, o.slowdown, o.fixedUs, o.perItemUs, slow.batchNanos(0) / 1e3,
                (slow.batchNanos(1) - slow.batchNanos(0)) / 1e3, o.spinUs, o.replicas,
                Runtime.getRuntime().availableProcessors()));
        out.append(String.format(Locale.ROOT, "Analytic capacity (full batches of %d back to back): %d x %.1f + 1 x %.1f"
                        + " = %.1f req/s; offered %.0f%% of it = %.1f req/s, Poisson. Batching for both: maxBatch %d,"
                        + " maxDelay %.1f ms, policy %s, queueCapacity %d (p2c: per replica).%n",
                o.maxBatch, o.replicas - 1, fast.capacity(o.maxBatch), slow.capacity(o.maxBatch), capacity,
                100 * o.load, o.offeredRate(), o.maxBatch, o.maxDelayMs, o.policy, o.queueCapacity));
        out.append(String.format(Locale.ROOT, "pull: a Sluice deployment, replicas(%d), one shared queue. p2c: a"
                        + " DynamicBatcher per replica, power of two choices over outstanding requests. %d"
                        + " repetition(s), each both dispatches on the same schedule (seed %d + r), order alternating;"
                        + " %.0f s warmup + %.0f s measured per run. Latency from the intended send time.%n%n",
                o.replicas, o.repeat, o.seed, o.warmupS, o.durationS));

        out.append("Medians across repetitions (latency in ms)\n\n");
        out.append("| dispatch | p50 | p99 | p99.9 | mean batch | throughput req/s | slow replica's share of requests "
                + "| slow replica's mean batch | p99 per run | sender lag p99 | rejected | failed |\n");
        out.append("|---|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|\n");
        for (List<Run> runs : List.of(pull, p2c)) {
            StringBuilder perRun = new StringBuilder();
            for (Run r : runs) {
                perRun.append(perRun.length() == 0 ? "" : " / ").append(OpenLoopDriver.ms(r.latency(99)));
            }
            out.append(String.format(Locale.ROOT, "| %s | %s | %s | %s | %.1f | %.1f | %.1f%% | %.1f | %s | %s | %d | %d |%n",
                    runs.get(0).dispatch(), msMedian(runs, r -> r.latency(50)), msMedian(runs, r -> r.latency(99)),
                    msMedian(runs, r -> r.latency(99.9)), median(runs, Run::meanBatch), median(runs, Run::throughput),
                    100 * median(runs, Run::slowShare), median(runs, Run::slowMeanBatch), perRun,
                    msMedian(runs, r -> r.senderLag().getTotalCount() == 0 ? -1 : r.senderLag().getValueAtPercentile(99)),
                    runs.stream().mapToLong(Run::rejected).sum(), runs.stream().mapToLong(Run::failed).sum()));
        }
        out.append(String.format(Locale.ROOT, "%nThe slow replica's share of the capacity is %.1f%%.%n%n",
                100 * slow.capacity(o.maxBatch) / capacity));

        out.append("Ratio pull / p2c (below 1: pull is faster), per repetition on the same schedule\n\n");
        out.append("| percentile | median of ratios | per repetition |\n");
        out.append("|---|---:|---|\n");
        for (double pct : new double[] {50, 99}) {
            double[] ratios = ratios(pull, p2c, pct);
            StringBuilder each = new StringBuilder();
            for (double x : ratios) {
                each.append(each.length() == 0 ? "" : " / ").append(String.format(Locale.ROOT, "%.3f", x));
            }
            out.append(String.format(Locale.ROOT, "| p%.0f | %.3f | %s |%n", pct, OpenLoopDriver.median(ratios), each));
        }
        out.append('\n');
        return out.toString();
    }

    /** pull's latency at {@code percentile} over p2c's, for each repetition (same schedule). */
    static double[] ratios(List<Run> pull, List<Run> p2c, double percentile) {
        double[] r = new double[Math.min(pull.size(), p2c.size())];
        for (int i = 0; i < r.length; i++) {
            r[i] = (double) pull.get(i).latency(percentile) / p2c.get(i).latency(percentile);
        }
        return r;
    }

    private static double median(List<Run> runs, ToDoubleFunction<Run> f) {
        return OpenLoopDriver.median(runs.stream().mapToDouble(f).toArray());
    }

    private static String msMedian(List<Run> runs, ToDoubleFunction<Run> nanos) {
        double m = median(runs, nanos);
        return m < 0 ? "-" : String.format(Locale.ROOT, "%.3f", m / 1e6);
    }

    private static void log(String s) {
        System.err.println("[dispatch] " + s);
        System.err.flush();
    }
}
