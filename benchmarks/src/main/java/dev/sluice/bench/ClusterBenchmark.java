package dev.sluice.bench;

import dev.sluice.DeploymentHandle;
import dev.sluice.ReplicaState;
import dev.sluice.Resources;
import dev.sluice.Sluice;
import dev.sluice.grpc.RemoteDeployment;
import dev.sluice.tensor.Tensor;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/**
 * A cluster on one machine (issue 17's targets): {@link ClusterWorker}s in JVMs of their own on 127.0.1.1,
 * 127.0.1.2, ... (parked fake models, so the machine's cores are not what limits them), and this JVM as the
 * entry, a {@link RemoteDeployment} over them. Three measurements:
 *
 * <ol>
 *   <li><b>Throughput, 1 worker against {@code --workers}</b> (target: 3 workers at least 2.7 times 1): a closed
 *       loop keeps {@code --concurrency} requests in flight (the same number for both, enough to keep every
 *       worker's replicas busy with full batches), after {@code --warmup-s}, for {@code --measure-s}.</li>
 *   <li><b>p99 during a worker kill against steady state</b>: open-loop Poisson arrivals at {@code --rate}
 *       (default: 60% of what the workers but one can serve) through {@link OpenLoopSender}, latency from each
 *       request's intended send time (no coordinated omission); the last worker is killed with {@code kill -9}
 *       after {@code --steady-s}, and the {@code --after-kill-s} that follow are measured apart. Every request
 *       must still succeed: its calls in flight on the killed worker are retried on the others.</li>
 *   <li><b>Remote-call overhead per request against a local {@code submit}</b>: one request at a time, a model
 *       that costs nothing, {@code --overhead-requests} of each after as many for warm-up: the same deployment in
 *       this JVM against a worker over gRPC on loopback. Both go through a Sluice batcher; the remote one adds the
 *       protocol, the loopback network stack and a second JVM.</li>
 * </ol>
 *
 * <p>A worker's capacity is {@code replicas * maxBatch / (cost + perItem * maxBatch)}: 363 requests/s with the
 * defaults (one replica, batches of 8 costing 20 + 8 * 0.25 ms). Run on a quiet machine (the remote calls' CPU
 * cost is what keeps 3 workers under 3 times 1):
 *
 * <pre>
 * mvn -B -o -pl benchmarks -am package -DskipTests
 * java -cp benchmarks/target/benchmarks.jar dev.sluice.bench.ClusterBenchmark
 * </pre>
 *
 * About a minute with the defaults; {@code --help} lists the options. The workers are stopped by pid when
 * it ends, and stop by themselves if it dies.
 */
public final class ClusterBenchmark {
    private static final Duration T = Duration.ofSeconds(10);

    private ClusterBenchmark() {}

    static final class Options {
        int workers = 3;
        double costMs = 20;
        double perItemMs = 0.25;
        int maxBatch = 8;
        int replicas = 1;
        int concurrency = 96;
        double warmupS = 3;
        double measureS = 8;
        double rate = -1;
        double steadyS = 10;
        double afterKillS = 10;
        int overheadRequests = 5000;
        String hostPrefix = "127.0.1.";
        List<String> jvm = List.of("-Xmx256m");

