package dev.sluice.bench;

import dev.sluice.AutoscalerAction;
import dev.sluice.AutoscalingPolicy;
import dev.sluice.Deployment;
import dev.sluice.DeploymentHandle;
import dev.sluice.Resources;
import dev.sluice.ReplicaState;
import dev.sluice.Sluice;
import dev.sluice.SluiceStatus;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import org.HdrHistogram.Histogram;

/**
 * How fast Sluice's autoscaler follows a load step, and what latency costs meanwhile.
 *
 * <p>A real {@link Sluice} deployment with {@code replicas(1, max)} ({@code --max-replicas}, 4) of a fake
 * model whose batch of {@code n} takes {@code fixed + perItem * n}, spent parked (so that the replicas
 * overlap even on a machine with fewer cores than replicas), and an {@link AutoscalingPolicy} with short
 * delays ({@code --look-back-ms 2000 --upscale-delay-ms 1000 --downscale-delay-ms 5000}). Poisson arrivals
 * at {@code --low} (0.1) of {@code max x} one replica's capacity for {@code --low-s} seconds, then a step
 * to {@code --high} (0.8) for {@code --high-s}, then (unless {@code --down-s 0}) back to {@code --low}.
 * One replica's capacity is {@code maxBatch / (fixed + perItem * maxBatch)}: full batches back to back.
 *
 * <p>"Needed" replicas for an offered load are {@code ceil(load / targetUtilization)}, capped to
 * {@code [max(1, min), max]}, where the load is the offered rate in replicas' worth of that capacity. The
 * autoscaler itself measures load as busy replicas plus queued batches. That equals the offered load only
 * when a batch costs the same per input whatever its size, so the default model is linear
 * ({@code 0 us + 1000 us x n}, a CPU model's cost). With a fixed cost per batch a replica at low load runs
 * small batches back to back and counts as busier than the offered load: with an accelerator's cost
 * ({@code --fixed-us 10000 --per-item-us 500}) the deployment scales up at 10% load already and does not
 * scale down; with {@code --fixed-us 200 --per-item-us 1000} it may settle at 2 replicas after the step
 * down, where 1 is needed. The report says so below its table when a step starts from another count than
 * the load before it needs, and shows "not reached" when the count never gets there.
 *
 * <p>Every {@code --sample-ms} (100) it samples the deployment's RUNNING replica count and its target. It
 * reports, per step, when the target and the RUNNING count first reached the needed count (to within a
 * sample), and the p99 latency (from the intended send time, open loop) of the requests sent during the
 * transition (from the step until RUNNING reached the need) and after it, until the next step. It writes
 * the samples to {@code autoscale-step.csv} and a plot of them to {@code autoscale-step.svg} in
 * {@code --out} ({@code benchmarks/results}). {@code --help} lists the options. Run from the repository
 * root (the defaults take about 50 seconds):
 *
 * <pre>
 * mvn -q -B -o package -DskipTests -pl benchmarks -am
 * java -cp benchmarks/target/benchmarks.jar dev.sluice.bench.AutoscaleStepBenchmark
 * java -cp benchmarks/target/benchmarks.jar dev.sluice.bench.AutoscaleStepBenchmark --low-s 4 --high-s 6 --down-s 8 --out /tmp/autoscale   # smoke run
 * </pre>
 */
public final class AutoscaleStepBenchmark {

    static final Integer INPUT = 7;
    static final String NAME = "step";

    /** Command-line options with their defaults. */
    static final class Options {
        int maxReplicas = 4;
        double low = 0.1;
        double high = 0.8;
        double lowS = 10;
        double highS = 20;
        double downS = 15;
        long lookBackMs = 2000;
        long upscaleDelayMs = 1000;
        long downscaleDelayMs = 5000;
        double targetUtilization = 0.7;
        double tolerance = 0.2;
        double fixedUs = 0;
        double perItemUs = 1_000;
        double spinUs = 0;
        int maxBatch = 32;
        double maxDelayMs = 2;
        String policy = "eager";
        int queueCapacity = 65_536;
        long sampleMs = 100;
        long seed = 1;
        double senderSpinUs = 0;
        String out = "benchmarks/results";

