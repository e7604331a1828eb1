package dev.sluice.examples.demo;

import dev.sluice.batching.BatchObserver;
import dev.sluice.batching.BatchPolicy;
import dev.sluice.batching.DynamicBatcher;
import dev.sluice.batching.ModelException;
import dev.sluice.batching.OverloadedException;
import dev.sluice.testing.FakeModel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Runs the dynamic batcher against a fake model that behaves like a GPU (a batch of 32 costs little more
 * than a batch of 1) and prints what happened: batches formed, their sizes, latencies, and how failures,
 * deadlines and overload were handled.
 */
public final class BatcherDemo {
    static final long FIXED_NANOS = TimeUnit.MICROSECONDS.toNanos(2000);
    static final long PER_ITEM_NANOS = TimeUnit.MICROSECONDS.toNanos(50);

    /** The fake model: scores a text by its length after a GPU-like delay; "poison" makes it throw. */
    static List<Integer> model(List<String> texts) {
        sleepNanos(FIXED_NANOS + PER_ITEM_NANOS * texts.size());
        List<Integer> scores = new ArrayList<>(texts.size());
        for (String t : texts) {
            if (t.equals("poison")) {
                throw new IllegalArgumentException("the model cannot score 'poison'");
            }
            scores.add(t.length());
        }
        return scores;
    }

    public static void main(String[] args) throws Exception {
        System.out.println("Sluice batcher demo: fake model costing 2 ms + 0.05 ms per item, maxBatchSize 32, "
                + "maxDelay 2 ms, one batch at a time\n");
        Map<Integer, AtomicInteger> sizes = new ConcurrentHashMap<>();
        AtomicLong batches = new AtomicLong();
        AtomicInteger expired = new AtomicInteger();
        BatchObserver observer = new BatchObserver() {
            @Override
            public void onBatch(String batcher, int size, long[] waits, long executionNanos, Throwable failure) {
                batches.incrementAndGet();
                sizes.computeIfAbsent(size, s -> new AtomicInteger()).incrementAndGet();
            }

            @Override
            public void onExpired(String batcher, long queuedNanos) {
                expired.incrementAndGet();
            }
        };
        try (DynamicBatcher<String, Integer> scorer = DynamicBatcher.builder(BatcherDemo::model)
                .name("scorer").maxBatchSize(32).maxDelay(Duration.ofMillis(2)).queueCapacity(1024)
                .policy(BatchPolicy.eager()).observer(observer).build()) {

            System.out.println("1) One caller, one request at a time (low load):");
            long[] lat = new long[50];
            for (int i = 0; i < lat.length; i++) {
                long t0 = System.nanoTime();
                scorer.submit("request-" + i).join();
                lat[i] = System.nanoTime() - t0;
            }
            report(lat, sizes, batches.get(), lat.length);

            System.out.println("\n2) 16 callers at once, 4000 requests (load above what unbatched calls could serve):");
            sizes.clear();
            batches.set(0);
            int callers = 16;
            int perCaller = 250;
            long[] lat2 = new long[callers * perCaller];
            CountDownLatch done = new CountDownLatch(callers);
            long start = System.nanoTime();
            for (int c = 0; c < callers; c++) {
                int caller = c;
                new Thread(() -> {
                    List<CompletableFuture<Integer>> window = new ArrayList<>();
                    for (int i = 0; i < perCaller; i++) {
                        int idx = caller * perCaller + i;
                        long t0 = System.nanoTime();
                        window.add(scorer.submit("text number " + idx)
                                .whenComplete((v, e) -> lat2[idx] = System.nanoTime() - t0));
                        if (window.size() == 8) {
                            window.forEach(CompletableFuture::join);
                            window.clear();
                        }
                    }
                    window.forEach(CompletableFuture::join);
                    done.countDown();
                }).start();
            }
            done.await();
            double seconds = (System.nanoTime() - start) / 1e9;
            report(lat2, sizes, batches.get(), lat2.length);
            double unbatched = 1e9 / (FIXED_NANOS + PER_ITEM_NANOS);
            System.out.printf("   throughput %.0f requests/s; one request per call could serve at most %.0f/s (%.1fx)%n",
                    lat2.length / seconds, unbatched, lat2.length / seconds / unbatched);

            System.out.println("\n3) One bad input among 15 good ones, submitted together:");
            List<String> inputs = new ArrayList<>();
            for (int i = 0; i < 15; i++) {
                inputs.add("fine-" + i);
            }
            inputs.add(7, "poison");
            CompletableFuture<Integer> blocker = scorer.submit("occupies the worker");
            List<CompletableFuture<Integer>> fs = new ArrayList<>();
            inputs.forEach(s -> fs.add(scorer.submit(s)));
            blocker.join();
            int ok = 0;
            for (int i = 0; i < fs.size(); i++) {
                try {
                    fs.get(i).join();
                    ok++;
                } catch (CompletionException e) {
                    ModelException me = (ModelException) e.getCause();
                    System.out.println("   input '" + inputs.get(i) + "' failed: " + me.getMessage());
                }
            }
            System.out.println("   " + ok + " of " + fs.size() + " succeeded: the batch was split and retried, "
                    + "so only the bad input failed");

            System.out.println("\n4) Deadlines and overload while the worker is busy:");
            expired.set(0);
            List<CompletableFuture<Integer>> flood = new ArrayList<>();
            for (int i = 0; i < 1200; i++) {
                flood.add(scorer.submit("flood-" + i, Duration.ofMillis(5)));
            }
            int full = 0;
            int tooLong = 0;
            int deadline = 0;
            int served = 0;
            for (CompletableFuture<Integer> f : flood) {
                try {
                    f.join();
                    served++;
                } catch (CompletionException e) {
                    if (e.getCause() instanceof OverloadedException o) {
                        if (o.limit() == OverloadedException.Limit.QUEUE_DELAY) {
                            tooLong++;
                        } else {
                            full++;
                        }
                    } else {
                        deadline++;
                    }
                }
            }
            System.out.printf("   1200 requests with a 5 ms deadline into a queue of 1024: %d served, refused at once %d "
                    + "(queue full) and %d (the queue ahead would have kept them past their deadline), %d expired "
                    + "before reaching the model (observer saw %d expiries)%n",
                    served, full, tooLong, deadline, expired.get());
        }
        System.out.println("\nClosed: every request above ended exactly once, with a value or a typed error.");
        System.out.println("\n" + "-".repeat(100) + "\n");
        RuntimeDemo.run();
        System.out.println("\n" + "-".repeat(100) + "\n");
        PipelineDemo.run();
    }

    private static void report(long[] latencies, Map<Integer, AtomicInteger> sizes, long batches, int requests) {
        long[] sorted = latencies.clone();
        Arrays.sort(sorted);
        Map<Integer, Integer> bySize = new TreeMap<>();
        sizes.forEach((s, n) -> bySize.put(s, n.get()));
        System.out.printf("   %d requests in %d batches (mean size %.1f); batch sizes -> count: %s%n",
                requests, batches, (double) requests / Math.max(1, batches), bySize);
        System.out.printf("   latency p50 %.2f ms, p99 %.2f ms, max %.2f ms%n",
                sorted[sorted.length / 2] / 1e6, sorted[(int) (sorted.length * 0.99)] / 1e6,
                sorted[sorted.length - 1] / 1e6);
    }

    private static void sleepNanos(long nanos) {
        FakeModel.sleepUntil(System.nanoTime() + nanos, 0);
    }

    private BatcherDemo() {}
}
