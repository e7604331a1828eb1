package dev.sluice;

import static dev.sluice.batching.Eventually.eventually;
import static dev.sluice.batching.TestFutures.failureOf;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.batching.BatchPolicy;
import dev.sluice.batching.DeadlineExceededException;
import dev.sluice.batching.ShutdownException;
import dev.sluice.batching.internal.RequestOrigin;
import dev.sluice.pipeline.Pipeline;
import dev.sluice.pipeline.Ref;
import dev.sluice.pipeline.Result;
import dev.sluice.pipeline.Trace;
import dev.sluice.testing.TestRuntime;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The execution budget inside the runtime: every deployment's model calls share the runtime's CPUs, however
 * many replicas there are, and a call of an older request goes first.
 */
class SharedBudgetTest {
    /** "deployment:input" of every input a model was called with, in call order. */
    private final List<String> calls = new CopyOnWriteArrayList<>();
    private final List<AutoCloseable> toClose = new ArrayList<>();
    private final List<CountDownLatch> gates = new ArrayList<>();

    @AfterEach
    void tearDown() throws Exception {
        gates.forEach(CountDownLatch::countDown);
        for (int i = toClose.size() - 1; i >= 0; i--) {
            toClose.get(i).close();
        }
    }

    /** Doubles its inputs, noting each in {@link #calls}; blocks while {@code gate} is closed. */
    private final class Noted implements Model<Integer, Integer> {
        private final String deployment;
        private final CountDownLatch gate;
        private final Semaphore started;

        Noted(String deployment, CountDownLatch gate, Semaphore started) {
            this.deployment = deployment;
            this.gate = gate;
            this.started = started;
        }

        @Override
        public List<Integer> predict(List<Integer> batch) throws Exception {
            batch.forEach(x -> calls.add(deployment + ":" + x));
            started.release();
            gate.await();
            return batch.stream().map(x -> 2 * x).toList();
        }
    }

    /** A deployment of {@link Noted} models sharing one gate; open unless {@code gate} is a closed latch. */
    private DeploymentHandle<Integer, Integer> deploy(Sluice sluice, String name, CountDownLatch gate,
            Semaphore started, java.util.function.UnaryOperator<Deployment.Builder<Integer, Integer>> settings)
            throws Exception {
        DeploymentHandle<Integer, Integer> h = sluice.deploy(settings.apply(Deployment.<Integer, Integer>builder(name,
                ctx -> new Noted(name, gate, started))).build());
        h.awaitReady(Duration.ofSeconds(10));
        return h;
    }

    private CountDownLatch closedGate() {
        CountDownLatch g = new CountDownLatch(1);
        gates.add(g);
        return g;
    }

    private static CountDownLatch open() {
        return new CountDownLatch(0);
    }

    private TestRuntime testRuntime(int cpus) {
        TestRuntime t = TestRuntime.builder().sluice(b -> b.resources(Fixtures.cpus(cpus))).build();
        toClose.add(t);
        return t;
    }

    private Sluice sluice(int cpus) {
        Sluice s = Sluice.builder().resources(Fixtures.cpus(cpus)).build();
        toClose.add(s);
        return s;
    }

    private static void awaitStarted(Semaphore started) throws InterruptedException {
        assertTrue(started.tryAcquire(10, TimeUnit.SECONDS), "the model was not called");
    }

    private static void awaitWaiting(Sluice sluice, int calls) throws InterruptedException {
        eventually(calls + " call(s) waiting for the budget", () -> sluice.status().resources().callsWaiting() == calls);
    }