        static Options parse(String[] args) {
            Options o = new Options();
            CommandLine.parse(args, Options::usage, Set.of(), (a, v) -> {
                switch (a) {
                    case "--max-replicas": o.maxReplicas = Integer.parseInt(v); break;
                    case "--low": o.low = Double.parseDouble(v); break;
                    case "--high": o.high = Double.parseDouble(v); break;
                    case "--low-s": o.lowS = Double.parseDouble(v); break;
                    case "--high-s": o.highS = Double.parseDouble(v); break;
                    case "--down-s": o.downS = Double.parseDouble(v); break;
                    case "--look-back-ms": o.lookBackMs = Long.parseLong(v); break;
                    case "--upscale-delay-ms": o.upscaleDelayMs = Long.parseLong(v); break;
                    case "--downscale-delay-ms": o.downscaleDelayMs = Long.parseLong(v); break;
                    case "--target-utilization": o.targetUtilization = Double.parseDouble(v); break;
                    case "--tolerance": o.tolerance = Double.parseDouble(v); break;
                    case "--fixed-us": o.fixedUs = Double.parseDouble(v); break;
                    case "--per-item-us": o.perItemUs = Double.parseDouble(v); break;
                    case "--spin-us": o.spinUs = Double.parseDouble(v); break;
                    case "--max-batch": o.maxBatch = Integer.parseInt(v); break;
                    case "--max-delay-ms": o.maxDelayMs = Double.parseDouble(v); break;
                    case "--policy": o.policy = v; break;
                    case "--queue-capacity": o.queueCapacity = Integer.parseInt(v); break;
                    case "--sample-ms": o.sampleMs = Long.parseLong(v); break;
                    case "--seed": o.seed = Long.parseLong(v); break;
                    case "--sender-spin-us": o.senderSpinUs = Double.parseDouble(v); break;
                    case "--out": o.out = v; break;
                    default: throw CommandLine.unknown(a);
                }
            });
            OpenLoopDriver.policy(o.policy); // validates
            o.autoscaling(); // validates its fields
            if (o.maxReplicas < 1) {
                throw new IllegalArgumentException("--max-replicas must be at least 1");
            }
            if (!(o.low > 0) || !(o.high > 0)) {
                throw new IllegalArgumentException("--low and --high must be positive");
            }
            if (!(o.lowS > 0) || !(o.highS > 0) || o.downS < 0) {
                throw new IllegalArgumentException("--low-s and --high-s must be positive, --down-s not negative");
            }
            if (o.sampleMs < 1) {
                throw new IllegalArgumentException("--sample-ms must be at least 1");
            }
            return o;
        }

        static void usage() {
            System.out.println(String.join("\n",
                    "AutoscaleStepBenchmark [options]: a Sluice deployment with replicas(1, max) under a load step",
                    "  --max-replicas 4                  replicas(1, max); loads are fractions of max x one replica's capacity",
                    "  --low 0.1 --high 0.8              load before and after the step",
                    "  --low-s 10 --high-s 20            seconds at the low load, then at the high load",
                    "  --down-s 15                       then seconds back at the low load (0: no step down)",
                    "  --look-back-ms 2000 --upscale-delay-ms 1000 --downscale-delay-ms 5000",
                    "  --target-utilization 0.7 --tolerance 0.2      the AutoscalingPolicy",
                    "  --fixed-us 0 --per-item-us 1000   fake model: batch of n takes fixed + perItem*n (linear by default;",
                    "                                    see the class comment for what a large fixed cost does)",
                    "  --spin-us 0                       model: park, then spin the last N us (0: park only)",
                    "  --max-batch 32 --max-delay-ms 2 --policy eager --queue-capacity 65536   batching",
                    "  --sample-ms 100                   replica-count sampling period",
                    "  --seed 1                          seed of the Poisson schedule",
                    "  --sender-spin-us 0                sender: park, then spin the last N us before a send",
                    "  --out benchmarks/results          where autoscale-step.csv and autoscale-step.svg go"));
        }

        FakeModel<Integer> cost() {
            return new FakeModel<>(OpenLoopDriver.micros(fixedUs), OpenLoopDriver.micros(perItemUs),
                    OpenLoopDriver.micros(spinUs));
        }

        AutoscalingPolicy autoscaling() {
            return AutoscalingPolicy.builder()
                    .targetUtilization(targetUtilization)
                    .tolerance(tolerance)
                    .lookBack(Duration.ofMillis(lookBackMs))
                    .upscaleDelay(Duration.ofMillis(upscaleDelayMs))
                    .downscaleDelay(Duration.ofMillis(downscaleDelayMs))
                    .build();
        }

