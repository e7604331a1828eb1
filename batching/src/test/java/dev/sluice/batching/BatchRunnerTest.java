package dev.sluice.batching;

import static dev.sluice.batching.TestFutures.failureOfCompleted;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.batching.internal.BatchCostCurve;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** Running one batch and isolating its failures, driven directly on the test thread (no batcher, no threads). */
class BatchRunnerTest {
    private final ManualTicker ticker = new ManualTicker();
    private final List<List<Integer>> calls = new CopyOnWriteArrayList<>();
    private final AtomicInteger observedCalls = new AtomicInteger();
    private final AtomicInteger observedFailures = new AtomicInteger();
    private final List<long[]> learned = new ArrayList<>();
    private final BatchCostCurve curve = new BatchCostCurve(8);
    private final BatchObserver counting = new BatchObserver() {
        @Override
        public void onBatch(String batcher, int size, long[] waits, long nanos, Throwable failure) {
            observedCalls.incrementAndGet();
            if (failure != null) {
                observedFailures.incrementAndGet();
            }
        }
    };
    private final BatchPolicy learning = new BatchPolicy() {
        @Override
        public long nanosToWait(State state) {
            return 0;
        }

        @Override
        public void onBatchExecuted(int size, long executionNanos) {
            learned.add(new long[] {size, executionNanos});
        }
    };
    private final IllegalStateException poison = new IllegalStateException("poison");
    /** Doubles each input; fails any call that holds 3. */
    private final BatchFunction<Integer, Integer> poisonedBy3 = in -> {
        calls.add(List.copyOf(in));
        if (in.contains(3)) {
            throw poison;
        }
        List<Integer> out = new ArrayList<>();
        in.forEach(x -> out.add(2 * x));
        return out;
    };

    private BatchRunner<Integer, Integer> runner(boolean isolate) {
        return new BatchRunner<>("runner", isolate, new GuardedObserver("runner", counting), learning, ticker, curve,
                new QueueDelayAdmission("runner", -1, curve, null));
    }

    /** A batch of claimed requests for {@code inputs}, given to a worker running {@code f}. */
    private Batch<Integer, Integer> batchOf(BatchFunction<Integer, Integer> f, Integer... inputs) {
        List<PendingRequest<Integer, Integer>> requests = new ArrayList<>();
        for (Integer x : inputs) {
            requests.add(claimed(x, Long.MAX_VALUE));
        }
        return new Batch<>(requests, new Lane<>(null, "w1", f, null));
    }

    private PendingRequest<Integer, Integer> claimed(Integer input, long deadline) {
        PendingRequest<Integer, Integer> r = new PendingRequest<>(null, input, ticker.read(), deadline,
                deadline == Long.MAX_VALUE ? null : Duration.ofMillis(1));
        assertTrue(r.transition(PendingRequest.CLAIMED));
        return r;
    }

    @Test
    void onePoisonedInputFailsAloneWithTheModelsErrorAndItsNeighboursSucceed() {
        Batch<Integer, Integer> batch = batchOf(poisonedBy3, 1, 2, 3, 4);

        runner(true).run(batch);

        assertEquals(2, batch.requests.get(0).join());
        assertEquals(4, batch.requests.get(1).join());
        ModelException e = assertInstanceOf(ModelException.class, failureOfCompleted(batch.requests.get(2)));
        assertSame(poison, e.getCause());
        assertEquals(8, batch.requests.get(3).join());
        assertEquals(List.of(List.of(1, 2, 3, 4), List.of(1, 2), List.of(3, 4), List.of(3), List.of(4)), calls,
                "split in halves down to the failing input");
        assertEquals(5, observedCalls.get(), "the observer is told of every call, retries included");
        assertEquals(3, observedFailures.get());
        assertEquals(2, learned.size(), "the policy learns from the calls that returned");
        assertEquals(List.of(1L, 1L), curve.points().stream().map(CostCurve.Point::samples).toList(),
                "the cost curve records the same calls: 2 and 4 alone, nothing of the failed ones");
        assertEquals(1, curve.points().get(0).minSize());
    }