    @Test
    void replicasTakeNoCpuSoThreeDeploymentsOfTwoReplicasAllRunOnTwoCpus() throws Exception {
        Sluice sluice = sluice(2);
        List<DeploymentHandle<Integer, Integer>> all = new ArrayList<>();
        for (String name : List.of("det", "cls", "rec")) {
            all.add(deploy(sluice, name, open(), new Semaphore(0), d -> d.replicas(2)));
        }
        for (DeploymentHandle<Integer, Integer> h : all) {
            eventually(h.name() + " running twice", () -> h.status().count(ReplicaState.RUNNING) == 2);
            assertEquals("1 CPU", h.status().replicas().get(0).placement());
            assertEquals(6, h.submit(3).get(10, TimeUnit.SECONDS));
        }
        // A call gives its CPU back once its callers' futures completed: a moment after they see the result.
        eventually("the budget idle", () -> sluice.status().resources().cpusInUse() == 0);
        assertEquals(2, sluice.status().resources().cpus());
        assertTrue(sluice.status().toString().startsWith("sluice: budget: 0 of 2 CPUs in use, 0 calls waiting"),
                sluice.status().toString());
    }

    @Test
    void noMoreModelCallsRunAtOnceThanTheBudgetHasAcrossDeploymentsAndReplicas() throws Exception {
        Sluice sluice = sluice(2);
        AtomicInteger running = new AtomicInteger();
        AtomicInteger most = new AtomicInteger();
        AtomicInteger predicted = new AtomicInteger();
        List<DeploymentHandle<Integer, Integer>> all = new ArrayList<>();
        for (String name : List.of("a", "b", "c")) {
            DeploymentHandle<Integer, Integer> h = sluice.deploy(Deployment.<Integer, Integer>builder(name,
                    ctx -> batch -> {
                        most.accumulateAndGet(running.incrementAndGet(), Math::max);
                        try {
                            Thread.yield(); // give the other replicas' threads a chance to overlap
                            predicted.addAndGet(batch.size());
                            return batch.stream().map(x -> 2 * x).toList();
                        } finally {
                            running.decrementAndGet();
                        }
                    // 1,200 submitted at once: no bound on the expected queue wait, which would refuse part of them
                    // (this test counts the calls running at once).
                    }).replicas(3).batching(b -> b.maxBatchSize(4).unboundedQueueDelay()).build());
            h.awaitReady(Duration.ofSeconds(10));
            eventually(name + " has 3 replicas", () -> h.status().count(ReplicaState.RUNNING) == 3);
            all.add(h);
        }
        int perClient = 300;
        ExecutorService clients = Executors.newFixedThreadPool(4);
        try {
            List<Future<List<CompletableFuture<Integer>>>> sent = new ArrayList<>();
            for (int c = 0; c < 4; c++) {
                int client = c;
                sent.add(clients.submit(() -> {
                    List<CompletableFuture<Integer>> fs = new ArrayList<>();
                    for (int i = 0; i < perClient; i++) {
                        fs.add(all.get((client + i) % 3).submit(i));
                    }
                    return fs;
                }));
            }
            int completed = 0;
            for (Future<List<CompletableFuture<Integer>>> s : sent) {
                List<CompletableFuture<Integer>> fs = s.get(30, TimeUnit.SECONDS);
                for (int i = 0; i < fs.size(); i++) {
                    assertEquals(2 * i, fs.get(i).get(30, TimeUnit.SECONDS));
                    completed++;
                }
            }
            assertEquals(4 * perClient, completed, "every future completed with its value");
        } finally {
            clients.shutdownNow();
        }
        assertEquals(4 * perClient, predicted.get(), "each input reached a model once");
        assertTrue(most.get() <= 2, "at most 2 model calls at once on a budget of 2, saw " + most.get());
        eventually("the budget idle", () -> sluice.status().resources().cpusInUse() == 0);
        assertEquals(0, sluice.status().resources().callsWaiting());
    }

    @Test
    void withTwoCpusAThirdDeploymentsCallWaitsUntilOneOfTheTwoRunningReturns() throws Exception {
        // The stress test above counts overlaps that may or may not happen; this one holds two calls for sure.
        Sluice sluice = sluice(2);
        CountDownLatch gate = closedGate();
        Semaphore started = new Semaphore(0);
        List<CompletableFuture<Integer>> fs = new ArrayList<>();
        for (String name : List.of("a", "b", "c")) {
            fs.add(deploy(sluice, name, gate, started, d -> d).submit(fs.size() + 1));
        }
        awaitStarted(started);
        awaitStarted(started);
        awaitWaiting(sluice, 1);
        assertEquals(2, sluice.status().resources().cpusInUse());
        assertEquals(2, calls.size(), "the third model was not called: " + calls);
        gate.countDown();
        for (int i = 0; i < 3; i++) {
            assertEquals(2 * (i + 1), fs.get(i).get(10, TimeUnit.SECONDS));
        }
        assertEquals(3, calls.size());
    }