        /** One replica's capacity, requests per second. */
        double replicaCapacity() {
            return cost().capacity(maxBatch);
        }

        /** Offered rate at {@code load}, a fraction of {@code maxReplicas} replicas' capacity. */
        double rate(double load) {
            return load * maxReplicas * replicaCapacity();
        }

        /** The load phases: low, high, and low again unless {@code downS} is 0. */
        List<PhasedArrivals.Phase> phases() {
            List<PhasedArrivals.Phase> p = new ArrayList<>();
            p.add(new PhasedArrivals.Phase(rate(low), OpenLoopDriver.secondsToNanos(lowS)));
            p.add(new PhasedArrivals.Phase(rate(high), OpenLoopDriver.secondsToNanos(highS)));
            if (downS > 0) {
                p.add(new PhasedArrivals.Phase(rate(low), OpenLoopDriver.secondsToNanos(downS)));
            }
            return p;
        }
    }

    /**
     * Replicas an offered load needs: {@code ceil(offeredReplicas / targetUtilization)}, within
     * {@code [max(1, min), max]}.
     *
     * @param offeredReplicas the offered rate divided by one replica's capacity
     */
    static int needed(double offeredReplicas, double targetUtilization, int min, int max) {
        int n = (int) Math.ceil(offeredReplicas / targetUtilization - 1e-9);
        return Math.max(Math.max(1, min), Math.min(max, n));
    }

    /** An autoscaler action as the reports write it: {@code SCALE_UP} as "scale up". */
    static String words(AutoscalerAction action) {
        return action.name().toLowerCase(java.util.Locale.ROOT).replace('_', ' ');
    }

    /** One sample of the deployment, {@code at} nanoseconds after the schedule's start. */
    record Sample(long at, double offered, int running, int target, int starting, int draining, int queueDepth,
            AutoscalerAction action, String reason) {}

    /** When a count was first reached after a step, and the latency around it. */
    record Step(String name, double offered, int needed, int neededBefore, int runningAtStep, int targetAtStep,
            long stepAt, long nextAt, long targetReachedAt, long runningReachedAt, long drainedAt,
            Histogram before, Histogram transition, Histogram after, int maxQueueDepth) {

        static final long NEVER = Long.MAX_VALUE;
    }

    private final Options o;

    AutoscaleStepBenchmark(Options o) {
        this.o = o;
    }

    public static void main(String[] args) throws Exception {
        new AutoscaleStepBenchmark(Options.parse(args)).run();
    }

    void run() throws Exception {
        String loadBefore = OpenLoopDriver.loadAverage();
        FakeModel<Integer> cost = o.cost();
        PhasedArrivals arrivals = new PhasedArrivals(o.phases(), o.seed);
        long sampleNanos = TimeUnit.MILLISECONDS.toNanos(o.sampleMs);
        List<Sample> samples = new ArrayList<>();
        LatencyLog latencies = new LatencyLog();
        OpenLoopSender sender;
        long start;
        try (Sluice sluice = Sluice.builder().resources(Resources.builder().cpus(o.maxReplicas).build()).build()) {
            DeploymentHandle<Integer, Integer> h = sluice.deploy(Deployment.<Integer, Integer>builder(NAME,
                            ctx -> new ReplicaModel<>(cost))
                    .batching(b -> b.maxBatchSize(o.maxBatch)
                            .maxDelay(Duration.ofNanos(OpenLoopDriver.micros(o.maxDelayMs * 1000)))
                            .queueCapacity(o.queueCapacity).policy(() -> OpenLoopDriver.policy(o.policy)))
                    .replicas(1, o.maxReplicas)
                    .autoscaling(o.autoscaling())
                    .build());
            h.awaitReady(Duration.ofSeconds(30));
            start = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(5);
            sender = new OpenLoopSender("autoscale-sender", arrivals, start, OpenLoopDriver.micros(o.senderSpinUs),
                    () -> h.submit(INPUT), latencies);
            log(String.format(Locale.ROOT, "one replica's capacity %.1f req/s; %s", o.replicaCapacity(), o.autoscaling()));
            sender.start();
            // Sample on exact multiples of the period from the start, so sample k closes latency window k.
            long total = arrivals.totalNanos();
            for (long k = 0; k * sampleNanos <= total; k++) {
                long at = k * sampleNanos;
                OpenLoopDriver.sleepUntilNanoTime(start + at);
                samples.add(sample(h.status(), at, offeredAt(at)));
                if (k % Math.max(1, 5_000 / o.sampleMs) == 0) { // progress every 5 s
                    Sample s = samples.get(samples.size() - 1);
                    log(String.format(Locale.ROOT, "t %5.1f s offered %6.0f/s running %d target %d queue %d: %s",
                            at / 1e9, s.offered(), s.running(), s.target(), s.queueDepth(), words(s.action())));
                }
            }
            sender.join();
            if (!sender.awaitOutstanding(TimeUnit.SECONDS.toNanos(60))) {
                log("WARNING: " + sender.outstanding() + " requests still outstanding 60 s after the last send");
            }
        }
        List<Step> steps = steps(samples, latencies, start, sampleNanos, arrivals);
        Path dir = Paths.get(o.out);
        Files.createDirectories(dir);
        Path csv = dir.resolve("autoscale-step.csv");
        Path svg = dir.resolve("autoscale-step.svg");
        long stepAt = arrivals.phaseStartNanos(1);
        Files.write(csv, csv(samples, latencies, start, sampleNanos, stepAt).getBytes(StandardCharsets.UTF_8));
        Files.write(svg, plot(samples, stepAt, arrivals).getBytes(StandardCharsets.UTF_8));
        System.out.print(report(steps, samples, arrivals, sender));
        System.out.println("Wrote " + csv.toAbsolutePath() + " and " + svg.toAbsolutePath());
        System.out.println(OpenLoopDriver.loadLine(loadBefore));
        System.out.flush();
    }

