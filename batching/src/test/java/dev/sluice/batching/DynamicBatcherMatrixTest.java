package dev.sluice.batching;

import static dev.sluice.batching.TestFutures.failureOf;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.batching.internal.WorkerBatcher;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The batcher's contract, each behaviour run in every configuration: who runs the batches (the batcher's
 * own threads, a caller's executor, workers added to a {@link WorkerBatcher}) x the batch policy (eager,
 * fixed, adaptive) x failure isolation (on, off). Time is a {@link ManualTicker}: a policy wait ends when
 * the test moves time past {@code maxDelay}, so no test sleeps. Eager and fixed fill batches; adaptive
 * sizes them from its cost curve, in which, with a manual ticker, every call takes no time.
 */
class DynamicBatcherMatrixTest {
    private static final Duration MAX_DELAY = Duration.ofMillis(5);

    enum Runs { OWN_THREADS, CALLERS_EXECUTOR, ADDED_WORKER }

    enum Policy {
        EAGER(BatchPolicy::eager), FIXED(BatchPolicy::fixed), ADAPTIVE(BatchPolicy::adaptive);

        final Supplier<BatchPolicy> fresh;

        Policy(Supplier<BatchPolicy> fresh) {
            this.fresh = fresh;
        }
    }

    record Config(Runs runs, Policy policy, boolean isolate) {
        @Override
        public String toString() {
            return runs + ", " + policy + ", isolation " + (isolate ? "on" : "off");
        }
    }

    static Stream<Config> configurations() {
        List<Config> all = new ArrayList<>();
        for (Runs runs : Runs.values()) {
            for (Policy policy : Policy.values()) {
                all.add(new Config(runs, policy, true));
                all.add(new Config(runs, policy, false));
            }
        }
        return all.stream();
    }

    private final ManualTicker ticker = new ManualTicker();
    private final RecordingFunction fn = new RecordingFunction();
    private final List<DynamicBatcher<?, ?>> open = new ArrayList<>();
    private final List<ExecutorService> pools = new ArrayList<>();

    @AfterEach
    void closeAll() {
        fn.release();
        open.forEach(b -> b.close(Duration.ofSeconds(5)));
        pools.forEach(ExecutorService::shutdownNow);
    }

    private DynamicBatcher<Integer, Integer> batcher(Config c) {
        return batcher(c, b -> {});
    }

    /** A batcher of {@code c}, one batch at a time, maxBatchSize 8, with {@code more} applied. */
    private DynamicBatcher<Integer, Integer> batcher(Config c, Consumer<DynamicBatcher.Builder<Integer, Integer>> more) {
        DynamicBatcher.Builder<Integer, Integer> b = c.runs() == Runs.ADDED_WORKER
                ? WorkerBatcher.<Integer, Integer>builder() : DynamicBatcher.builder(fn);
        b.name("matrix").ticker(ticker).maxBatchSize(8).maxDelay(MAX_DELAY).policy(c.policy().fresh.get())
                .isolateFailures(c.isolate());
        if (c.runs() == Runs.CALLERS_EXECUTOR) {
            b.executor(pool());
        }
        more.accept(b);
        DynamicBatcher<Integer, Integer> batcher;
        if (c.runs() == Runs.ADDED_WORKER) {
            WorkerBatcher<Integer, Integer> wb = b.buildWithWorkers();
            wb.addWorker("w1", fn, pool());
            batcher = wb;
        } else {
            batcher = b.build();
        }
        open.add(batcher);
        return batcher;
    }

    private ExecutorService pool() {
        ExecutorService pool = Executors.newSingleThreadExecutor();
        pools.add(pool);
        return pool;
    }

    /** Moves time past maxDelay, so no policy keeps what waits. */
    private void passMaxDelay() {
        ticker.advance(MAX_DELAY);
    }