    @Test
    void withTheBudgetFullTheCallOfTheOlderRequestGoesFirstWhateverArrivedFirst() throws Exception {
        Sluice sluice = sluice(1);
        Semaphore blockerStarted = new Semaphore(0);
        CountDownLatch blockerGate = closedGate();
        DeploymentHandle<Integer, Integer> blocker = deploy(sluice, "blocker", blockerGate, blockerStarted, d -> d);
        DeploymentHandle<Integer, Integer> x = deploy(sluice, "x", open(), new Semaphore(0), d -> d);
        DeploymentHandle<Integer, Integer> y = deploy(sluice, "y", open(), new Semaphore(0), d -> d);
        CompletableFuture<Integer> holding = blocker.submit(0);
        awaitStarted(blockerStarted);

        CompletableFuture<Integer> newer = y.submit(1);
        awaitWaiting(sluice, 1);
        // Arrives second, but belongs to work that began an hour ago (as a pipeline's later step does).
        CompletableFuture<Integer> older = RequestOrigin.submitAged(Duration.ofHours(1).toNanos(), () -> x.submit(2));
        awaitWaiting(sluice, 2);
        assertEquals(1, sluice.status().resources().cpusInUse());
        blockerGate.countDown();

        assertEquals(0, holding.get(10, TimeUnit.SECONDS));
        assertEquals(4, older.get(10, TimeUnit.SECONDS));
        assertEquals(2, newer.get(10, TimeUnit.SECONDS));
        assertEquals(List.of("blocker:0", "x:2", "y:1"), calls);
    }

    @Test
    void aPipelinesLaterStepGoesBeforeTheFirstStepOfARequestSubmittedAfterIt() throws Exception {
        TestRuntime runtime = testRuntime(1);
        Sluice sluice = runtime.sluice();
        CountDownLatch detGate = closedGate();
        Semaphore detStarted = new Semaphore(0);
        Semaphore blockerStarted = new Semaphore(0);
        CountDownLatch blockerGate = closedGate();
        DeploymentHandle<Integer, Integer> det = deploy(sluice, "det", detGate, detStarted, d -> d.replicas(2));
        // The recognizer waits 10 ms for company, so a step sent to it reaches the budget only then.
        DeploymentHandle<Integer, Integer> rec = deploy(sluice, "rec", open(), new Semaphore(0),
                d -> d.batching(b -> b.maxBatchSize(8).maxDelay(Duration.ofMillis(10)).policy(BatchPolicy::fixed)));
        DeploymentHandle<Integer, Integer> blocker = deploy(sluice, "blocker", blockerGate, blockerStarted, d -> d);
        eventually("det running twice", () -> det.status().count(ReplicaState.RUNNING) == 2);
        Pipeline.Builder<Integer> b = Pipeline.<Integer>builder("ocr").ticker(runtime.ticker());
        Ref<Integer> detected = b.step("det").call(det, b.input());
        Pipeline<Integer, Integer> ocr = b.build(b.step("rec").call(rec, detected));

        CompletableFuture<Result<Integer>> first = ocr.submit(1);            // at 0 ms: its det call runs
        awaitStarted(detStarted);
        runtime.ticker().advance(Duration.ofMillis(3));
        CompletableFuture<Result<Integer>> second = ocr.submit(2);           // at 3 ms: its det call waits
        awaitWaiting(sluice, 1);
        // Something older than both takes the CPU the first request's det call gives back.
        CompletableFuture<Integer> holding = RequestOrigin.submitAged(Duration.ofHours(1).toNanos(), () -> blocker.submit(0));
        awaitWaiting(sluice, 2);
        runtime.ticker().advance(Duration.ofMillis(2));
        detGate.countDown();                                                  // at 5 ms the first goes on to rec
        awaitStarted(blockerStarted);
        eventually("the first's rec call queued", () -> rec.status().queueDepth() == 1);
        runtime.ticker().advance(Duration.ofMillis(10));                     // rec stops waiting for company
        awaitWaiting(sluice, 2);
        assertEquals(List.of("det:1", "blocker:0"), calls, "the first's rec call (sent at 5 ms) and the second's det "
                + "call (sent at 3 ms) both wait");

        blockerGate.countDown();
        eventually("the second's rec call queued", () -> calls.contains("det:2") && rec.status().queueDepth() == 1);
        runtime.ticker().advance(Duration.ofMillis(10));
        assertEquals(4, first.get(10, TimeUnit.SECONDS).value());
        assertEquals(8, second.get(10, TimeUnit.SECONDS).value());
        assertEquals(0, holding.get(10, TimeUnit.SECONDS));
        assertEquals(List.of("det:1", "blocker:0", "rec:2", "det:2", "rec:4"), calls,
                "the first request (submitted at 0 ms) finishes before the second (3 ms) starts");
    }

