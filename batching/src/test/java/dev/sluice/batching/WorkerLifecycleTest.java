package dev.sluice.batching;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** Assigning, retiring and abandoning workers, driven on the test thread (no batcher, no threads). */
class WorkerLifecycleTest {
    private final ManualTicker ticker = new ManualTicker();
    private final AtomicInteger queued = new AtomicInteger();
    private final Workers<Integer, Integer> workers = new Workers<>();
    private final RequestQueue<Integer, Integer> queue = new RequestQueue<>("w", 16, 8, queued, workers,
            new GuardedObserver("w", BatchObserver.none()), ticker);
    private final AtomicInteger wakeUps = new AtomicInteger();
    private boolean forced;
    private final WorkerLifecycle<Integer, Integer> lifecycle = new WorkerLifecycle<>(workers, queue, () -> forced,
            wakeUps::incrementAndGet, wakeUps::incrementAndGet);
    private final RuntimeException lost = new IllegalStateException("hung");

    private Lane<Integer, Integer> busyWorker() {
        Lane<Integer, Integer> worker = new Lane<>(lifecycle, "w1", in -> in, Runnable::run);
        lifecycle.add(worker);
        assertSame(worker, workers.take());
        return worker;
    }

    private Batch<Integer, Integer> claimedBatch(Lane<Integer, Integer> worker, int... inputs) {
        List<PendingRequest<Integer, Integer>> requests = new ArrayList<>();
        for (int x : inputs) {
            PendingRequest<Integer, Integer> r = new PendingRequest<>(null, x, ticker.read(), Long.MAX_VALUE, null);
            assertTrue(r.transition(PendingRequest.CLAIMED));
            requests.add(r);
        }
        return new Batch<>(requests, worker);
    }

    @Test
    void abandoningABusyWorkerRequeuesTheRequestsItHadNotCompleted() {
        Lane<Integer, Integer> worker = busyWorker();
        Batch<Integer, Integer> batch = claimedBatch(worker, 1, 2);
        assertTrue(lifecycle.assign(worker, batch));
        batch.settle(List.of(batch.requests.get(0)));
        batch.requests.get(0).complete(2);

        assertEquals(1, worker.abandon(true, lost));

        assertTrue(batch.requests.get(1).isQueued());
        assertEquals(1, queued.get());
        assertEquals(0, workers.live());
        assertTrue(worker.retired.isDone());
        assertFalse(batch.settle(batch.requests), "the worker may no longer complete its batch");
    }

    @Test
    void aRequestRequeuedOnceFailsWithTheErrorWhenItsSecondWorkerIsAbandoned() {
        Lane<Integer, Integer> first = busyWorker();
        Batch<Integer, Integer> batch = claimedBatch(first, 1);
        lifecycle.assign(first, batch);
        first.abandon(true, lost);
        PendingRequest<Integer, Integer> r = batch.requests.get(0);
        assertTrue(r.transition(PendingRequest.CLAIMED)); // claimed again from the queue
        Lane<Integer, Integer> second = busyWorker();
        lifecycle.assign(second, new Batch<>(List.of(r), second));

        assertEquals(0, second.abandon(true, lost));

        assertSame(lost, r.handle((v, t) -> t).join(), "a request runs at most twice");
    }

    @Test
    void aBatchAssignedToAWorkerAbandonedMeanwhileIsAbandonedByTheAssigner() {
        Lane<Integer, Integer> worker = busyWorker();
        worker.abandon(false, lost);
        Batch<Integer, Integer> batch = claimedBatch(worker, 1);

        assertFalse(lifecycle.assign(worker, batch), "it must not run");

        assertTrue(batch.abandoned);
        assertSame(lost, batch.requests.get(0).handle((v, t) -> t).join());
    }

    @Test
    void onlyTheFirstAbandonDecidesHowTheRequestsEnd() {
        Lane<Integer, Integer> worker = busyWorker();
        Batch<Integer, Integer> batch = claimedBatch(worker, 1);
        lifecycle.assign(worker, batch);

        assertEquals(0, worker.abandon(false, lost));
        assertEquals(0, worker.abandon(true, new IllegalStateException("later")));

        assertSame(lost, batch.requests.get(0).handle((v, t) -> t).join());
    }

    @Test
    void retiringABusyWorkerWaitsForItsBatchToEnd() {
        Lane<Integer, Integer> worker = busyWorker();

        var retired = worker.retire();
        assertFalse(retired.isDone());
        workers.release(worker);

        assertTrue(retired.isDone());
        assertEquals(0, workers.live());
    }
}
