package dev.sluice.bench;

import dev.sluice.Deployment;
import dev.sluice.DeploymentHandle;
import dev.sluice.Model;
import dev.sluice.Resources;
import dev.sluice.Sluice;
import dev.sluice.batching.BatchPolicy;
import dev.sluice.grpc.SluiceGrpcServer;
import dev.sluice.tensor.DataType;
import dev.sluice.tensor.Tensor;
import dev.sluice.tensor.TensorSignature;
import dev.sluice.tensor.TensorSpec;
import dev.sluice.testing.FakeModel;
import io.grpc.ForwardingServerCall;
import io.grpc.ForwardingServerCallListener;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One worker of a cluster on one machine, as a program of its own (one JVM per worker): a {@link Sluice} runtime
 * with one parked fake model ({@link FakeModel}: a batch of {@code n} parks its replica's thread for
 * {@code (cost + perItem * n) * slowdown} and returns its input, so a worker spends time, not CPU), served by a
 * {@link SluiceGrpcServer} with a short maximum connection age. {@code ClusterTest} (the tests across several JVMs)
 * and {@link ClusterBenchmark} start it through {@link WorkerProcess}; it lives in the benchmarks' main sources so
 * that both reach it, and so that the library does not ship a fake server.
 *
 * <p>The model {@code --model} (default {@value #DEFAULT_MODEL}) takes {@code x}, FP32 of any shape of rank 2, and
 * answers {@code y}, the same values.
 *
 * <p>What it prints on standard output, one line each (the rest, such as the server's log, goes to standard
 * error):
 * <ul>
 *   <li>once it serves: {@code sluice-worker serving <host>:<port>}, the port it bound (it may be given port 0);</li>
 *   <li>at exit (SIGTERM; or the end of standard input, with {@code --exit-on-stdin-eof}, which
 *       {@link WorkerProcess} gives so that a worker whose parent died does not serve on):
 *       {@code sluice-worker exit admitted=<n> completed=<n> failed=<n> cancelled=<n> refused=<n>}: the
 *       {@code ModelInfer} calls that reached its inference service and were not refused, of which those answered
 *       OK, those ended with an error status, and those the client cancelled; and the calls refused for a full
 *       queue (RESOURCE_EXHAUSTED). Calls turned away as the server shuts down are in none of them: they never
 *       reach the service. After a graceful stop, {@code admitted = completed + failed + cancelled}.</li>
 * </ul>
 *
 * <p>SIGTERM closes the gRPC server (it stops taking calls, answers the ones it admitted within its grace period)
 * and then the runtime, from one small shutdown hook. {@code kill -9} ends it at once, of course, and prints
 * nothing. Run {@code ClusterWorker --help} for the options.
 */
public final class ClusterWorker {
    static final String DEFAULT_MODEL = "fake";
    static final String SERVING = "sluice-worker serving ";
    static final String EXIT = "sluice-worker exit ";
    private static final Pattern SERVING_LINE = Pattern.compile("^sluice-worker serving (\\S+):(\\d+)$");

    private ClusterWorker() {}

    /** The worker's settings; the fields are the options' defaults. */
    static final class Options {
        String address = "127.0.0.1";
        int port;
        String model = DEFAULT_MODEL;
        double costMs = 20;
        double perItemMs = 0.25;
        double slowdown = 1;
        int maxBatch = 8;
        int replicas = 1;
        int queue = 1024;
        double maxConnectionAgeS = 2;
        double graceS = 20;
        boolean exitOnStdinEof;

        static Options parse(String[] args) {
            Options o = new Options();
            CommandLine.parse(args, Options::usage, Set.of("--exit-on-stdin-eof"), (a, v) -> {
                switch (a) {
                    case "--address" -> o.address = v;
                    case "--port" -> o.port = Integer.parseInt(v);
                    case "--model" -> o.model = v;
                    case "--cost-ms" -> o.costMs = Double.parseDouble(v);
                    case "--per-item-ms" -> o.perItemMs = Double.parseDouble(v);
                    case "--slowdown" -> o.slowdown = Double.parseDouble(v);
                    case "--max-batch" -> o.maxBatch = Integer.parseInt(v);
                    case "--replicas" -> o.replicas = Integer.parseInt(v);
                    case "--queue" -> o.queue = Integer.parseInt(v);
                    case "--max-connection-age-s" -> o.maxConnectionAgeS = Double.parseDouble(v);
                    case "--grace-s" -> o.graceS = Double.parseDouble(v);
                    case "--exit-on-stdin-eof" -> o.exitOnStdinEof = true;
                    default -> throw CommandLine.unknown(a);
                }
            });
            o.check();
            return o;
        }

        private void check() {
            if (port < 0 || port > 65535) {
                throw new IllegalArgumentException("--port must be from 0 to 65535, was " + port);
            }
            if (!(costMs >= 0) || !(perItemMs >= 0) || Double.isInfinite(costMs) || Double.isInfinite(perItemMs)) {
                throw new IllegalArgumentException("--cost-ms and --per-item-ms must be zero or positive and finite, were "
                        + costMs + " and " + perItemMs);
            }
            if (!(slowdown > 0) || Double.isInfinite(slowdown)) {
                throw new IllegalArgumentException("--slowdown must be positive and finite, was " + slowdown);
            }
            if (maxBatch < 1 || replicas < 1 || queue < 1) {
                throw new IllegalArgumentException("--max-batch, --replicas and --queue must be at least 1, were "
                        + maxBatch + ", " + replicas + ", " + queue);
            }
            if (!(maxConnectionAgeS > 0) || !(graceS >= 0)) {
                throw new IllegalArgumentException("--max-connection-age-s must be positive and --grace-s not "
                        + "negative, were " + maxConnectionAgeS + " and " + graceS);
            }
        }

        static void usage() {
            System.out.println(String.join("\n",
                    "ClusterWorker [options]: one worker of a cluster on one machine: a parked fake model served over gRPC",
                    "(the Open Inference Protocol); prints '" + SERVING + "<host>:<port>' once it serves, and its counts",
                    "of calls on SIGTERM ('" + EXIT + "admitted=... completed=... failed=... cancelled=... refused=...').",
                    "  --address A                 the address to bind (default 127.0.0.1)",
                    "  --port P                    the port (default 0: a free one, printed)",
                    "  --model M                   the model's name (default " + DEFAULT_MODEL + "): x FP32 [-1,-1] -> y, the same",
                    "  --cost-ms C                 a batch's fixed cost, parked (default 20)",
                    "  --per-item-ms I             its cost per request (default 0.25)",
                    "  --slowdown F                both costs multiplied by F (default 1; 3: a worker three times slower)",
                    "  --max-batch B               the largest batch (default 8)",
                    "  --replicas R                the model's replicas, each running one batch at a time (default 1)",
                    "  --queue Q                   requests that may wait; more are refused, RESOURCE_EXHAUSTED (default 1024)",
                    "  --max-connection-age-s S    each client connection is closed after about S s, so clients",
                    "                              resolve the workers' name again (default 2)",
                    "  --grace-s G                 on SIGTERM, how long the calls in flight get to finish (default 20)",
                    "  --exit-on-stdin-eof         stop as on SIGTERM once standard input ends (the parent died or closed it)"));
        }

        /** A batch's cost for {@code n} requests, slowdown included. */
        Duration batchCost(int n) {
            return Duration.ofNanos(Math.round((costMs + perItemMs * n) * slowdown * 1e6));
        }
    }

    /** What the worker's inference service did with the {@code ModelInfer} calls; thread-safe. */
    static final class Counts implements ServerInterceptor {
        final LongAdder completed = new LongAdder();
        final LongAdder failed = new LongAdder();
        final LongAdder cancelled = new LongAdder();
        final LongAdder refused = new LongAdder();

        @Override
        public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
                ServerCallHandler<Q, R> next) {
            if (!"ModelInfer".equals(call.getMethodDescriptor().getBareMethodName())) {
                return next.startCall(call, headers);
            }
            AtomicBoolean ended = new AtomicBoolean();
            ServerCall<Q, R> counted = new ForwardingServerCall.SimpleForwardingServerCall<>(call) {
                @Override
                public void close(Status status, Metadata trailers) {
                    if (ended.compareAndSet(false, true)) {
                        (status.isOk() ? completed
                                : status.getCode() == Status.Code.RESOURCE_EXHAUSTED ? refused : failed).increment();
                    }
                    super.close(status, trailers);
                }
            };
            ServerCall.Listener<Q> listener = next.startCall(counted, headers);
            return new ForwardingServerCallListener.SimpleForwardingServerCallListener<>(listener) {
                @Override
                public void onCancel() {
                    if (ended.compareAndSet(false, true)) {
                        cancelled.increment();
                    }
                    super.onCancel();
                }
            };
        }

        /** Calls that reached the service and were not refused (read once the server has stopped). */
        long admitted() {
            return completed.sum() + failed.sum() + cancelled.sum();
        }

        String exitLine() {
            return EXIT + "admitted=" + admitted() + " completed=" + completed.sum() + " failed=" + failed.sum()
                    + " cancelled=" + cancelled.sum() + " refused=" + refused.sum();
        }
    }

    /** The counts a worker printed at exit. */
    record ExitCounts(long admitted, long completed, long failed, long cancelled, long refused) {
        private static final Pattern LINE = Pattern.compile(
                "^sluice-worker exit admitted=(\\d+) completed=(\\d+) failed=(\\d+) cancelled=(\\d+) refused=(\\d+)$");

        /** The counts of an exit line, or null for any other line. */
        static ExitCounts parse(String line) {
            Matcher m = LINE.matcher(line);
            if (!m.matches()) {
                return null;
            }
            return new ExitCounts(Long.parseLong(m.group(1)), Long.parseLong(m.group(2)), Long.parseLong(m.group(3)),
                    Long.parseLong(m.group(4)), Long.parseLong(m.group(5)));
        }
    }

    /** The {@code host:port} of a serving line, or null for any other line. */
    static String servingAddress(String line) {
        Matcher m = SERVING_LINE.matcher(line);
        return m.matches() ? m.group(1) + ":" + m.group(2) : null;
    }

    /** The model's deployment: the fake parked model as a tensor deployment of the protocol. */
    static Deployment<Map<String, Tensor>, Map<String, Tensor>> deployment(Options o) {
        Duration fixed = o.batchCost(0);
        Duration perItem = o.batchCost(1).minus(fixed);
        Model<Map<String, Tensor>, Map<String, Tensor>> model = FakeModel.<Map<String, Tensor>, Map<String, Tensor>>builder(
                in -> Map.of("y", in.get("x").withName("y"))).cost(fixed, perItem).build();
        long[] anyRank2 = {-1, -1};
        return Deployment.<Map<String, Tensor>, Map<String, Tensor>>builder(o.model, ctx -> model)
                .signature(new TensorSignature(List.of(new TensorSpec("x", DataType.FP32, anyRank2)),
                        List.of(new TensorSpec("y", DataType.FP32, anyRank2))))
                .replicas(o.replicas)
                .resources(r -> r.cpus(0)) // parked: its batches use no CPU, so they never wait for the budget
                .batching(b -> b.maxBatchSize(o.maxBatch).maxDelay(Duration.ZERO).queueCapacity(o.queue)
                        .unboundedQueueDelay().policy(BatchPolicy::eager))
                .build();
    }

    public static void main(String[] args) throws Exception {
        Options o = Options.parse(args);
        Sluice sluice = Sluice.builder().resources(Resources.builder().cpus(1).build()).build();
        DeploymentHandle<Map<String, Tensor>, Map<String, Tensor>> handle = sluice.deploy(deployment(o));
        handle.awaitReady(Duration.ofSeconds(30));
        Counts counts = new Counts();
        SluiceGrpcServer server = SluiceGrpcServer.builder(sluice)
                .address(new InetSocketAddress(o.address, o.port))
                .maxConnectionAge(Duration.ofNanos(Math.round(o.maxConnectionAgeS * 1e9)), Duration.ofSeconds(30))
                .shutdownGracePeriod(Duration.ofNanos(Math.round(o.graceS * 1e9)))
                .intercept(counts)
                .start();
        // Kept small on purpose: a graceful stop of the server, then the runtime, then the counts.
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            server.close();
            sluice.close();
            System.out.println(counts.exitLine());
            System.out.flush();
        }, "sluice-worker-stop"));
        System.out.println(SERVING + server.address().getAddress().getHostAddress() + ":" + server.port());
        System.out.flush();
        System.err.printf(Locale.ROOT, "model '%s': a batch of 1 costs %.2f ms, of %d %.2f ms%n", o.model,
                o.batchCost(1).toNanos() / 1e6, o.maxBatch, o.batchCost(o.maxBatch).toNanos() / 1e6);
        if (o.exitOnStdinEof) {
            // The parent that started it holds its standard input: when that parent dies, even by kill -9, the
            // pipe closes and the worker stops instead of serving on as an orphan.
            Thread watch = new Thread(() -> {
                try {
                    while (System.in.read() >= 0) {
                        // discard
                    }
                } catch (java.io.IOException e) {
                    // closed: as at the end
                }
                System.exit(0);
            }, "sluice-worker-stdin");
            watch.setDaemon(true);
            watch.start();
        }
        server.awaitTermination();
    }
}