    @Test
    void aDependentStageThatWaitsForAnotherDeploymentOnTheReplicasThreadHoldsNoCpu() throws Exception {
        Sluice sluice = sluice(1);
        CountDownLatch aGate = closedGate();
        DeploymentHandle<Integer, Integer> a = deploy(sluice, "a", aGate, new Semaphore(0), d -> d);
        DeploymentHandle<Integer, Integer> b = deploy(sluice, "b", open(), new Semaphore(0), d -> d);
        // Blocking in a non-async stage is discouraged, but must not wait for the one CPU its own call held.
        CompletableFuture<Integer> first = a.submit(1);
        CompletableFuture<Integer> chained = first.thenApply(x -> b.submit(x).join());
        aGate.countDown(); // only now can `first` complete: the stage runs on a's replica thread
        assertEquals(4, chained.get(10, TimeUnit.SECONDS));
        assertEquals(List.of("a:1", "b:2"), calls);
    }

    @Test
    void aRequestWhoseDeadlinePassesWhileWaitingForTheBudgetFailsAndItsModelNeverSeesIt() throws Exception {
        TestRuntime runtime = testRuntime(1);
        Sluice sluice = runtime.sluice();
        Semaphore blockerStarted = new Semaphore(0);
        CountDownLatch blockerGate = closedGate();
        DeploymentHandle<Integer, Integer> blocker = deploy(sluice, "blocker", blockerGate, blockerStarted, d -> d);
        DeploymentHandle<Integer, Integer> x = deploy(sluice, "x", open(), new Semaphore(0), d -> d);
        CompletableFuture<Integer> holding = blocker.submit(0);
        awaitStarted(blockerStarted);

        CompletableFuture<Integer> late = x.submit(5, Duration.ofMillis(10));
        awaitWaiting(sluice, 1);
        runtime.ticker().advance(Duration.ofMillis(20));
        blockerGate.countDown();

        assertInstanceOf(DeadlineExceededException.class, failureOf(late));
        assertEquals(0, holding.get(10, TimeUnit.SECONDS));
        assertEquals(List.of("blocker:0"), calls, "x's model never saw the expired request");
        eventually("the budget idle", () -> sluice.status().resources().cpusInUse() == 0);
        assertEquals(Duration.ofMillis(20).toNanos(), sluice.status().resources().budgetWaitNanos());
    }

