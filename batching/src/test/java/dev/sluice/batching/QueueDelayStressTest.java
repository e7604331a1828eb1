package dev.sluice.batching;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.batching.internal.RequestOrigin;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Admission by expected queue delay under contention, with the bound tight (0.2 ms, against calls of at least
 * 0.1 ms): 4 producers x 25,000 requests against one batcher of two workers, some with short deadlines (~20%),
 * some cancelled by their producer (~5%), some submitted as a pipeline's admitted steps (~5%). Then exact
 * bookkeeping: every future ends exactly once (a value, {@link OverloadedException} for a full queue or for its
 * expected wait, {@link DeadlineExceededException}, or cancelled); the function saw exactly the requests that got
 * a value (and perhaps some cancelled after dispatch); the observer and {@link DynamicBatcher#queueDelay()} count
 * the refusals the futures show; and no request a pipeline admitted was refused for its wait.
 */
class QueueDelayStressTest {
    private static final int PRODUCERS = 4;
    private static final int PER_PRODUCER = 25_000;
    private static final int TOTAL = PRODUCERS * PER_PRODUCER;
    /** Most requests a producer has outstanding: the windows together (256) reach the queue capacity. */
    private static final int WINDOW = 64;

    private static final int VALUE = 1;
    private static final int FULL = 2;
    private static final int TOO_LONG = 3;
    private static final int EXPIRED = 4;
    private static final int CANCELLED = 5;
    private static final int UNEXPECTED = 6;

    private final AtomicIntegerArray completions = new AtomicIntegerArray(TOTAL);
    private final AtomicIntegerArray outcome = new AtomicIntegerArray(TOTAL);
    private final AtomicIntegerArray seen = new AtomicIntegerArray(TOTAL);
    private final boolean[] admittedUpstream = new boolean[TOTAL];
    private final AtomicInteger completed = new AtomicInteger();
    private final LongAdder toldQueueDelay = new LongAdder();
    private final LongAdder toldFull = new LongAdder();
    private final ConcurrentLinkedQueue<Throwable> unexpected = new ConcurrentLinkedQueue<>();

    @Test
    @Timeout(120)
    void everyRequestEndsExactlyOnceWithTheBoundTight() throws Exception {
        BatchFunction<Integer, Integer> function = batch -> {
            LockSupport.parkNanos(100_000); // the model's work: a fixed cost per call, so batches fill
            for (Integer id : batch) {
                seen.incrementAndGet(id);
            }
            return batch;
        };
        DynamicBatcher<Integer, Integer> batcher = DynamicBatcher.builder(function).name("stressed")
                .maxBatchSize(16).maxConcurrentBatches(2).queueCapacity(PRODUCERS * WINDOW)
                .maxQueueDelay(Duration.ofNanos(200_000)).observer(new BatchObserver() {
                    @Override
                    public void onRejected(String b, Rejection reason) {
                        if (reason == Rejection.QUEUE_DELAY) {
                            toldQueueDelay.increment();
                        } else if (reason == Rejection.OVERLOADED) {
                            toldFull.increment();
                        }
                    }
                }).build();
        try {
            AtomicReference<Throwable> failure = new AtomicReference<>();
            List<Thread> producers = new ArrayList<>();
            for (int p = 0; p < PRODUCERS; p++) {
                int producer = p;
                Thread t = new Thread(() -> {
                    try {
                        produce(batcher, producer, new SplittableRandom(42 + producer));
                    } catch (Throwable e) {
                        failure.compareAndSet(null, e);
                    }
                }, "queue-delay-producer-" + p);
                t.setDaemon(true);
                producers.add(t);
                t.start();
            }
            for (Thread t : producers) {
                t.join(TimeUnit.SECONDS.toMillis(60));
                assertTrue(!t.isAlive(), t.getName() + " still running after 60 s");
            }
            if (failure.get() != null) {
                throw new AssertionError("a producer failed", failure.get());
            }
            long by = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (completed.get() < TOTAL && System.nanoTime() < by) {
                Thread.sleep(1);
            }
            assertEquals(TOTAL, completed.get(), "futures ended");
        } finally {
            batcher.close(Duration.ofSeconds(5));
        }

        int[] counts = new int[UNEXPECTED + 1];
        List<String> wrong = new ArrayList<>();
        for (int id = 0; id < TOTAL; id++) {
            int o = outcome.get(id);
            counts[o]++;
            if (completions.get(id) != 1) {
                wrong.add(id + " ended " + completions.get(id) + " times");
            }
            int s = seen.get(id);
            if (o == VALUE ? s != 1 : o == CANCELLED ? s > 1 : s != 0) {
                wrong.add(id + " (outcome " + o + ") seen by the function " + s + " times");
            }
            if (o == TOO_LONG && admittedUpstream[id]) {
                wrong.add(id + " was admitted by a pipeline, yet refused for its wait");
            }
        }
        String summary = String.format("value %d, queue full %d, wait too long %d, expired %d, cancelled %d, unexpected %d; %s",
                counts[VALUE], counts[FULL], counts[TOO_LONG], counts[EXPIRED], counts[CANCELLED], counts[UNEXPECTED],
                batcher.costCurve());
        assertTrue(unexpected.isEmpty(), () -> "unexpected outcomes: " + unexpected.peek() + "; " + summary);
        assertTrue(wrong.isEmpty(), () -> wrong.size() + " wrong, e.g. " + wrong.subList(0, Math.min(10, wrong.size()))
                + "; " + summary);
        assertEquals(counts[TOO_LONG], toldQueueDelay.sum(), "onRejected(QUEUE_DELAY); " + summary);
        assertEquals(counts[FULL], toldFull.sum(), "onRejected(OVERLOADED); " + summary);
        assertEquals(counts[TOO_LONG], batcher.queueDelay().refused(), "queueDelay().refused(); " + summary);
        assertTrue(counts[TOO_LONG] > 0, () -> "the bound never refused anything, so this test tested nothing: " + summary);
        assertTrue(counts[VALUE] > TOTAL / 4, () -> "most of the load is served: " + summary);
        System.out.println("QueueDelayStressTest: " + summary);
    }

    private void produce(DynamicBatcher<Integer, Integer> batcher, int producer, SplittableRandom rng) {
        List<CompletableFuture<Integer>> outstanding = new ArrayList<>();
        for (int i = 0; i < PER_PRODUCER; i++) {
            while (outstanding.size() >= WINDOW) {
                outstanding.removeIf(CompletableFuture::isDone);
                if (outstanding.size() >= WINDOW) {
                    LockSupport.parkNanos(50_000);
                }
            }
            int id = producer * PER_PRODUCER + i;
            double r = rng.nextDouble();
            Duration timeout = r < 0.2 ? Duration.ofNanos(50_000 + rng.nextLong(950_000)) : null;
            boolean upstream = rng.nextDouble() < 0.05;
            admittedUpstream[id] = upstream; // written before the future exists; read after every future ended
            CompletableFuture<Integer> f = upstream
                    ? RequestOrigin.submitAdmitted(0, () -> submit(batcher, id, timeout))
                    : submit(batcher, id, timeout);
            f.handle((v, t) -> {
                record(id, v, t);
                return null;
            });
            if (rng.nextDouble() < 0.05) {
                f.cancel(false);
            }
            if (f.isDone() && f.isCompletedExceptionally()) {
                LockSupport.parkNanos(20_000); // a polite client backs off when refused
            } else {
                outstanding.add(f);
            }
        }
    }

    private static CompletableFuture<Integer> submit(DynamicBatcher<Integer, Integer> b, int id, Duration timeout) {
        return timeout == null ? b.submit(id) : b.submit(id, timeout);
    }

    private void record(int id, Integer value, Throwable t) {
        Throwable cause = t instanceof CompletionException && t.getCause() != null ? t.getCause() : t;
        int o;
        if (cause == null) {
            o = value == id ? VALUE : UNEXPECTED;
        } else if (cause instanceof OverloadedException e) {
            o = e.limit() == OverloadedException.Limit.QUEUE_DELAY ? TOO_LONG
                    : e.limit() == OverloadedException.Limit.QUEUE_CAPACITY ? FULL : UNEXPECTED;
        } else if (cause instanceof DeadlineExceededException) {
            o = EXPIRED;
        } else if (cause instanceof CancellationException) {
            o = CANCELLED;
        } else {
            o = UNEXPECTED;
        }
        if (o == UNEXPECTED) {
            unexpected.add(cause == null ? new AssertionError("value " + value + " for " + id) : cause);
        }
        outcome.set(id, o);
        completions.incrementAndGet(id);
        completed.incrementAndGet();
    }
}
