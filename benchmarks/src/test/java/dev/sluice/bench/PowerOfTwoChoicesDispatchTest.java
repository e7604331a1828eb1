package dev.sluice.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.Batching;
import dev.sluice.batching.BatchFunction;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class PowerOfTwoChoicesDispatchTest {

    @Test
    void everyRequestEndsWithItsOwnOutputAndNothingStaysOutstanding() throws Exception {
        List<BatchFunction<Integer, Integer>> replicas = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            replicas.add(batch -> batch);
        }
        try (PowerOfTwoChoicesDispatch<Integer, Integer> d = new PowerOfTwoChoicesDispatch<>(replicas,
                Batching.builder().maxBatchSize(8).build(), "test", 1)) {
            List<CompletableFuture<Integer>> fs = new ArrayList<>();
            for (int i = 0; i < 2_000; i++) {
                fs.add(d.submit(i));
            }
            for (int i = 0; i < fs.size(); i++) {
                assertEquals(i, fs.get(i).get(20, TimeUnit.SECONDS));
            }
            for (int r = 0; r < d.replicas(); r++) {
                awaitZero(d, r);
            }
        }
    }

    @Test
    void aStuckReplicaGetsOneRequestWhileTheOthersKeepUp() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        List<BatchFunction<Integer, Integer>> replicas = new ArrayList<>();
        replicas.add(batch -> {
            release.await();
            return batch;
        });
        for (int i = 1; i < 4; i++) {
            replicas.add(batch -> batch);
        }
        try (PowerOfTwoChoicesDispatch<Integer, Integer> d = new PowerOfTwoChoicesDispatch<>(replicas, Batching.defaults(), "stuck", 2)) {
            List<CompletableFuture<Integer>> stuck = new ArrayList<>();
            for (int i = 0; i < 500; i++) {
                CompletableFuture<Integer> f = d.submit(i);
                // Let the fast replicas finish (and count it) before the next request: only the stuck one is loaded.
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
                while (d.outstanding(1) + d.outstanding(2) + d.outstanding(3) > 0) {
                    assertTrue(System.nanoTime() < deadline, "a fast replica did not answer");
                    Thread.onSpinWait();
                }
                if (!f.isDone()) {
                    stuck.add(f);
                }
            }
            assertEquals(1, stuck.size(), "requests routed to the stuck replica");
            assertEquals(1, d.outstanding(0));
            assertFalse(stuck.get(0).isDone());
            release.countDown();
            stuck.get(0).get(20, TimeUnit.SECONDS);
            awaitZero(d, 0);
        }
    }

    @Test
    void eachReplicaGetsTheBatchingSettings() throws Exception {
        ConcurrentLinkedQueue<Integer> sizes = new ConcurrentLinkedQueue<>();
        CountDownLatch go = new CountDownLatch(1);
        List<BatchFunction<Integer, Integer>> replicas = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            replicas.add(batch -> {
                go.await();
                sizes.add(batch.size());
                return batch;
            });
        }
        try (PowerOfTwoChoicesDispatch<Integer, Integer> d = new PowerOfTwoChoicesDispatch<>(replicas,
                Batching.builder().maxBatchSize(3).maxDelay(Duration.ZERO).build(), "settings", 3)) {
            List<CompletableFuture<Integer>> fs = new ArrayList<>();
            for (int i = 0; i < 100; i++) {
                fs.add(d.submit(i));
            }
            go.countDown();
            for (CompletableFuture<Integer> f : fs) {
                f.get(20, TimeUnit.SECONDS);
            }
        }
        assertEquals(100, sizes.stream().mapToInt(Integer::intValue).sum());
        assertTrue(sizes.stream().allMatch(n -> n <= 3), "batch sizes " + sizes);
    }

    private static void awaitZero(PowerOfTwoChoicesDispatch<?, ?> d, int replica) throws InterruptedException {
        // The count drops in a dependent stage of the future, just after the caller may see it complete.
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (d.outstanding(replica) != 0) {
            assertTrue(System.nanoTime() < deadline, "replica " + replica + " still counts " + d.outstanding(replica));
            Thread.sleep(1);
        }
    }
}