    @Test
    void aRequestWhoseDeadlinePassesWhileWaitingForTheBudgetFailsOnTimeWhileTheBudgetIsStillFull() throws Exception {
        TestRuntime runtime = testRuntime(1);
        Sluice sluice = runtime.sluice();
        Semaphore blockerStarted = new Semaphore(0);
        CountDownLatch blockerGate = closedGate();
        DeploymentHandle<Integer, Integer> blocker = deploy(sluice, "blocker", blockerGate, blockerStarted, d -> d);
        DeploymentHandle<Integer, Integer> x = deploy(sluice, "x", open(), new Semaphore(0), d -> d);
        CompletableFuture<Integer> holding = blocker.submit(0);
        awaitStarted(blockerStarted);
        CompletableFuture<Integer> late = x.submit(5, Duration.ofMillis(10));
        CompletableFuture<Integer> patient = x.submit(6);
        awaitWaiting(sluice, 1);

        runtime.ticker().advance(Duration.ofMillis(20));

        Throwable e = failureOf(late);
        assertInstanceOf(DeadlineExceededException.class, e);
        assertTrue(e.getMessage().contains("while its batch waited for CPUs of the execution budget"), e.getMessage());
        assertFalse(holding.isDone(), "the blocker still holds the only CPU: the request failed on its own time");
        assertFalse(patient.isDone(), "its neighbour without a deadline waits on");
        awaitWaiting(sluice, 1); // the neighbour's call, in the same batch or the next
        blockerGate.countDown();
        assertEquals(0, holding.get(10, TimeUnit.SECONDS));
        assertEquals(12, patient.get(10, TimeUnit.SECONDS));
        assertEquals(List.of("blocker:0", "x:6"), calls, "x's model never saw the expired request");
    }

    @Test
    void aHungReplicaGivenUpOnGivesItsCpuBackToTheOtherDeployments() throws Exception {
        TestRuntime runtime = testRuntime(1);
        Sluice sluice = runtime.sluice();
        Fixtures.DeafModel deaf = new Fixtures.DeafModel();
        toClose.add(deaf.release::countDown);
        DeploymentHandle<Integer, Integer> hung = sluice.deploy(Deployment.<Integer, Integer>builder("hung", ctx -> deaf)
                .watchdog(Duration.ofSeconds(2)).build());
        hung.awaitReady(Duration.ofSeconds(10));
        DeploymentHandle<Integer, Integer> ok = deploy(sluice, "ok", open(), new Semaphore(0), d -> d);
        CompletableFuture<Integer> stuck = hung.submit(666);
        assertTrue(deaf.entered.await(10, TimeUnit.SECONDS));
        CompletableFuture<Integer> waiting = ok.submit(3);
        awaitWaiting(sluice, 1);

        runtime.advance(Duration.ofMillis(2100)); // past the watchdog: the hung replica is given up on
        assertEquals(6, waiting.get(10, TimeUnit.SECONDS), "served on the CPU the hung call held");
        assertTrue(failureOf(stuck).getMessage().contains("watchdog"), failureOf(stuck).getMessage());
        assertTrue(deaf.running.get(), "its model still hangs, yet holds no CPU of the budget");
        eventually("the budget idle", () -> sluice.status().resources().cpusInUse() == 0);
        deaf.release.countDown();
    }

    @Test
    void aDeploymentOfNoCpusServesWhileTheBudgetIsFull() throws Exception {
        Sluice sluice = sluice(1);
        Semaphore blockerStarted = new Semaphore(0);
        CountDownLatch blockerGate = closedGate();
        DeploymentHandle<Integer, Integer> blocker = deploy(sluice, "blocker", blockerGate, blockerStarted, d -> d);
        DeploymentHandle<Integer, Integer> remote = deploy(sluice, "remote", open(), new Semaphore(0),
                d -> d.resources(r -> r.cpus(0)));
        CompletableFuture<Integer> holding = blocker.submit(0);
        awaitStarted(blockerStarted);

        assertEquals(8, remote.submit(4).get(10, TimeUnit.SECONDS));
        assertEquals(1, sluice.status().resources().cpusInUse());
        blockerGate.countDown();
        assertEquals(0, holding.get(10, TimeUnit.SECONDS));
    }