    private double offeredAt(long at) {
        List<PhasedArrivals.Phase> phases = o.phases();
        long t = 0;
        for (PhasedArrivals.Phase p : phases) {
            t += p.durationNanos();
            if (at < t) {
                return p.ratePerSecond();
            }
        }
        return 0;
    }

    private static Sample sample(SluiceStatus.DeploymentStatus d, long at, double offered) {
        return new Sample(at, offered, d.count(ReplicaState.RUNNING), d.targetReplicas(),
                d.count(ReplicaState.STARTING) + d.count(ReplicaState.PENDING), d.count(ReplicaState.DRAINING), d.queueDepth(),
                d.autoscaler(), d.autoscalerReason());
    }

    /** The step up and (if there is one) the step down, with their latency windows. */
    private List<Step> steps(List<Sample> samples, LatencyLog latencies, long start, long sampleNanos,
            PhasedArrivals arrivals) {
        List<PhasedArrivals.Phase> phases = arrivals.phases();
        List<Step> steps = new ArrayList<>();
        for (int i = 1; i < phases.size(); i++) {
            long stepAt = arrivals.phaseStartNanos(i);
            long nextAt = arrivals.phaseStartNanos(i + 1);
            long prevAt = arrivals.phaseStartNanos(i - 1);
            double offered = phases.get(i).ratePerSecond();
            int need = needed(offered / o.replicaCapacity(), o.targetUtilization, 1, o.maxReplicas);
            int needBefore = needed(phases.get(i - 1).ratePerSecond() / o.replicaCapacity(), o.targetUtilization, 1,
                    o.maxReplicas);
            boolean up = offered > phases.get(i - 1).ratePerSecond();
            Sample atStep = null;
            long targetReached = Step.NEVER;
            long runningReached = Step.NEVER;
            long drained = Step.NEVER;
            int maxQueue = 0;
            for (Sample s : samples) {
                if (s.at() < stepAt) {
                    atStep = s;
                    continue;
                }
                if (s.at() >= nextAt) {
                    break;
                }
                maxQueue = Math.max(maxQueue, s.queueDepth());
                if (targetReached == Step.NEVER && (up ? s.target() >= need : s.target() <= need)) {
                    targetReached = s.at();
                }
                if (runningReached == Step.NEVER && (up ? s.running() >= need : s.running() <= need)) {
                    runningReached = s.at();
                }
                if (runningReached != Step.NEVER && drained == Step.NEVER && s.queueDepth() <= o.maxBatch) {
                    drained = s.at();
                }
            }
            long settled = Math.min(runningReached, nextAt);
            // Before the step: the second half of the previous phase (its first half is warmup).
            Histogram before = latencies.between(start + (prevAt + stepAt) / 2, start + stepAt);
            Histogram transition = latencies.between(start + stepAt, start + settled);
            Histogram after = latencies.between(start + settled, start + nextAt);
            String name = String.format(Locale.ROOT, "%s %.0f%% -> %.0f%%", up ? "up" : "down",
                    100 * phases.get(i - 1).ratePerSecond() / o.rate(1), 100 * offered / o.rate(1));
            steps.add(new Step(name, offered, need, needBefore, atStep == null ? 0 : atStep.running(),
                    atStep == null ? 0 : atStep.target(), stepAt, nextAt, targetReached, runningReached, drained,
                    before, transition, after, maxQueue));
        }
        return steps;
    }