    /** Occupies the only worker with a held batch of one request (-1). */
    private CompletableFuture<Integer> occupyWorker(DynamicBatcher<Integer, Integer> b) throws InterruptedException {
        fn.hold();
        CompletableFuture<Integer> first = b.submit(-1);
        passMaxDelay();
        fn.awaitStarted(1);
        return first;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("configurations")
    void everyRequestEndsWithItsOwnOutput(Config c) throws Exception {
        DynamicBatcher<Integer, Integer> b = batcher(c);
        List<CompletableFuture<Integer>> fs = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            fs.add(b.submit(i));
        }
        passMaxDelay();
        for (int i = 0; i < 20; i++) {
            assertEquals(2 * i, fs.get(i).get(10, TimeUnit.SECONDS));
        }
        assertTrue(fn.sizes().stream().allMatch(n -> n <= 8), "no batch over maxBatchSize: " + fn.sizes());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("configurations")
    void requestsQueuedWhileTheWorkerIsBusyGoOutTogetherInArrivalOrder(Config c) throws Exception {
        DynamicBatcher<Integer, Integer> b = batcher(c);
        CompletableFuture<Integer> running = occupyWorker(b);
        List<CompletableFuture<Integer>> fs = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            fs.add(b.submit(i));
        }
        fn.release();
        for (int i = 0; i < 8; i++) {
            assertEquals(2 * i, fs.get(i).get(10, TimeUnit.SECONDS));
        }
        assertEquals(-2, running.get());
        assertEquals(List.of(-1, 0, 1, 2, 3, 4, 5, 6, 7), fn.seen(), "in arrival order");
        if (c.policy() == Policy.ADAPTIVE) {
            // Its curve has no time in it (a manual ticker): slow start, one at a time until three calls of
            // one are known, then three of the next bucket up.
            assertEquals(List.of(1, 1, 1, 2, 2, 2), fn.sizes(), "batches of the policy's size, at once");
        } else {
            assertEquals(List.of(1, 8), fn.sizes(), "a full batch goes out at once");
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("configurations")
    void aFullQueueRefusesAtOnceWithOverloaded(Config c) throws Exception {
        DynamicBatcher<Integer, Integer> b = batcher(c, x -> x.queueCapacity(2));
        occupyWorker(b);
        CompletableFuture<Integer> one = b.submit(1);
        CompletableFuture<Integer> two = b.submit(2);

        CompletableFuture<Integer> refused = b.submit(3);

        assertTrue(refused.isDone(), "refused before submit returned");
        assertInstanceOf(OverloadedException.class, failureOf(refused));
        fn.release();
        passMaxDelay();
        assertEquals(2, one.get(10, TimeUnit.SECONDS));
        assertEquals(4, two.get(10, TimeUnit.SECONDS));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("configurations")
    void aRequestWhoseDeadlinePassesWhileQueuedFailsAndNeverReachesTheFunction(Config c) throws Exception {
        DynamicBatcher<Integer, Integer> b = batcher(c);
        occupyWorker(b);
        CompletableFuture<Integer> f = b.submit(5, Duration.ofMillis(10));

        ticker.advance(Duration.ofMillis(10));

        assertInstanceOf(DeadlineExceededException.class, failureOf(f));
        fn.release();
        CompletableFuture<Integer> later = b.submit(6);
        passMaxDelay();
        assertEquals(12, later.get(10, TimeUnit.SECONDS));
        assertFalse(fn.seen().contains(5));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("configurations")
    void aRequestCancelledWhileQueuedNeverReachesTheFunction(Config c) throws Exception {
        DynamicBatcher<Integer, Integer> b = batcher(c);
        occupyWorker(b);
        CompletableFuture<Integer> cancelled = b.submit(5);
        CompletableFuture<Integer> kept = b.submit(6);

        assertTrue(cancelled.cancel(false));
        fn.release();
        passMaxDelay();

        assertEquals(12, kept.get(10, TimeUnit.SECONDS));
        assertFalse(fn.seen().contains(5));
        assertEquals(0, b.queueDepth());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("configurations")
    void aPoisonedInputFailsAloneWithIsolationAndFailsItsWholeBatchWithout(Config c) throws Exception {
        DynamicBatcher<Integer, Integer> b = batcher(c);
        fn.poison(3);
        occupyWorker(b);
        List<CompletableFuture<Integer>> fs = new ArrayList<>();
        for (int i = 1; i <= 4; i++) {
            fs.add(b.submit(i));
        }
        fn.release();
        passMaxDelay();

        ModelException poisoned = assertInstanceOf(ModelException.class, failureOf(fs.get(2)));
        assertInstanceOf(IllegalStateException.class, poisoned.getCause());
        if (c.policy() != Policy.ADAPTIVE) {
            assertEquals(List.of(1, 4), fn.sizes().subList(0, 2), "the four went in one batch");
        }
        assertTrue(fn.batches.stream().anyMatch(batch -> batch.contains(3) && batch.size() > 1),
                "the poisoned input had a batch mate, so isolation was put to the test: " + fn.batches);
        for (int i : new int[] {0, 1, 3}) {
            int input = i + 1;
            boolean batchMate = fn.batches.stream().anyMatch(batch -> batch.contains(3) && batch.contains(input));
            if (c.isolate() || !batchMate) {
                assertEquals(2 * input, fs.get(i).get(10, TimeUnit.SECONDS), "a neighbour of the poisoned input");
            } else {
                assertInstanceOf(ModelException.class, failureOf(fs.get(i)));
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("configurations")
    void closeFinishesWhatWasAdmittedThenRefusesWithShutdown(Config c) throws Exception {
        DynamicBatcher<Integer, Integer> b = batcher(c);
        List<CompletableFuture<Integer>> fs = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            fs.add(b.submit(i));
        }

        b.close(Duration.ofSeconds(10)); // a closing batcher waits for no company

        for (int i = 0; i < 5; i++) {
            assertEquals(2 * i, fs.get(i).getNow(null), "finished before close returned");
        }
        assertInstanceOf(ShutdownException.class, failureOf(b.submit(9)));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("configurations")
    void aNullInputFailsWithInvalidInputAndNothingElseChanges(Config c) throws Exception {
        DynamicBatcher<Integer, Integer> b = batcher(c);

        assertInstanceOf(InvalidInputException.class, failureOf(b.submit(null)));

        assertEquals(0, b.queueDepth());
        CompletableFuture<Integer> next = b.submit(1);
        passMaxDelay();
        assertEquals(2, next.get(10, TimeUnit.SECONDS));
    }
}
