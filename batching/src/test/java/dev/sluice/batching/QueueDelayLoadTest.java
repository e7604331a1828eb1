package dev.sluice.batching;

import static dev.sluice.batching.Eventually.eventually;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.function.IntToLongFunction;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Loads below capacity are not refused for their expected queue delay: simulations on a manual ticker that only
 * the test moves. Each call of the function takes exactly the ticker time its cost gives a batch of its size (it
 * returns when the test has moved time that far); requests arrive at set ticker times; time moves in steps of
 * 0.1 ms, and only while the batcher has settled (a call running, or nothing to do), so every run is the same.
 */
class QueueDelayLoadTest {
    private static final long STEP = Duration.ofMillis(1).toNanos() / 10;
    private static final long MS = Duration.ofMillis(1).toNanos();

    private final ManualTicker time = new ManualTicker();
    private DynamicBatcher<Integer, Integer> batcher;

    /** Calls that wait for the test to move time by their cost, then return their inputs. */
    private final class PacedFunction implements BatchFunction<Integer, Integer> {
        final IntToLongFunction cost;
        final AtomicInteger entered = new AtomicInteger();
        final AtomicInteger returned = new AtomicInteger();
        final Semaphore finish = new Semaphore(0);
        volatile long startedAt;
        volatile int size;

        PacedFunction(IntToLongFunction cost) {
            this.cost = cost;
        }

        boolean inCall() {
            return entered.get() > returned.get();
        }

        @Override
        public List<Integer> apply(List<Integer> batch) throws Exception {
            startedAt = time.read();
            size = batch.size();
            entered.incrementAndGet();
            finish.acquire();
            returned.incrementAndGet();
            return batch;
        }
    }

    @AfterEach
    void close() {
        if (batcher != null) {
            batcher.close(Duration.ofSeconds(5));
        }
    }

    /**
     * Runs requests arriving at {@code arrivals} (ticker offsets, ascending) through a batcher of one worker
     * whose calls cost {@code cost}, to the end; returns every future, each done.
     */
    private List<CompletableFuture<Integer>> simulate(long[] arrivals, IntToLongFunction cost,
            Consumer<DynamicBatcher.Builder<Integer, Integer>> config) throws Exception {
        PacedFunction fn = new PacedFunction(cost);
        DynamicBatcher.Builder<Integer, Integer> b = DynamicBatcher.builder(fn).name("simulated").ticker(time)
                .maxDelay(Duration.ZERO); // a policy's wait would need time to move while nothing has settled
        config.accept(b);
        batcher = b.build();
        long t0 = time.read();
        List<CompletableFuture<Integer>> futures = new ArrayList<>();
        int next = 0;
        while (true) {
            while (next < arrivals.length && t0 + arrivals[next] <= time.read()) {
                futures.add(batcher.submit(next++));
                settle(fn);
            }
            settle(fn);
            if (next == arrivals.length && !fn.inCall() && idle()) {
                return futures;
            }
            time.advance(Duration.ofNanos(STEP));
        }
    }

    private boolean idle() {
        return batcher.queueDepth() == 0 && batcher.runningBatches() == 0;
    }

    /** Lets the calls due now return, until the batcher is in a call that is not due, or has nothing to do. */
    private void settle(PacedFunction fn) throws InterruptedException {
        while (true) {
            eventually("the batcher settled (a call running, or nothing to do)", () -> fn.inCall() || idle());
            if (!fn.inCall() || time.read() - fn.startedAt < fn.cost.applyAsLong(fn.size)) {
                return;
            }
            int returnedBefore = fn.returned.get();
            fn.finish.release();
            eventually("the call returned", () -> fn.returned.get() > returnedBefore);
        }
    }

    private static long[] every(long periodNanos, int n) {
        long[] at = new long[n];
        for (int i = 0; i < n; i++) {
            at[i] = i * periodNanos;
        }
        return at;
    }

    private static long[] bursts(int size, long periodNanos, int n) {
        long[] at = new long[n];
        for (int i = 0; i < n; i++) {
            at[i] = (i / size) * periodNanos;
        }
        return at;
    }

    private static int refusedForTheirWait(List<CompletableFuture<Integer>> futures) throws InterruptedException {
        int refused = 0;
        for (CompletableFuture<Integer> f : futures) {
            try {
                f.get(10, TimeUnit.SECONDS);
            } catch (ExecutionException e) {
                if (e.getCause() instanceof OverloadedException o && o.limit() == OverloadedException.Limit.QUEUE_DELAY) {
                    refused++;
                } else {
                    throw new AssertionError("failed otherwise", e.getCause());
                }
            } catch (java.util.concurrent.TimeoutException e) {
                throw new AssertionError("a future never ended", e);
            }
        }
        return refused;
    }

    @Test
    void aSteadyLoadAtNinetyPercentOfCapacityIsNeverRefused() throws Exception {
        // 90 ms per input, batches of one: capacity one per 90 ms; one arrives every 100 ms.
        List<CompletableFuture<Integer>> futures = simulate(every(100 * MS, 300), n -> 90 * MS * n,
                c -> c.maxBatchSize(1));

        assertEquals(0, refusedForTheirWait(futures));
        assertEquals(Optional.of(Duration.ofMillis(1440)), batcher.queueDelay().maxQueueDelay(),
                "16 x 90 ms (over the one-second floor): measured and in force");
    }

    @Test
    void burstsAtNinetyPercentOfCapacityAreNeverRefused() throws Exception {
        // Ten at once every 100 ms, 9 ms each: the last of a burst has 8 queued ahead, 72 ms, under the bound
        // (16 x 9 ms is 144 ms, so the one-second floor).
        List<CompletableFuture<Integer>> futures = simulate(bursts(10, 100 * MS, 300), n -> 9 * MS * n,
                c -> c.maxBatchSize(1));

        assertEquals(0, refusedForTheirWait(futures));
        assertEquals(0, batcher.queueDelay().refused());
    }

    @Test
    void theSameBurstsAreRefusedUnderABoundTheyExceed() throws Exception {
        // With 40 ms, the 7th to 10th of each burst (5 to 8 ahead, 45 to 72 ms) are refused, once the first
        // burst has measured the function (its own requests are admitted: nothing was measured when they came).
        List<CompletableFuture<Integer>> futures = simulate(bursts(10, 100 * MS, 300), n -> 9 * MS * n,
                c -> c.maxBatchSize(1).maxQueueDelay(Duration.ofMillis(40)));

        assertEquals(29 * 4, refusedForTheirWait(futures));
        assertEquals(29 * 4, batcher.queueDelay().refused());
    }

    @Test
    void aSteadyLoadAtNinetyPercentOfAGpuLikeModelsCapacityIsNeverRefused() throws Exception {
        // A batch of n costs 2 ms + 1 ms x n: full batches of 8 serve 0.8 per ms; 0.72 per ms arrive.
        long period = Math.round(MS / 0.72);
        List<CompletableFuture<Integer>> futures = simulate(every(period, 1000), n -> 2 * MS + MS * n,
                c -> c.maxBatchSize(8));

        assertEquals(0, refusedForTheirWait(futures));
        assertTrue(batcher.queueDelay().maxQueueDelay().isPresent(), "measured and in force");
        assertTrue(batcher.costCurve().points().size() > 1, "batches grew: " + batcher.costCurve());
    }
}