    // ------------------------------------------------------------------ output

    /**
     * The samples as CSV, one row per sample: seconds since the load step, offered rate, replica counts,
     * queue depth, the p99 latency of the requests intended in the period the sample closes, the
     * autoscaler's last action.
     */
    static String csv(List<Sample> samples, LatencyLog latencies, long start, long sampleNanos, long stepAt) {
        StringBuilder s = new StringBuilder("t_s,offered_req_s,running,target,starting,draining,queue_depth,"
                + "completed_in_period,p99_ms_in_period,autoscaler\n");
        for (Sample x : samples) {
            Histogram h = x.at() == 0 ? new Histogram(3) : latencies.between(start + x.at() - sampleNanos, start + x.at());
            s.append(String.format(Locale.ROOT, "%.3f,%.1f,%d,%d,%d,%d,%d,%d,%s,%s%n", (x.at() - stepAt) / 1e9,
                    x.offered(), x.running(), x.target(), x.starting(), x.draining(), x.queueDepth(), h.getTotalCount(),
                    h.getTotalCount() == 0 ? "" : String.format(Locale.ROOT, "%.3f", h.getValueAtPercentile(99) / 1e6),
                    csvField(words(x.action()))));
        }
        return s.toString();
    }

    private static String csvField(String v) {
        return v.contains(",") || v.contains("\"") || v.contains("\n") ? "\"" + v.replace("\"", "\"\"") + "\"" : v;
    }

    private String plot(List<Sample> samples, long stepAt, PhasedArrivals arrivals) {
        List<ReplicaCountPlot.Point> points = new ArrayList<>();
        for (Sample s : samples) {
            points.add(new ReplicaCountPlot.Point((s.at() - stepAt) / 1e9, s.running(), s.target()));
        }
        List<ReplicaCountPlot.Marker> markers = new ArrayList<>();
        List<PhasedArrivals.Phase> phases = arrivals.phases();
        for (int i = 1; i < phases.size(); i++) {
            markers.add(new ReplicaCountPlot.Marker((arrivals.phaseStartNanos(i) - stepAt) / 1e9,
                    String.format(Locale.ROOT, "load %.0f%% \u2192 %.0f%%",
                            100 * phases.get(i - 1).ratePerSecond() / o.rate(1),
                            100 * phases.get(i).ratePerSecond() / o.rate(1))));
        }
        String subtitle = String.format(Locale.ROOT, "replicas(1, %d), lookBack %s s, upscaleDelay %s s,"
                + " downscaleDelay %s s, target %.2f; load in %% of %d replicas' capacity", o.maxReplicas,
                seconds(o.lookBackMs), seconds(o.upscaleDelayMs), seconds(o.downscaleDelayMs), o.targetUtilization,
                o.maxReplicas);
        return ReplicaCountPlot.svg("Sluice replicas after a load step", subtitle, "seconds since the load step",
                points, markers, o.maxReplicas);
    }

