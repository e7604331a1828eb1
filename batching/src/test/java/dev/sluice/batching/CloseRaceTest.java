package dev.sluice.batching;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Collectors;
import org.junit.jupiter.api.RepeatedTest;

/** Closing while producers are submitting loses nothing: every future ends, and close() returns. */
class CloseRaceTest {
    private static final int MAX_BEFORE_STOP = 50_000;

    @RepeatedTest(20)
    void closingDuringSubmissionEndsEveryFutureExactlyOnce() throws Exception {
        DynamicBatcher<Integer, Integer> b = DynamicBatcher.builder((List<Integer> in) -> in.stream()
                        .map(x -> x + 1).collect(Collectors.toList()))
                .name("race").maxBatchSize(16).queueCapacity(64).maxConcurrentBatches(2).build();
        int producers = 4;
        AtomicBoolean stop = new AtomicBoolean();
        List<List<CompletableFuture<Integer>>> all = new ArrayList<>();
        List<List<CompletableFuture<Integer>>> afterClose = new ArrayList<>();
        CountDownLatch started = new CountDownLatch(producers);
        List<Thread> threads = new ArrayList<>();
        for (int p = 0; p < producers; p++) {
            List<CompletableFuture<Integer>> mine = new ArrayList<>();
            List<CompletableFuture<Integer>> late = new ArrayList<>();
            all.add(mine);
            afterClose.add(late);
            Thread t = new Thread(() -> {
                started.countDown();
                for (int i = 0; !stop.get(); i++) {
                    if (i < MAX_BEFORE_STOP) {
                        mine.add(b.submit(i));
                    } else {
                        // Bounded: four unbounded producers on two CPUs starve the closing thread and fill the
                        // heap with refused futures (a CI run once spent a minute in GC that way).
                        LockSupport.parkNanos(100_000);
                    }
                }
                for (int i = 0; i < 25; i++) {
                    late.add(b.submit(i));
                }
            });
            threads.add(t);
            t.start();
        }
        started.await();
        Thread.sleep(2);
        b.close(Duration.ofSeconds(20));
        stop.set(true);
        for (Thread t : threads) {
            t.join(10_000);
        }
        int values = 0;
        int shutdowns = 0;
        int overloads = 0;
        for (List<CompletableFuture<Integer>> mine : all) {
            for (int i = 0; i < mine.size(); i++) {
                CompletableFuture<Integer> f = mine.get(i);
                assertTrue(f.isDone(), "every future is done once close() returned and submitters stopped");
                // handle() sees the failure itself: get() would build an ExecutionException (with a stack
                // trace) for each of up to 200k refused futures, which made this loop take seconds.
                Throwable failure = f.handle((v, t) -> t).join();
                if (failure == null) {
                    assertEquals(i + 1, f.join());
                    values++;
                } else if (failure instanceof OverloadedException) {
                    overloads++;
                } else {
                    assertInstanceOf(ShutdownException.class, failure);
                    assertTrue(failure.getMessage().contains("accepts no new requests"),
                            "only refusals at admission, nothing failed by the grace period: " + failure);
                    shutdowns++;
                }
            }
        }
        for (List<CompletableFuture<Integer>> late : afterClose) {
            for (CompletableFuture<Integer> f : late) {
                assertTrue(f.isDone(), "refused before submit returned");
                ExecutionException e = org.junit.jupiter.api.Assertions.assertThrows(ExecutionException.class, f::get);
                assertInstanceOf(ShutdownException.class, e.getCause());
            }
        }
        assertTrue(values + overloads + shutdowns > 0);
        for (Thread t : DynamicBatcherTest.threadsNamed("sluice-race-")) {
            t.join(TimeUnit.SECONDS.toMillis(5));
        }
        assertEquals(List.of(), DynamicBatcherTest.threadsNamed("sluice-race-"));
    }
}