        static Options parse(String[] args) {
            Options o = new Options();
            CommandLine.parse(args, Options::usage, Set.of(), (a, v) -> {
                switch (a) {
                    case "--workers" -> o.workers = Integer.parseInt(v);
                    case "--cost-ms" -> o.costMs = Double.parseDouble(v);
                    case "--per-item-ms" -> o.perItemMs = Double.parseDouble(v);
                    case "--max-batch" -> o.maxBatch = Integer.parseInt(v);
                    case "--replicas" -> o.replicas = Integer.parseInt(v);
                    case "--concurrency" -> o.concurrency = Integer.parseInt(v);
                    case "--warmup-s" -> o.warmupS = Double.parseDouble(v);
                    case "--measure-s" -> o.measureS = Double.parseDouble(v);
                    case "--rate" -> o.rate = Double.parseDouble(v);
                    case "--steady-s" -> o.steadyS = Double.parseDouble(v);
                    case "--after-kill-s" -> o.afterKillS = Double.parseDouble(v);
                    case "--overhead-requests" -> o.overheadRequests = Integer.parseInt(v);
                    case "--host-prefix" -> o.hostPrefix = v;
                    case "--worker-jvm" -> o.jvm = v.isBlank() ? List.of() : Arrays.asList(v.trim().split("\\s+"));
                    default -> throw CommandLine.unknown(a);
                }
            });
            if (o.workers < 2 || o.workers > 20) {
                throw new IllegalArgumentException("--workers must be from 2 to 20 (one is killed), was " + o.workers);
            }
            if (o.concurrency < 1 || o.overheadRequests < 1) {
                throw new IllegalArgumentException("--concurrency and --overhead-requests must be at least 1, were "
                        + o.concurrency + " and " + o.overheadRequests);
            }
            if (!(o.warmupS >= 0) || !(o.measureS > 0) || !(o.steadyS > 0) || !(o.afterKillS > 0)) {
                throw new IllegalArgumentException("--measure-s, --steady-s and --after-kill-s must be positive, "
                        + "--warmup-s not negative");
            }
            if (o.rate == -1) {
                o.rate = 0.6 * (o.workers - 1) * o.workerCapacity();
            } else if (!(o.rate > 0) || Double.isInfinite(o.rate)) {
                throw new IllegalArgumentException("--rate must be positive and finite, was " + o.rate);
            }
            return o;
        }

        /** Requests per second one worker serves with full batches back to back. */
        double workerCapacity() {
            return replicas * maxBatch * 1000 / (costMs + perItemMs * maxBatch);
        }

        /** The workers' options but their address. */
        List<String> workerArgs() {
            return List.of("--cost-ms", Double.toString(costMs), "--per-item-ms", Double.toString(perItemMs),
                    "--max-batch", Integer.toString(maxBatch), "--replicas", Integer.toString(replicas));
        }

        static void usage() {
            System.out.println(String.join("\n",
                    "ClusterBenchmark [options]: workers in JVMs of their own (ClusterWorker, parked fake models) and this",
                    "JVM as the entry (a RemoteDeployment): throughput of 1 worker against N, p99 while one is killed",
                    "with kill -9 against steady state, and the overhead of a remote call against a local submit.",
                    "  --workers N            workers (default 3), on <host-prefix>1 .. <host-prefix>N",
                    "  --cost-ms C            a batch's fixed cost, parked (default 20)",
                    "  --per-item-ms I        its cost per request (default 0.25)",
                    "  --max-batch B          the largest batch (default 8)",
                    "  --replicas R           each worker's replicas (default 1)",
                    "  --concurrency K        requests in flight in the throughput runs (default 96)",
                    "  --warmup-s W           warm-up of each throughput run (default 3)",
                    "  --measure-s M          measured part of each throughput run (default 8)",
                    "  --rate R               requests/s of the kill run (default: 60% of what N-1 workers serve)",
                    "  --steady-s S           measured steady state before the kill (default 10)",
                    "  --after-kill-s A       measured after the kill (default 10)",
                    "  --overhead-requests Q  requests of each kind, one at a time, for the overhead (default 5000)",
                    "  --host-prefix P        the workers' loopback addresses' prefix (default 127.0.1.)",
                    "  --worker-jvm \"OPTS\"    the workers' JVM options (default -Xmx256m)",
                    "Full run: java -cp benchmarks/target/benchmarks.jar dev.sluice.bench.ClusterBenchmark",
                    "A smoke run: ... --warmup-s 1 --measure-s 2 --steady-s 2 --after-kill-s 2 --overhead-requests 300"));
        }
    }