    private String report(List<Step> steps, List<Sample> samples, PhasedArrivals arrivals, OpenLoopSender sender) {
        StringBuilder out = new StringBuilder();
        double cap = o.replicaCapacity();
        out.append(String.format(Locale.ROOT, "%nAutoscaling after a load step: Sluice deployment replicas(1, %d), %s,"
                        + " control loop every 100 ms. Fake model: a batch of n takes %.0f us + %.0f us x n, spent parked"
                        + " (spin the last %.0f us), so that replicas overlap on this machine's %d CPU(s) as"
                        + " accelerators would. One replica's capacity (full batches of %d back to back) %.1f req/s."
                        + " Batching: maxBatch %d, maxDelay %.1f ms, policy %s, queueCapacity %d.%n",
                o.maxReplicas, o.autoscaling(), o.fixedUs, o.perItemUs, o.spinUs,
                Runtime.getRuntime().availableProcessors(), o.maxBatch, cap, o.maxBatch, o.maxDelayMs, o.policy,
                o.queueCapacity));
        StringBuilder phases = new StringBuilder();
        for (PhasedArrivals.Phase p : arrivals.phases()) {
            phases.append(phases.length() == 0 ? "" : ", then ").append(String.format(Locale.ROOT,
                    "%.0f%% (%.1f req/s) for %.0f s", 100 * p.ratePerSecond() / o.rate(1), p.ratePerSecond(),
                    p.durationNanos() / 1e9));
        }
        out.append("Poisson load, as % of ").append(o.maxReplicas).append(" replicas' capacity: ").append(phases)
                .append(". \"Needed\" = ceil(offered load in replicas / targetUtilization), within [1, max]. Times are"
                        + " from the step to the first ").append(o.sampleMs).append(" ms sample that showed the count;"
                        + " latency from the intended send time, by send time: before = second half of the previous"
                        + " phase, transition = step until RUNNING reached the need, after = from then to the next"
                        + " step (so it includes draining the backlog of the transition; the queue column says when"
                        + " at most one batch was left waiting).\n\n");
        out.append("| step | offered req/s | needed | running / target at the step | target reached it after s "
                + "| RUNNING reached it after s | queue back under one batch after s | p99 before ms "
                + "| p99 transition ms (requests) | p99 after ms (requests) | max queue depth |\n");
        out.append("|---|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|\n");
        for (Step s : steps) {
            out.append(String.format(Locale.ROOT, "| %s | %.1f | %d | %d / %d | %s | %s | %s | %s | %s | %s | %d |%n",
                    s.name(), s.offered(), s.needed(), s.runningAtStep(), s.targetAtStep(),
                    after(s.targetReachedAt(), s.stepAt()), after(s.runningReachedAt(), s.stepAt()),
                    after(s.drainedAt(), s.stepAt()), p99(s.before()),
                    p99WithCount(s.transition()), p99WithCount(s.after()), s.maxQueueDepth()));
        }
        for (Step s : steps) {
            if (s.runningAtStep() != s.neededBefore()) {
                out.append(String.format(Locale.ROOT, "%nNote (%s): %d replica(s) ran at the step where the load before"
                                + " it needs %d; the autoscaler's own load measure (last table) differs from the"
                                + " offered load.%n", s.name(), s.runningAtStep(), s.neededBefore()));
            }
        }
        out.append(String.format(Locale.ROOT, "%nRequests: %d completed, %d rejected (queue full), %d failed otherwise.%n%n",
                sender.completed.sum(), sender.rejected.sum(), sender.failed.sum()));
        out.append("The autoscaler's own measure at the end of each phase (last sample before the next step)\n\n");
        out.append("| phase | offered req/s | running / target | autoscaler | its reason |\n");
        out.append("|---|---:|---|---|---|\n");
        List<PhasedArrivals.Phase> ps = arrivals.phases();
        for (int i = 0; i < ps.size(); i++) {
            long end = arrivals.phaseStartNanos(i + 1);
            Sample last = null;
            for (Sample s : samples) {
                if (s.at() < end) {
                    last = s;
                }
            }
            if (last != null) {
                out.append(String.format(Locale.ROOT, "| %d (%.0f%%) | %.1f | %d / %d | %s | %s |%n", i + 1,
                        100 * ps.get(i).ratePerSecond() / o.rate(1), ps.get(i).ratePerSecond(), last.running(),
                        last.target(), words(last.action()), last.reason().replace("|", "/")));
            }
        }
        out.append('\n');
        return out.toString();
    }

    private static String seconds(long ms) {
        return ms % 1000 == 0 ? Long.toString(ms / 1000) : String.format(Locale.ROOT, "%.1f", ms / 1000.0);
    }

    private static String after(long reachedAt, long stepAt) {
        return reachedAt == Step.NEVER ? "not reached" : String.format(Locale.ROOT, "%.1f", (reachedAt - stepAt) / 1e9);
    }

    private static String p99(Histogram h) {
        return h.getTotalCount() == 0 ? "-" : String.format(Locale.ROOT, "%.1f", h.getValueAtPercentile(99) / 1e6);
    }

    private static String p99WithCount(Histogram h) {
        return p99(h) + " (" + h.getTotalCount() + ")";
    }

    private static void log(String s) {
        System.err.println("[autoscale] " + s);
        System.err.flush();
    }
}
