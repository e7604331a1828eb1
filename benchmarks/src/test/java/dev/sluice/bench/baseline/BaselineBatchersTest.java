package dev.sluice.bench.baseline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.sluice.batching.BatchFunction;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class BaselineBatchersTest {

    /** Generous bound that only turns a hang into a failure; nothing here asserts on timing. */
    private static final long HANG_GUARD_S = 20;

    static SimpleBatcher<Integer, Integer> create(String kind, BatchFunction<Integer, Integer> f, int maxBatch, int capacity) {
        switch (kind) {
            case "lbq": return new LinkedBlockingQueueBatcher<>(f, maxBatch, capacity);
            case "mpsc": return new MpscArrayQueueBatcher<>(f, maxBatch, capacity);
            default: throw new IllegalArgumentException(kind);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"lbq", "mpsc"})
    void everyRequestGetsItsOwnOutputFromFourThreads(String kind) throws Exception {
        int maxBatch = 32;
        AtomicInteger biggest = new AtomicInteger();
        AtomicInteger calls = new AtomicInteger();
        BatchFunction<Integer, Integer> twice = in -> {
            calls.incrementAndGet();
            biggest.accumulateAndGet(in.size(), Math::max);
            return in.stream().map(x -> 2 * x).collect(Collectors.toList());
        };
        int threads = 4;
        int perThread = 2500;
        try (SimpleBatcher<Integer, Integer> b = create(kind, twice, maxBatch, 4096)) {
            List<List<CompletableFuture<Integer>>> futures = new ArrayList<>();
            List<Thread> producers = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                List<CompletableFuture<Integer>> mine = new ArrayList<>();
                futures.add(mine);
                int base = t * perThread;
                producers.add(new Thread(() -> {
                    for (int i = 0; i < perThread; i++) {
                        CompletableFuture<Integer> f;
                        // The queue (4096) can be full for a moment: retry what it refuses.
                        while ((f = b.submit(base + i)).isCompletedExceptionally()) {
                            Thread.onSpinWait();
                        }
                        mine.add(f);
                    }
                }));
            }
            producers.forEach(Thread::start);
            for (Thread p : producers) {
                p.join();
            }
            for (int t = 0; t < threads; t++) {
                for (int i = 0; i < perThread; i++) {
                    int input = t * perThread + i;
                    assertEquals(2 * input, futures.get(t).get(i).get(HANG_GUARD_S, TimeUnit.SECONDS));
                }
            }
        }
        assertTrue(biggest.get() <= maxBatch, "a batch of " + biggest.get() + " exceeded maxBatchSize");
        assertTrue(calls.get() <= threads * perThread);
    }

    @ParameterizedTest
    @ValueSource(strings = {"lbq", "mpsc"})
    void fullQueueRejectsAndTheRestComplete(String kind) throws Exception {
        CountDownLatch started = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        BatchFunction<Integer, Integer> blocking = in -> {
            started.countDown();
            release.await();
            return in;
        };
        try (SimpleBatcher<Integer, Integer> b = create(kind, blocking, 1, 8)) {
            CompletableFuture<Integer> first = b.submit(0);
            assertTrue(started.await(HANG_GUARD_S, TimeUnit.SECONDS));
            List<CompletableFuture<Integer>> queued = new ArrayList<>();
            for (int i = 1; i <= 8; i++) {
                queued.add(b.submit(i));
            }
            CompletableFuture<Integer> refused = b.submit(99);
            assertTrue(refused.isCompletedExceptionally());
            ExecutionException e = expectFailure(refused);
            assertInstanceOf(RejectedExecutionException.class, e.getCause());
            release.countDown();
            assertEquals(0, first.get(HANG_GUARD_S, TimeUnit.SECONDS));
            for (int i = 1; i <= 8; i++) {
                assertEquals(i, queued.get(i - 1).get(HANG_GUARD_S, TimeUnit.SECONDS));
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"lbq", "mpsc"})
    void functionFailureFailsItsBatchOnly(String kind) throws Exception {
        BatchFunction<Integer, Integer> failsOnNegative = in -> {
            if (in.stream().anyMatch(x -> x < 0)) {
                throw new IllegalStateException("negative");
            }
            return in;
        };
        // maxBatch 1: each input is its own batch, so only the bad one fails.
        try (SimpleBatcher<Integer, Integer> b = create(kind, failsOnNegative, 1, 64)) {
            CompletableFuture<Integer> good = b.submit(1);
            CompletableFuture<Integer> bad = b.submit(-1);
            CompletableFuture<Integer> alsoGood = b.submit(2);
            assertEquals(1, good.get(HANG_GUARD_S, TimeUnit.SECONDS));
            assertEquals(2, alsoGood.get(HANG_GUARD_S, TimeUnit.SECONDS));
            assertInstanceOf(IllegalStateException.class, expectFailure(bad).getCause());
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"lbq", "mpsc"})
    void closeFinishesAdmittedWorkAndRefusesNewWork(String kind) throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        BatchFunction<Integer, Integer> gated = in -> {
            release.await();
            return in;
        };
        SimpleBatcher<Integer, Integer> b = create(kind, gated, 4, 64);
        List<CompletableFuture<Integer>> admitted = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            admitted.add(b.submit(i));
        }
        Thread closer = new Thread(b::close);
        closer.start();
        release.countDown();
        closer.join(TimeUnit.SECONDS.toMillis(HANG_GUARD_S));
        assertFalse(closer.isAlive(), "close() did not return");
        for (int i = 0; i < 20; i++) {
            assertEquals(i, admitted.get(i).get(HANG_GUARD_S, TimeUnit.SECONDS));
        }
        assertInstanceOf(RejectedExecutionException.class, expectFailure(b.submit(1)).getCause());
        b.close(); // idempotent
    }

    /** Producers racing with close(): every future they got must complete, one way or the other. */
    @ParameterizedTest
    @ValueSource(strings = {"lbq", "mpsc"})
    void noFutureIsStrandedWhenCloseRacesWithSubmit(String kind) throws Exception {
        for (int round = 0; round < 10; round++) {
            SimpleBatcher<Integer, Integer> b = create(kind, in -> in, 8, 256);
            int threads = 3;
            List<List<CompletableFuture<Integer>>> got = new ArrayList<>();
            List<Thread> producers = new ArrayList<>();
            CountDownLatch go = new CountDownLatch(1);
            for (int t = 0; t < threads; t++) {
                List<CompletableFuture<Integer>> mine = new ArrayList<>();
                got.add(mine);
                producers.add(new Thread(() -> {
                    try {
                        go.await();
                    } catch (InterruptedException e) {
                        return;
                    }
                    for (int i = 0; i < 2000; i++) {
                        mine.add(b.submit(i));
                    }
                }));
            }
            producers.forEach(Thread::start);
            go.countDown();
            b.close();
            for (Thread p : producers) {
                p.join();
            }
            int completed = 0;
            for (List<CompletableFuture<Integer>> mine : got) {
                for (int i = 0; i < mine.size(); i++) {
                    CompletableFuture<Integer> f = mine.get(i);
                    try {
                        assertEquals(i, f.get(HANG_GUARD_S, TimeUnit.SECONDS));
                        completed++;
                    } catch (ExecutionException e) {
                        assertInstanceOf(RejectedExecutionException.class, e.getCause());
                    } catch (TimeoutException e) {
                        fail("a future was stranded by close() (round " + round + ", " + kind + ")");
                    }
                }
            }
            assertTrue(completed >= 0);
        }
    }

    private static ExecutionException expectFailure(CompletableFuture<?> f) throws Exception {
        try {
            f.get(HANG_GUARD_S, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            return e;
        }
        throw new AssertionError("expected the future to fail");
    }
}