    public static void main(String[] args) throws Exception {
        Options o = Options.parse(args);
        System.out.printf(Locale.ROOT, "%d workers, each %.0f requests/s at most (batches of %d cost %.2f ms, %d "
                        + "replica(s)); worker JVM %s%n", o.workers, o.workerCapacity(), o.maxBatch,
                o.costMs + o.perItemMs * o.maxBatch, o.replicas, o.jvm);
        List<WorkerProcess> workers = new CopyOnWriteArrayList<>(); // read by the hook below
        Thread onExit = new Thread(() -> workers.forEach(ClusterBenchmark::killQuietly), "stop-workers");
        Runtime.getRuntime().addShutdownHook(onExit);
        try {
            throughput(o, workers);
            kill(o, workers);
            overhead(o, workers);
            System.out.println("workers' own counts at exit:");
            for (WorkerProcess w : workers) {
                if (w.isAlive()) {
                    w.terminate();
                    System.out.println("  " + w.address() + " " + w.awaitExit(Duration.ofSeconds(60)));
                }
            }
        } finally {
            for (WorkerProcess w : workers) {
                w.close();
            }
            Runtime.getRuntime().removeShutdownHook(onExit);
        }
    }

    private static void killQuietly(WorkerProcess w) {
        try {
            w.close();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static WorkerProcess startWorker(Options o, List<WorkerProcess> workers, List<String> args)
            throws Exception {
        String host = o.hostPrefix + (workers.size() + 1);
        List<String> all = new ArrayList<>(List.of("--address", host, "--port", "0"));
        all.addAll(args);
        WorkerProcess w = WorkerProcess.start(host, o.jvm, all);
        workers.add(w);
        return w;
    }

    private static RemoteDeployment remote(List<WorkerProcess> servers) throws Exception {
        RemoteDeployment r = RemoteDeployment.builder("fake").model(ClusterWorker.DEFAULT_MODEL)
                .addresses(servers.stream().map(WorkerProcess::address).toList()).timeout(T).maxAttempts(4).build();
        long deadline = System.nanoTime() + T.toNanos() * 3;
        while (r.status().replicas().size() < servers.size()
                || !r.status().replicas().stream().allMatch(s -> s.state() == ReplicaState.RUNNING)) {
            if (System.nanoTime() - deadline > 0) {
                r.close();
                throw new IllegalStateException("not every worker connected: " + r.status());
            }
            TimeUnit.MILLISECONDS.sleep(5);
        }
        return r;
    }

    static Map<String, Tensor> input(float marker) {
        return Map.of("x", Tensor.ofFloats("x", new long[] {1, 4}, marker, 1, 2, 3));
    }

    // ---------------------------------------------------------------- 1. throughput

    private static void throughput(Options o, List<WorkerProcess> workers) throws Exception {
        startWorker(o, workers, o.workerArgs()).awaitAddress(Duration.ofSeconds(60));
        double one;
        try (RemoteDeployment r = remote(workers.subList(0, 1))) {
            one = closedLoop(o, r);
        }
        for (int i = 1; i < o.workers; i++) {
            startWorker(o, workers, o.workerArgs());
        }
        for (WorkerProcess w : workers) {
            w.awaitAddress(Duration.ofSeconds(60));
        }
        double all;
        try (RemoteDeployment r = remote(workers)) {
            all = closedLoop(o, r);
        }
        System.out.printf(Locale.ROOT, "throughput, %d requests in flight (closed loop), %.1f s measured:%n",
                o.concurrency, o.measureS);
        System.out.printf(Locale.ROOT, "  1 worker:   %8.1f requests/s (%.0f%% of its capacity)%n", one,
                100 * one / o.workerCapacity());
        System.out.printf(Locale.ROOT, "  %d workers:  %8.1f requests/s (%.0f%% of their capacity): %.2fx one "
                + "(target for 3: >= 2.7x)%n", o.workers, all, 100 * all / (o.workers * o.workerCapacity()), all / one);
    }

    /** Keeps {@code concurrency} requests in flight; returns the completions per second of the measured window. */
    private static double closedLoop(Options o, RemoteDeployment r) throws Exception {
        AtomicBoolean running = new AtomicBoolean(true);
        AtomicLong measureFrom = new AtomicLong(Long.MAX_VALUE);
        AtomicLong measureTo = new AtomicLong(Long.MAX_VALUE);
        LongAdder counted = new LongAdder();
        LongAdder failed = new LongAdder();
        LongAdder open = new LongAdder();
        class Client {
            void next() {
                if (!running.get()) {
                    return;
                }
                open.increment();
                r.submit(input(1)).whenComplete((v, e) -> {
                    long now = System.nanoTime();
                    open.decrement();
                    if (e != null) {
                        failed.increment();
                    } else if (now - measureFrom.get() >= 0 && now - measureTo.get() < 0) {
                        counted.increment();
                    }
                    next();
                });
            }
        }
        long start = System.nanoTime();
        measureFrom.set(start + (long) (o.warmupS * 1e9));
        measureTo.set(measureFrom.get() + (long) (o.measureS * 1e9));
        for (int i = 0; i < o.concurrency; i++) {
            new Client().next();
        }
        sleepUntil(measureTo.get());
        running.set(false);
        drain(open::sum, "the throughput run's requests");
        if (failed.sum() > 0) {
            System.out.println("  (" + failed.sum() + " requests failed)");
        }
        return counted.sum() / o.measureS;
    }

    // ---------------------------------------------------------------- 2. kill -9 under load

    private static void kill(Options o, List<WorkerProcess> workers) throws Exception {
        WorkerProcess victim = workers.get(workers.size() - 1);
        Recorder steady = new Recorder(3);
        Recorder afterKill = new Recorder(3);
        Recorder lag = new Recorder(3);
        long warm = (long) (Math.min(2, o.steadyS) * 1e9);
        long steadyNanos = (long) (o.steadyS * 1e9);
        long total = warm + steadyNanos + (long) (o.afterKillS * 1e9);
        try (RemoteDeployment r = remote(workers)) {
            long start = System.nanoTime() + 50_000_000L;
            long killAt = start + warm + steadyNanos;
            OpenLoopSender sender = new OpenLoopSender("cluster-sender", PhasedArrivals.constant(o.rate, total, 17),
                    start, 0, () -> r.submit(input(2)), new OpenLoopSender.Recording() {
                        @Override
                        public void sent(long intended, long lagNanos) {
                            lag.recordValue(lagNanos);
                        }

                        @Override
                        public void completed(long intended, long latencyNanos) {
                            if (intended - start < warm) {
                                return;
                            }
                            (intended - killAt < 0 ? steady : afterKill).recordValue(latencyNanos);
                        }
                    });
            sender.start();
            sleepUntil(killAt);
            victim.kill();
            sender.join();
            if (!sender.awaitOutstanding(T.toNanos() * 2)) {
                System.out.println("  " + sender.outstanding() + " requests still open after 20 s");
            }
            Histogram s = steady.getIntervalHistogram();
            Histogram k = afterKill.getIntervalHistogram();
            System.out.printf(Locale.ROOT, "latency at %.0f requests/s (open loop, Poisson) over %d workers, kill -9 of "
                    + "%s after %.1f s:%n", o.rate, workers.size(), victim.address(), o.steadyS);
            System.out.println("  steady:     " + percentiles(s));
            System.out.println("  after kill: " + percentiles(k) + String.format(Locale.ROOT,
                    "  (p99 %.2fx steady)", k.getValueAtPercentile(99) / (double) Math.max(1, s.getValueAtPercentile(99))));
            System.out.printf(Locale.ROOT, "  completed %d, rejected %d, failed %d; sender lag p99 %.2f ms%n",
                    sender.completed.sum(), sender.rejected.sum(), sender.failed.sum(),
                    lag.getIntervalHistogram().getValueAtPercentile(99) / 1e6);
        }
        victim.awaitEnd(T);
    }

    private static String percentiles(Histogram h) {
        return String.format(Locale.ROOT, "p50 %7.2f ms  p99 %7.2f ms  p99.9 %7.2f ms  max %7.2f ms  (%d requests)",
                h.getValueAtPercentile(50) / 1e6, h.getValueAtPercentile(99) / 1e6, h.getValueAtPercentile(99.9) / 1e6,
                h.getMaxValue() / 1e6, h.getTotalCount());
    }

    // ---------------------------------------------------------------- 3. overhead of a remote call

    private static void overhead(Options o, List<WorkerProcess> workers) throws Exception {
        WorkerProcess free = startWorker(o, workers, List.of("--cost-ms", "0", "--per-item-ms", "0",
                "--max-batch", Integer.toString(o.maxBatch)));
        free.awaitAddress(Duration.ofSeconds(60));
        ClusterWorker.Options local = new ClusterWorker.Options();
        local.costMs = 0;
        local.perItemMs = 0;
        local.maxBatch = o.maxBatch;
        Histogram inProcess;
        Histogram remote;
        try (Sluice sluice = Sluice.builder().resources(Resources.builder().cpus(1).build()).build()) {
            DeploymentHandle<Map<String, Tensor>, Map<String, Tensor>> h = sluice.deploy(ClusterWorker.deployment(local));
            h.awaitReady(T);
            inProcess = oneAtATime(o.overheadRequests, () -> h.submit(input(3), T));
        }
        try (RemoteDeployment r = remote(List.of(free))) {
            remote = oneAtATime(o.overheadRequests, () -> r.submit(input(3), T));
        }
        System.out.printf(Locale.ROOT, "one request at a time, a model that costs nothing, %d requests each:%n",
                o.overheadRequests);
        System.out.println("  local submit:  " + micros(inProcess));
        System.out.println("  remote submit: " + micros(remote));
        System.out.printf(Locale.ROOT, "  remote-call overhead: %.1f us per request (mean), %.1f us (p50)%n",
                (remote.getMean() - inProcess.getMean()) / 1e3,
                (remote.getValueAtPercentile(50) - inProcess.getValueAtPercentile(50)) / 1e3);
    }

    private static String micros(Histogram h) {
        return String.format(Locale.ROOT, "mean %8.1f us  p50 %8.1f us  p99 %8.1f us", h.getMean() / 1e3,
                h.getValueAtPercentile(50) / 1e3, h.getValueAtPercentile(99) / 1e3);
    }

    /** {@code n} requests for warm-up, then {@code n} measured, each sent once the one before has ended. */
    private static Histogram oneAtATime(int n, Supplier<CompletableFuture<?>> submit)
            throws Exception {
        Histogram h = new Histogram(3);
        for (int i = 0; i < 2 * n; i++) {
            long t0 = System.nanoTime();
            submit.get().get(T.toNanos(), TimeUnit.NANOSECONDS);
            if (i >= n) {
                h.recordValue(System.nanoTime() - t0);
            }
        }
        return h;
    }

    // ---------------------------------------------------------------- helpers

    private static void sleepUntil(long nanoTime) throws InterruptedException {
        for (long left; (left = nanoTime - System.nanoTime()) > 0; ) {
            TimeUnit.NANOSECONDS.sleep(left);
        }
    }

    private static void drain(LongSupplier open, String what) throws InterruptedException {
        long deadline = System.nanoTime() + T.toNanos() * 2;
        while (open.getAsLong() > 0) {
            if (System.nanoTime() - deadline > 0) {
                System.out.println("  " + open.getAsLong() + " of " + what + " still open after 20 s");
                return;
            }
            TimeUnit.MILLISECONDS.sleep(5);
        }
    }
}
