package dev.sluice;

import static dev.sluice.Fixtures.cpus;
import static dev.sluice.batching.Eventually.eventually;
import static dev.sluice.batching.TestFutures.failureOfCompleted;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.batching.ManualTicker;
import dev.sluice.batching.OverloadedException;
import dev.sluice.batching.QueueDelayStatus;
import dev.sluice.pipeline.Pipeline;
import dev.sluice.pipeline.Ref;
import dev.sluice.pipeline.Result;
import dev.sluice.pipeline.Task;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A deployment refuses a request that its queue would keep waiting too long (its batcher's admission by expected
 * queue delay), but never a pipeline's step. On a manual ticker: each model call takes 100 ms of it, one input per
 * batch, one replica; so a request waits 100 ms per request queued ahead of it, and the default bound is 1.6 s
 * (16 such batches, over the one-second floor).
 */
class DeploymentQueueDelayTest {
    private final ManualTicker ticker = new ManualTicker();
    private final Sluice sluice = Sluice.builder().resources(cpus(2)).ticker(ticker).build();
    private final Semaphore started = new Semaphore(0);
    private volatile CountDownLatch gate = new CountDownLatch(0);

    @AfterEach
    void close() {
        gate.countDown();
        sluice.close();
    }

    private DeploymentHandle<Integer, Integer> deploy() throws Exception {
        DeploymentHandle<Integer, Integer> h = sluice.deploy(Deployment.<Integer, Integer>builder("scorer", ctx -> batch -> {
            started.release();
            gate.await();
            ticker.advance(Duration.ofMillis(100));
            return batch.stream().map(x -> 2 * x).toList();
        }).batching(b -> b.maxBatchSize(1).maxDelay(Duration.ZERO)).build());
        h.awaitReady(Duration.ofSeconds(10));
        assertEquals(0, h.submit(0).get(10, TimeUnit.SECONDS)); // measured twice: trusted
        assertEquals(0, h.submit(0).get(10, TimeUnit.SECONDS));
        return h;
    }

    /** Holds the replica in a call and queues {@code n} requests behind it, all admitted. */
    private List<CompletableFuture<Integer>> queue(DeploymentHandle<Integer, Integer> h, int n) throws Exception {
        started.drainPermits();
        gate = new CountDownLatch(1);
        List<CompletableFuture<Integer>> admitted = new ArrayList<>(List.of(h.submit(-1)));
        assertTrue(started.tryAcquire(10, TimeUnit.SECONDS), "the model was not called");
        for (int i = 1; i <= n; i++) {
            admitted.add(h.submit(i));
        }
        admitted.forEach(f -> assertFalse(f.isDone(), "admitted"));
        return admitted;
    }

    @Test
    void aRequestTheQueueWouldKeepPastTheBoundIsRefusedAtOnceAndTheStatusSaysSo() throws Exception {
        DeploymentHandle<Integer, Integer> h = deploy();
        List<CompletableFuture<Integer>> admitted = queue(h, 17);

        OverloadedException e = assertInstanceOf(OverloadedException.class, failureOfCompleted(h.submit(99)));

        assertEquals(OverloadedException.Limit.QUEUE_DELAY, e.limit());
        assertEquals("scorer", e.source());
        assertEquals(Duration.ofMillis(100), e.retryAfter());
        QueueDelayStatus status = h.status().queueDelay();
        assertEquals(new QueueDelayStatus(true, 1_600_000_000, 1_700_000_000, 1), status);
        assertTrue(h.status().toString().contains("queue delay bound 1600.0 ms, expected wait 1700.0 ms, refused 1"),
                h.status().toString());
        gate.countDown();
        for (CompletableFuture<Integer> f : admitted) {
            f.get(10, TimeUnit.SECONDS);
        }
    }

    @Test
    void aPipelinesStepsAreNeverRefusedForTheirWait() throws Exception {
        DeploymentHandle<Integer, Integer> h = deploy();
        List<CompletableFuture<Integer>> admitted = queue(h, 17); // at the bound
        Pipeline.Builder<Integer> b = Pipeline.<Integer>builder("p").unboundedLatency();
        Ref<Integer> out = b.step("score").run(Task.call(h), b.input());
        Pipeline<Integer, Integer> p = b.build(out);

        List<CompletableFuture<Result<Integer>>> runs = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            runs.add(p.submit(100 + i));
        }
        eventually("the steps queued", () -> h.status().queueDepth() == 27);
        OverloadedException plain = assertInstanceOf(OverloadedException.class, failureOfCompleted(h.submit(1)));

        assertEquals(OverloadedException.Limit.QUEUE_DELAY, plain.limit());
        assertEquals(1, h.status().queueDelay().refused(), "only the plain request");
        gate.countDown();
        for (int i = 0; i < 10; i++) {
            assertEquals(2 * (100 + i), runs.get(i).get(10, TimeUnit.SECONDS).value());
        }
        for (CompletableFuture<Integer> f : admitted) {
            f.get(10, TimeUnit.SECONDS);
        }
    }
}
