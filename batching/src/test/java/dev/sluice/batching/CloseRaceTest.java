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
import java.util.stream.Collectors;
import org.junit.jupiter.api.RepeatedTest;

/** Closing while producers are submitting loses nothing: every future ends, and close() returns. */
class CloseRaceTest {

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
                    mine.add(b.submit(i));
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
                try {
                    assertEquals(i + 1, f.get());
                    values++;
                } catch (ExecutionException e) {
                    if (e.getCause() instanceof OverloadedException) {
                        overloads++;
                    } else {
                        assertInstanceOf(ShutdownException.class, e.getCause());
                        assertTrue(e.getCause().getMessage().contains("accepts no new requests"),
                                "only refusals at admission, nothing failed by the grace period: " + e.getCause());
                        shutdowns++;
                    }
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