    @Test
    void withoutIsolationEveryInputFailsWithTheSameError() {
        Batch<Integer, Integer> batch = batchOf(poisonedBy3, 1, 3);

        runner(false).run(batch);

        Throwable first = failureOfCompleted(batch.requests.get(0));
        assertInstanceOf(ModelException.class, first);
        assertSame(poison, first.getCause());
        assertSame(first, failureOfCompleted(batch.requests.get(1)));
        assertEquals(1, calls.size());
        assertEquals(1, observedFailures.get());
    }

    @Test
    void anInvalidInputThrownAboutOneInputReachesItsCallerUnwrapped() {
        InvalidInputException bad = new InvalidInputException("3 is odd");
        Batch<Integer, Integer> batch = batchOf(in -> {
            if (in.contains(3)) {
                throw bad;
            }
            return in;
        }, 2, 3);

        runner(true).run(batch);

        assertEquals(2, batch.requests.get(0).join());
        assertSame(bad, failureOfCompleted(batch.requests.get(1)));
    }

    @Test
    void aWrongNumberOfOutputsFailsTheWholeCallSayingSo() {
        Batch<Integer, Integer> batch = batchOf(in -> List.of(1), 1, 2);

        runner(true).run(batch);

        ModelException e = assertInstanceOf(ModelException.class, failureOfCompleted(batch.requests.get(0)));
        assertTrue(e.getMessage().contains("1 outputs for 2 inputs"), e.getMessage());
        assertSame(e, failureOfCompleted(batch.requests.get(1)));
    }

    @Test
    void aRequestGivenUpBeforeTheCallIsLeftOutOfIt() {
        Batch<Integer, Integer> batch = batchOf(poisonedBy3, 1, 2);
        batch.requests.get(0).cancel(false);

        runner(true).run(batch);

        assertEquals(List.of(List.of(2)), calls);
        assertTrue(batch.requests.get(0).isCancelled());
        assertEquals(4, batch.requests.get(1).join());
    }

    @Test
    void aRequestWhoseDeadlinePassedAfterItWasClaimedFailsWithoutReachingTheFunction() {
        PendingRequest<Integer, Integer> late = claimed(1, ticker.read() + 1_000);
        List<PendingRequest<Integer, Integer>> requests = new ArrayList<>(List.of(late, claimed(2, Long.MAX_VALUE)));
        Batch<Integer, Integer> batch = new Batch<>(requests, new Lane<>(null, "w1", poisonedBy3, null));
        ticker.advance(Duration.ofNanos(1_000));

        runner(true).run(batch);

        assertInstanceOf(DeadlineExceededException.class, failureOfCompleted(late));
        assertEquals(List.of(List.of(2)), calls);
        assertEquals(4, requests.get(1).join());
    }

    @Test
    void aBatchAbandonedWhileItsCallRunsIsLeftToItsAbandoner() {
        List<Batch<Integer, Integer>> self = new ArrayList<>();
        Batch<Integer, Integer> batch = batchOf(in -> {
            self.get(0).markAbandoned(); // the runtime gave up on this worker meanwhile
            return in;
        }, 1, 2);
        self.add(batch);

        runner(true).run(batch);

        assertFalse(batch.requests.get(0).isDone(), "the abandoner owns its requests now");
        assertFalse(batch.requests.get(1).isDone());
        assertEquals(1, observedCalls.get(), "the call that ran is still told");
    }

    @Test
    void aFinishedRequestTellsItsQueueWaitBatchSizeAndWorker() {
        Batch<Integer, Integer> batch = batchOf(poisonedBy3, 1, 2);
        ticker.advance(Duration.ofMillis(5));

        runner(true).run(batch);

        assertEquals(new Dispatch(Duration.ofMillis(5).toNanos(), 2, "w1"), batch.requests.get(0).dispatch());
    }
}
