package dev.sluice.batching;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.batching.internal.WorkerBatcher;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;

/**
 * Producers submit while workers are added, retired and abandoned (with and without requeue) at random:
 * every future must end exactly once, with the right value or the abandoning worker's error, and the
 * counters must come back to zero.
 */
class WorkerChurnStressTest {
    private static final int PRODUCERS = 4;
    private static final int PER_PRODUCER = 40_000;

    @Test
    void everyRequestEndsExactlyOnceWhileWorkersComeAndGo() throws Exception {
        WorkerBatcher<Integer, Integer> b = WorkerBatcher.<Integer, Integer>builder()
                .name("churn").maxBatchSize(16).maxDelay(Duration.ofMillis(1)).queueCapacity(1 << 16)
                .buildWithWorkers();
        List<ExecutorService> threads = new ArrayList<>();
        List<WorkerBatcher.Worker> live = new ArrayList<>();
        AtomicLong seen = new AtomicLong();
        BatchFunction<Integer, Integer> fn = in -> {
            seen.addAndGet(in.size());
            if (ThreadLocalRandom.current().nextInt(50) == 0) {
                LockSupport.parkNanos(200_000);
            }
            List<Integer> out = new ArrayList<>(in.size());
            in.forEach(x -> out.add(x + 1));
            return out;
        };
        AtomicInteger names = new AtomicInteger();
        java.util.function.Supplier<WorkerBatcher.Worker> add = () -> {
            ExecutorService t = Executors.newSingleThreadExecutor();
            threads.add(t);
            return b.addWorker("w" + names.incrementAndGet(), fn, t);
        };
        live.add(add.get());
        live.add(add.get());

        AtomicBoolean producing = new AtomicBoolean(true);
        AtomicInteger abandonedWithError = new AtomicInteger();
        Thread chaos = new Thread(() -> {
            ThreadLocalRandom rnd = ThreadLocalRandom.current();
            while (producing.get()) {
                int action = rnd.nextInt(4);
                if (action == 0 || live.size() < 2) {
                    live.add(add.get());
                } else {
                    WorkerBatcher.Worker w = live.remove(rnd.nextInt(live.size()));
                    if (action == 1) {
                        w.retire();
                    } else {
                        w.abandon(action == 2, new ModelException("churn", w.name(), "abandoned", null));
                        abandonedWithError.incrementAndGet();
                    }
                }
                LockSupport.parkNanos(rnd.nextInt(50_000, 300_000));
            }
        });
        chaos.start();

        List<List<CompletableFuture<Integer>>> futures = new ArrayList<>();
        List<Thread> producers = new ArrayList<>();
        for (int p = 0; p < PRODUCERS; p++) {
            List<CompletableFuture<Integer>> mine = new ArrayList<>(PER_PRODUCER);
            futures.add(mine);
            Thread t = new Thread(() -> {
                for (int i = 0; i < PER_PRODUCER; i++) {
                    mine.add(b.submit(i));
                    if ((i & 255) == 0) {
                        LockSupport.parkNanos(100_000);
                    }
                }
            });
            producers.add(t);
            t.start();
        }
        for (Thread t : producers) {
            t.join();
        }
        producing.set(false);
        chaos.join();
        add.get(); // at least one worker left to drain what waits

        int values = 0;
        int failed = 0;
        int overloaded = 0;
        for (List<CompletableFuture<Integer>> mine : futures) {
            for (int i = 0; i < mine.size(); i++) {
                try {
                    assertEquals(i + 1, mine.get(i).get(30, TimeUnit.SECONDS));
                    values++;
                } catch (java.util.concurrent.ExecutionException e) {
                    if (e.getCause() instanceof OverloadedException) {
                        overloaded++;
                    } else {
                        assertTrue(e.getCause() instanceof ModelException, () -> "unexpected " + e.getCause());
                        assertTrue(e.getCause().getMessage().contains("abandoned"), e.getCause().getMessage());
                        failed++;
                    }
                }
            }
        }
        assertEquals(PRODUCERS * PER_PRODUCER, values + failed + overloaded);
        assertTrue(values > 0);
        assertTrue(seen.get() >= values, "every value came from the function");
        assertEquals(0, b.queueDepth());
        b.close(Duration.ofSeconds(10));
        assertEquals(0, b.runningBatches());
        threads.forEach(ExecutorService::shutdownNow);
        assertTrue(abandonedWithError.get() > 0, "the churn abandoned workers");
    }
}