    @Test
    void aDeploymentWhoseCallsNeedMoreCpusThanTheBudgetHasIsRefusedAtDeployAndAtUpdate() throws Exception {
        Sluice sluice = sluice(2);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> sluice.deploy(
                Deployment.<Integer, Integer>builder("big", ctx -> new Noted("big", open(), new Semaphore(0)))
                        .resources(r -> r.cpus(3)).build()));
        assertEquals("deployment 'big': resources.cpus: each model call needs 3 CPUs of the execution budget, the "
                + "runtime has 2", e.getMessage());
        DeploymentHandle<Integer, Integer> h = deploy(sluice, "d", open(), new Semaphore(0), d -> d);
        IllegalArgumentException update = assertThrows(IllegalArgumentException.class, () -> h.update(
                Deployment.<Integer, Integer>builder("d", ctx -> new Noted("d", open(), new Semaphore(0)))
                        .resources(r -> r.cpus(3)).build()));
        assertTrue(update.getMessage().contains("resources.cpus"), update.getMessage());
    }

    @Test
    void aForcedCloseEndsEveryRequestWaitingForTheBudget() throws Exception {
        Sluice sluice = sluice(1);
        Semaphore blockerStarted = new Semaphore(0);
        CountDownLatch blockerGate = closedGate();
        DeploymentHandle<Integer, Integer> blocker = deploy(sluice, "blocker", blockerGate, blockerStarted, d -> d);
        DeploymentHandle<Integer, Integer> x = deploy(sluice, "x", open(), new Semaphore(0), d -> d);
        CompletableFuture<Integer> holding = blocker.submit(0);
        awaitStarted(blockerStarted);
        List<CompletableFuture<Integer>> fs = new ArrayList<>();
        for (int i = 1; i <= 5; i++) {
            fs.add(x.submit(i));
        }
        awaitWaiting(sluice, 1);

        Thread closing = new Thread(() -> sluice.close(Duration.ZERO), "closing");
        closing.start();
        fs.add(holding);
        for (CompletableFuture<Integer> f : fs) {
            assertInstanceOf(ShutdownException.class, failureOf(f));
        }
        blockerGate.countDown(); // the hung call returns; the close can end
        closing.join(10_000);
        assertTrue(!closing.isAlive(), "the close ended");
        assertEquals(List.of("blocker:0"), calls, "nothing waiting for the budget reached a model");
    }

    @Test
    void aCallThatMayBurstBorrowsTheIdleCpuAndItsModelSeesHowManyItGot() throws Exception {
        Sluice sluice = sluice(2);
        List<Integer> lent = new CopyOnWriteArrayList<>();
        List<Integer> prepared = new CopyOnWriteArrayList<>();
        DeploymentHandle<Integer, Integer> wide = sluice.deploy(Deployment.<Integer, Integer>builder("det", ctx -> {
            prepared.add(ctx.burstCpuThreads());
            return batch -> {
                lent.add(dev.sluice.batching.BatchCall.current().cpus());
                return batch;
            };
        }).resources(r -> r.cpus(1).burstCpus(2)).build());
        wide.awaitReady(Duration.ofSeconds(10));
        assertEquals(List.of(2), prepared, "the model learns at start how wide a call may be");
        assertEquals(7, wide.submit(7).get(10, TimeUnit.SECONDS));
        assertEquals(List.of(2), lent, "alone, the call borrowed the idle CPU");

        // With the other CPU held by a running call, it gets only its own.
        CountDownLatch gate = closedGate();
        Semaphore started = new Semaphore(0);
        DeploymentHandle<Integer, Integer> busy = deploy(sluice, "rec", gate, started, d -> d);
        CompletableFuture<Integer> held = busy.submit(1);
        awaitStarted(started);
        assertEquals(8, wide.submit(8).get(10, TimeUnit.SECONDS));
        assertEquals(List.of(2, 1), lent);
        gate.countDown();
        assertEquals(2, held.get(10, TimeUnit.SECONDS));
        assertEquals(0, sluice.status().resources().cpusInUse(), "everything borrowed came back");
    }

    @Test
    void aCallBorrowsNothingWhileARequestWaitsInAnyQueue() throws Exception {
        Sluice sluice = sluice(2);
        List<Integer> lent = new CopyOnWriteArrayList<>();
        DeploymentHandle<Integer, Integer> wide = sluice.deploy(Deployment.<Integer, Integer>builder("det",
                ctx -> batch -> {
                    lent.add(dev.sluice.batching.BatchCall.current().cpus());
                    return batch;
                }).resources(r -> r.cpus(1).burstCpus(2)).build());
        wide.awaitReady(Duration.ofSeconds(10));
        // One replica that holds no CPU, busy with one request while a second waits in its queue.
        CountDownLatch gate = closedGate();
        Semaphore started = new Semaphore(0);
        DeploymentHandle<Integer, Integer> other = deploy(sluice, "io", gate, started, d -> d.resources(r -> r.cpus(0))
                .batching(b -> b.policy(BatchPolicy::eager).maxBatchSize(1)));
        CompletableFuture<Integer> running = other.submit(1);
        awaitStarted(started);
        CompletableFuture<Integer> queued = other.submit(2);
        eventually("the second request queued", () -> other.status().queueDepth() == 1);
        assertEquals(0, sluice.status().resources().cpusInUse(), "both CPUs idle");

        assertEquals(5, wide.submit(5).get(10, TimeUnit.SECONDS));
        assertEquals(List.of(1), lent, "a request waits in a queue: nothing lent although both CPUs are idle");
        gate.countDown();
        assertEquals(2, running.get(10, TimeUnit.SECONDS));
        assertEquals(4, queued.get(10, TimeUnit.SECONDS));
        assertEquals(6, wide.submit(6).get(10, TimeUnit.SECONDS));
        assertEquals(List.of(1, 2), lent, "with the queues empty again it borrows");
    }

    @Test
    void aPipelinesTraceShowsTheWaitForCpusAndTheCpusLent() throws Exception {
        Sluice sluice = sluice(1);
        CountDownLatch gate = closedGate();
        Semaphore started = new Semaphore(0);
        DeploymentHandle<Integer, Integer> busy = deploy(sluice, "busy", gate, started, d -> d);
        DeploymentHandle<Integer, Integer> next = deploy(sluice, "next", open(), new Semaphore(0), d -> d);
        Pipeline.Builder<Integer> b = Pipeline.builder("p");
        Pipeline<Integer, Integer> p = b.build(b.step("call").call(next, b.input()));

        CompletableFuture<Integer> holding = busy.submit(1);
        awaitStarted(started);
        CompletableFuture<Result<Integer>> waited = p.submit(3);
        awaitWaiting(sluice, 1);
        gate.countDown();
        assertEquals(2, holding.get(10, TimeUnit.SECONDS));
        Result<Integer> r = waited.get(10, TimeUnit.SECONDS);
        assertEquals(6, r.value());
        Trace.Span span = r.trace().spansOf("call").get(0);
        assertTrue(span.budgetWaitNanos() > 0, "it waited for the one CPU: " + span);
        assertTrue(span.budgetWaitNanos() <= span.queueWaitNanos(), "the wait for CPUs is part of the queue wait");
        assertEquals(1, span.cpus());
        assertEquals(1, span.batchSize());
        assertTrue(span.chosenBatchSize() >= 1);
        assertTrue(r.trace().toString().contains(" of it waiting for CPUs)"), r.trace().toString());
        assertTrue(r.trace().toJson().contains("\"budgetWaitNanos\":" + span.budgetWaitNanos()), r.trace().toJson());
    }

    @Test
    void aPipelinesTraceShowsTheCpusABurstingCallBorrowed() throws Exception {
        Sluice sluice = sluice(2);
        DeploymentHandle<Integer, Integer> wide = deploy(sluice, "det", open(), new Semaphore(0),
                d -> d.resources(r -> r.cpus(1).burstCpus(2)));
        Pipeline.Builder<Integer> b = Pipeline.builder("p");
        Pipeline<Integer, Integer> p = b.build(b.step("detect").call(wide, b.input()));
        Result<Integer> r = p.submit(4).get(10, TimeUnit.SECONDS);
        Trace.Span span = r.trace().spansOf("detect").get(0);
        assertEquals(2, span.cpus(), "alone, it borrowed the idle CPU");
        assertEquals(0, span.budgetWaitNanos(), "and waited for none");
        assertTrue(r.trace().toString().contains(", 2 CPUs"), r.trace().toString());
    }
}
