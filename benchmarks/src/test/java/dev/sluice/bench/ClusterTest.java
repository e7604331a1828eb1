package dev.sluice.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.sluice.ReplicaState;
import dev.sluice.SluiceStatus;
import dev.sluice.grpc.RemoteDeployment;
import dev.sluice.pipeline.Pipeline;
import dev.sluice.pipeline.Ref;
import dev.sluice.pipeline.Result;
import dev.sluice.pipeline.Trace;
import dev.sluice.tensor.Tensor;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A cluster on one machine: each worker a {@link ClusterWorker} in a JVM of its own on 127.0.1.1, 127.0.1.2, ...,
 * and the entry, a {@link RemoteDeployment} and a pipeline over it, in this JVM. Steady open-loop load
 * ({@link ClusterLoad}) while a worker is killed with {@code kill -9}, stopped with SIGTERM, added, or slowed.
 *
 * <p>Run by the build's {@code cluster} test execution only, in a JVM whose name lookups read a hosts file that
 * the tests rewrite ({@code -Djdk.net.hosts.file}) and are not cached ({@code -Dsun.net.inetaddr.ttl=0} for the
 * JVM, {@code -Dnetworkaddress.cache.ttl=0} for grpc-java's DNS resolver), so that a {@code dns:///} target sees a
 * worker added behind its name as a client in Kubernetes sees a new pod behind a headless Service. The tests
 * that do not add workers name them by a static list: the same routing, one moving part less. Every worker is
 * stopped by its pid when its test ends, passing or failing, and stops by itself if this JVM dies.
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class ClusterTest {
    static final String NAME = "workers.cluster.test";
    /** A request's deadline, retries included. */
    static final Duration T = Duration.ofSeconds(10);
    /** How long a worker JVM may take to serve, on two busy cores. */
    static final Duration START = Duration.ofSeconds(60);
    /** Small, quick to start: the workers park, they do not compute. */
    static final List<String> WORKER_JVM = List.of("-Xmx128m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1");

    private static Path hosts;

    @BeforeAll
    static void hostsFile() throws IOException {
        // Selected by -Dtest, the default execution (no hosts file) runs this class too: it belongs to the other one.
        String file = System.getProperty("jdk.net.hosts.file");
        assumeTrue(file != null, "run by the cluster test execution, with a hosts file");
        hosts = Path.of(file);
        writeHosts(List.of());
    }

    @Test
    void aWorkerKilledMidLoadLosesNoRequestAndTheOthersTakeItsShare() throws Exception {
        try (Workers workers = Workers.start(3, 0); RemoteDeployment remote = remote(workers.addresses());
                ClusterLoad load = new ClusterLoad(oneStep(remote), 3000, Duration.ofMillis(10), T)) {
            WorkerProcess victim = workers.get(0);
            load.start();
            awaitMidLoad(load, remote, victim);
            victim.kill();
            assertTrue(victim.awaitEnd(Duration.ofSeconds(10)), victim + " did not end on SIGKILL");
            int killedAt = load.sent();
            await("150 requests sent after the kill", Duration.ofSeconds(30), () -> load.sent() >= killedAt + 150);
            load.stop();
            load.awaitEnded(Duration.ofSeconds(60));

            load.assertEveryRequestSucceededOnce();
            assertTrue(load.servedBy(0, killedAt).getOrDefault(victim.address(), 0L) > 0,
                    victim + " served nothing before it was killed");
            Map<String, Long> after = load.servedBy(killedAt, load.sent());
            List<String> survivors = List.of(workers.get(1).address(), workers.get(2).address());
            assertEquals(survivors.stream().sorted().toList(), after.keySet().stream().sorted().toList(),
                    "the workers that served after the kill");
            long sentAfter = load.sent() - killedAt;
            for (String s : survivors) { // about half each; a third or less would leave the victim's share undone
                assertTrue(after.get(s) >= 0.35 * sentAfter, s + " served " + after.get(s) + " of the " + sentAfter
                        + " requests sent after the kill: " + after);
            }
            // Bounded, generously: the kill costs a retry, not a deadline.
            assertTrue(load.latencyPercentile(99) < Duration.ofSeconds(5).toNanos(), load.summary());
        }
    }

    @Test
    void aWorkerStoppedWithSigtermFinishesWhatItAdmittedAndNoRequestFails() throws Exception {
        try (Workers workers = Workers.start(3, 0); RemoteDeployment remote = remote(workers.addresses());
                ClusterLoad load = new ClusterLoad(oneStep(remote), 3000, Duration.ofMillis(10), T)) {
            WorkerProcess victim = workers.get(0);
            load.start();
            awaitMidLoad(load, remote, victim);
            victim.terminate();
            ClusterWorker.ExitCounts counts = victim.awaitExit(Duration.ofSeconds(40));
            int stoppedAt = load.sent();
            await("100 requests sent after it ended", Duration.ofSeconds(30), () -> load.sent() >= stoppedAt + 100);
            load.stop();
            load.awaitEnded(Duration.ofSeconds(60));

            load.assertEveryRequestSucceededOnce();
            assertTrue(counts.admitted() > 0, "it admitted nothing: " + counts);
            assertEquals(counts.admitted(), counts.completed(), "everything it admitted completes: " + counts);
            assertEquals(0, counts.failed() + counts.cancelled(), counts.toString());
            Map<String, Long> after = load.servedBy(stoppedAt, load.sent());
            assertTrue(!after.containsKey(victim.address()), "served after it ended: " + after);
        }
    }

    @Test
    void aWorkerAddedBehindTheNameGetsTrafficWithinTheConnectionAge() throws Exception {
        List<String> hostsOfFour = List.of("127.0.1.1", "127.0.1.2", "127.0.1.3", "127.0.1.4");
        int port = freePortOnEvery(hostsOfFour);
        writeHosts(hostsOfFour.subList(0, 3));
        assertEquals(hostsOfFour.subList(0, 3), lookUp(NAME), "the hosts file is not in use");
        // The fourth starts with the others (one wait for JVMs to start, not two), and is named only later: what
        // the client sees is the same as a pod that becomes ready behind a Service.
        try (Workers workers = Workers.start(4, port, "--max-connection-age-s", "1");
                RemoteDeployment remote = RemoteDeployment.builder("fake").target("dns:///" + NAME + ":" + port)
                        .timeout(T).maxAttempts(4).build();
                ClusterLoad load = new ClusterLoad(oneStep(remote), 3000, Duration.ofMillis(10), T)) {
            WorkerProcess fourth = workers.get(3);
            awaitConnected(remote, 3);
            load.start();
            await("some load served", Duration.ofSeconds(30), () -> load.ended() >= 50);
            int before = load.sent();
            writeHosts(hostsOfFour);
            long added = System.nanoTime();
            // A connection closes at its age (1 s, +-10%), the client resolves the name again, connects to the
            // fourth and routes to it. Generously bounded; it takes about the age.
            await("the fourth worker serves requests", Duration.ofSeconds(20),
                    () -> load.servedBy(0, load.sent()).containsKey(fourth.address()));
            double seconds = (System.nanoTime() - added) / 1e9;
            load.stop();
            load.awaitEnded(Duration.ofSeconds(60));
            load.assertEveryRequestSucceededOnce();
            assertTrue(!load.servedBy(0, before).containsKey(fourth.address()), "served before it was named: "
                    + load.servedBy(0, before));
            assertEquals(4, remote.status().replicas().size(), remote.status().toString());
            System.out.printf("the fourth worker served its first request %.2f s after it was added%n", seconds);
        }
    }

    @Test
    void aWorkerThreeTimesSlowerGetsClearlyLessTraffic() throws Exception {
        // Batches of 200 ms, and 600 ms on the slow one: the model's time must dwarf what the CPU adds to every
        // call alike (shared by the four JVMs and whatever else runs) for the calls in flight to tell them apart.
        List<String> fast = List.of("--cost-ms", "200");
        try (Workers workers = Workers.start(List.of(fast, fast, List.of("--cost-ms", "200", "--slowdown", "3")), 0);
                RemoteDeployment remote = remote(workers.addresses());
                ClusterLoad load = new ClusterLoad(oneStep(remote), 250, Duration.ofMillis(20), T)) {
            load.start();
            load.awaitEnded(Duration.ofSeconds(60));
            load.assertEveryRequestSucceededOnce();
            List<ClusterWorker.ExitCounts> counts = workers.terminateAll();
            // From the workers themselves: each request ran once, somewhere.
            assertEquals(load.size(), counts.stream().mapToLong(ClusterWorker.ExitCounts::completed).sum(),
                    counts.toString());
            System.out.println("completed by the workers (the third slowed 3x): " + counts);
            long slow = counts.get(2).completed();
            long fewerFast = Math.min(counts.get(0).completed(), counts.get(1).completed());
            // Round robin would give each about 83; by load, the slow one gets about half what a fast one does. Routing by load gives the slow one clearly less.
            assertTrue(slow < 0.7 * fewerFast, "the slow worker completed " + slow + ", the fast ones " + counts);
        }
    }

    @Test
    void theTwoIndependentRemoteStepsOfARequestRunOnTwoWorkersAtOnce() throws Exception {
        try (Workers workers = Workers.start(3, 0, "--cost-ms", "50");
                RemoteDeployment remote = remote(workers.addresses())) {
            Pipeline.Builder<Map<String, Tensor>> b = Pipeline.builder("two-remote-steps");
            Ref<Map<String, Tensor>> in = b.input();
            Ref<Map<String, Tensor>> left = b.step("left").call(remote, in);
            Ref<Map<String, Tensor>> right = b.step("right").call(remote, in);
            Pipeline<Map<String, Tensor>, List<Float>> pipeline = b.build(b.step("both")
                    .apply((x, y) -> List.of(ClusterLoad.marker(x), ClusterLoad.marker(y)), left, right));
            for (int i = 1; i <= 5; i++) {
                Result<List<Float>> result = pipeline.submit(ClusterLoad.input(i), T).get(20, TimeUnit.SECONDS);
                assertEquals(List.of((float) i, (float) i), result.value());
                Trace.Span l = result.trace().spansOf("left").get(0);
                Trace.Span r = result.trace().spansOf("right").get(0);
                assertEquals(Trace.Outcome.OK, l.outcome(), result.trace().toString());
                assertEquals(Trace.Outcome.OK, r.outcome(), result.trace().toString());
                assertTrue(l.startNanos() < r.startNanos() + r.durationNanos()
                        && r.startNanos() < l.startNanos() + l.durationNanos(), "the steps overlap:\n" + result.trace());
                assertTrue(workers.addresses().contains(l.replicas()), result.trace().toString());
                assertTrue(workers.addresses().contains(r.replicas()), result.trace().toString());
                assertNotEquals(l.replicas(), r.replicas(), "two workers:\n" + result.trace());
            }
        }
    }

    // ------------------------------------------------------------------------------------------------ helpers

    /** The workers of one test: started on 127.0.1.1, 127.0.1.2, ...; closing kills those still running. */
    static final class Workers implements AutoCloseable {
        private final List<WorkerProcess> all = new ArrayList<>();

        /** {@code n} workers with the same options, each on its own address, all on {@code port} (0: free ones). */
        static Workers start(int n, int port, String... options) throws Exception {
            List<List<String>> each = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                each.add(List.of(options));
            }
            return start(each, port);
        }

        /** One worker per element, with those options, each on its own address, all on {@code port}. */
        static Workers start(List<List<String>> options, int port) throws Exception {
            Workers w = new Workers();
            try {
                for (int i = 0; i < options.size(); i++) { // all start at once; then each is awaited
                    w.launch("127.0.1." + (i + 1), port, options.get(i));
                }
                for (WorkerProcess p : w.all) {
                    p.awaitAddress(START);
                }
            } catch (Exception | Error e) {
                w.close();
                throw e;
            }
            return w;
        }

        private WorkerProcess launch(String host, int port, List<String> options) throws IOException {
            List<String> args = new ArrayList<>(List.of("--address", host, "--port", Integer.toString(port)));
            args.addAll(options);
            WorkerProcess p = WorkerProcess.start(host, WORKER_JVM, args,
                    Path.of("target", "cluster-logs", host + "-" + Long.toString(System.nanoTime(), 36) + ".log"));
            all.add(p);
            return p;
        }

        WorkerProcess get(int i) {
            return all.get(i);
        }

        List<String> addresses() {
            return all.stream().map(WorkerProcess::address).toList();
        }

        /** SIGTERM to each, and their counts, in order. */
        List<ClusterWorker.ExitCounts> terminateAll() throws InterruptedException {
            all.forEach(WorkerProcess::terminate);
            List<ClusterWorker.ExitCounts> counts = new ArrayList<>();
            for (WorkerProcess p : all) {
                counts.add(p.awaitExit(Duration.ofSeconds(40)));
            }
            return counts;
        }

        @Override
        public void close() throws InterruptedException {
            for (WorkerProcess p : all) {
                p.close();
            }
        }
    }

    /** A remote deployment of the workers' model over a static list, once it is connected to every worker. */
    static RemoteDeployment remote(List<String> addresses) throws Exception {
        RemoteDeployment r = RemoteDeployment.builder("fake").model(ClusterWorker.DEFAULT_MODEL)
                .addresses(addresses).timeout(T).maxAttempts(4).build();
        try {
            awaitConnected(r, addresses.size());
        } catch (Exception | Error e) {
            r.close();
            throw e;
        }
        return r;
    }

    static void awaitConnected(RemoteDeployment r, int servers) throws InterruptedException {
        await(servers + " workers connected", Duration.ofSeconds(30), () -> {
            List<SluiceStatus.ReplicaStatus> replicas = r.status().replicas();
            return replicas.size() == servers && replicas.stream().allMatch(s -> s.state() == ReplicaState.RUNNING);
        });
    }

    /** The pipeline of the load: one step, {@code infer}, a call of the remote deployment (its span names the worker). */
    static Pipeline<Map<String, Tensor>, Map<String, Tensor>> oneStep(RemoteDeployment remote) {
        Pipeline.Builder<Map<String, Tensor>> b = Pipeline.builder("one-remote-step");
        return b.build(b.step(ClusterLoad.STEP).call(remote, b.input()));
    }

    /** Waits until 100 requests have been sent, {@code worker} has served some and holds a call of this client. */
    static void awaitMidLoad(ClusterLoad load, RemoteDeployment remote, WorkerProcess worker)
            throws InterruptedException {
        await("100 requests sent, some served by " + worker + " and a call in flight there", Duration.ofSeconds(30),
                () -> load.sent() >= 100 && load.servedBy(0, load.sent()).containsKey(worker.address())
                        && inFlight(remote, worker.address()) > 0);
    }

    /** The client's calls in flight to the worker at {@code address}. */
    static int inFlight(RemoteDeployment remote, String address) {
        return remote.status().replicas().stream().filter(r -> address.equals(r.placement()))
                .mapToInt(SluiceStatus.ReplicaStatus::inFlight).sum();
    }

    /** Polls {@code condition} every few milliseconds until it holds; fails naming {@code what} after {@code within}. */
    static void await(String what, Duration within, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + within.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError("not within " + within + ": " + what);
            }
            TimeUnit.MILLISECONDS.sleep(2);
        }
    }

    /** Makes {@link #NAME} name {@code addresses} (and nothing else), atomically for a lookup that reads it meanwhile. */
    static void writeHosts(List<String> addresses) throws IOException {
        StringBuilder s = new StringBuilder("# ClusterTest's hosts file (-Djdk.net.hosts.file), rewritten by the tests\n");
        s.append("127.0.0.1 localhost\n");
        addresses.forEach(a -> s.append(a).append(' ').append(NAME).append('\n'));
        Path tmp = hosts.resolveSibling(hosts.getFileName() + ".tmp");
        Files.createDirectories(hosts.toAbsolutePath().getParent());
        Files.writeString(tmp, s, StandardCharsets.UTF_8);
        Files.move(tmp, hosts, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    static List<String> lookUp(String name) throws IOException {
        return Arrays.stream(InetAddress.getAllByName(name)).map(InetAddress::getHostAddress).sorted().toList();
    }

    /** A port free on every one of {@code hosts} now (one a DNS name's addresses share, as pods' do). */
    static int freePortOnEvery(List<String> hosts) throws IOException {
        for (int tries = 0; tries < 20; tries++) {
            int port;
            try (ServerSocket first = new ServerSocket()) {
                first.bind(new InetSocketAddress(hosts.get(0), 0));
                port = first.getLocalPort();
            }
            boolean free = true;
            for (String h : hosts) {
                try (ServerSocket s = new ServerSocket()) {
                    s.bind(new InetSocketAddress(h, port));
                } catch (IOException e) {
                    free = false;
                    break;
                }
            }
            if (free) {
                return port;
            }
        }
        throw new IOException("no port free on every one of " + hosts + " in 20 tries");
    }
}
