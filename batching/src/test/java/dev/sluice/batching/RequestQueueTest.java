package dev.sluice.batching;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The waiting requests as the former role sees them, driven on the test thread (no batcher, no threads). */
class RequestQueueTest {
    private final ManualTicker ticker = new ManualTicker();
    private final AtomicInteger queued = new AtomicInteger();
    private final AtomicInteger expired = new AtomicInteger();
    private final AtomicInteger cancelled = new AtomicInteger();
    private final RequestQueue<Integer, Integer> queue = new RequestQueue<>("q", 16, 3, queued, new Workers<>(),
            new GuardedObserver("q", new BatchObserver() {
                @Override
                public void onExpired(String batcher, long queuedNanos) {
                    expired.incrementAndGet();
                }

                @Override
                public void onCancelled(String batcher, long queuedNanos) {
                    cancelled.incrementAndGet();
                }
            }), ticker);

    /** Admits and publishes one request, as a producer does. */
    private PendingRequest<Integer, Integer> submit(int input, Duration timeout) {
        long now = ticker.read();
        PendingRequest<Integer, Integer> r = new PendingRequest<>(null, input, now,
                timeout == null ? Long.MAX_VALUE : now + timeout.toNanos(), timeout);
        queued.incrementAndGet();
        assertTrue(queue.publish(r));
        return r;
    }

    private List<Integer> claimInputs(boolean mayExpire) {
        List<PendingRequest<Integer, Integer>> batch = new ArrayList<>();
        queue.claim(batch, mayExpire, Integer.MAX_VALUE);
        List<Integer> inputs = new ArrayList<>();
        batch.forEach(r -> inputs.add(r.input));
        return inputs;
    }

    @Test
    void claimsTheOldestFirstUpToMaxBatchSize() {
        for (int i = 0; i < 5; i++) {
            submit(i, null);
        }
        assertEquals(List.of(0, 1, 2), claimInputs(true));
        assertEquals(2, queued.get(), "claimed requests no longer count as queued");
        assertEquals(List.of(3, 4), claimInputs(true));
    }

    @Test
    void claimsNoMoreThanTheLimitAskedForNorMoreThanMaxBatchSize() {
        for (int i = 0; i < 6; i++) {
            submit(i, null);
        }
        List<PendingRequest<Integer, Integer>> batch = new ArrayList<>();
        queue.claim(batch, true, 2);
        assertEquals(2, batch.size());
        batch.clear();
        queue.claim(batch, true, 1);
        assertEquals(1, batch.size());
        assertEquals(List.of(3, 4, 5), claimInputs(true), "a limit above maxBatchSize (3) claims maxBatchSize");
    }

    @Test
    void aCancelledRequestIsSkippedAndACompletedOneCountsAsCancelled() {
        PendingRequest<Integer, Integer> gone = submit(1, null);
        PendingRequest<Integer, Integer> completedByCaller = submit(2, null);
        submit(3, null);
        assertTrue(gone.transition(PendingRequest.CANCELLED)); // what cancel() does before telling the batcher
        queued.decrementAndGet();
        completedByCaller.complete(-2);

        assertEquals(List.of(3), claimInputs(true));
        assertEquals(1, cancelled.get(), "the batcher tells of the one it found completed");
        assertEquals(0, queued.get());
    }

    @Test
    void aRequestPastItsDeadlineExpiresWithDeadlineExceededAndIsNeverClaimed() {
        PendingRequest<Integer, Integer> late = submit(1, Duration.ofMillis(5));
        submit(2, null);
        ticker.advance(Duration.ofMillis(5));

        queue.drain();
        assertTrue(queue.expiryDue(ticker.read()));
        queue.expireDue(ticker.read());

        assertInstanceOf(DeadlineExceededException.class, late.handle((v, t) -> t).join());
        assertEquals(1, expired.get());
        assertEquals(List.of(2), claimInputs(true));
    }

    @Test
    void aSubmittingThreadStopsAtAnExpiredRequestAndLeavesItForTheFormer() {
        PendingRequest<Integer, Integer> late = submit(1, Duration.ofMillis(5));
        ticker.advance(Duration.ofMillis(5));

        List<PendingRequest<Integer, Integer>> batch = new ArrayList<>();
        assertFalse(queue.claim(batch, false, 3));

        assertTrue(batch.isEmpty());
        assertFalse(late.isDone(), "no other caller's future completes on a submitting thread");
        assertSame(late, queue.firstLive());
    }

    @Test
    void requeuedRequestsGoBackToTheHeadInTheirOrder() {
        PendingRequest<Integer, Integer> a = submit(1, null);
        PendingRequest<Integer, Integer> b = submit(2, null);
        submit(3, null);
        List<PendingRequest<Integer, Integer>> first = new ArrayList<>();
        queue.claim(first, true, 3);
        submit(4, null);
        RuntimeException lost = new IllegalStateException("worker lost");

        queue.requeue(a, lost);
        queue.requeue(b, lost);

        assertEquals(List.of(1, 2, 4), claimInputs(true));
        assertSame(lost, a.retryCause);
    }

    @Test
    void theArrivalRateFollowsTheGapsBetweenSubmissions() {
        submit(1, null);
        ticker.advance(Duration.ofMillis(2));
        submit(2, null);
        queue.drain();
        assertEquals(Duration.ofMillis(2).toNanos(), queue.arrivals().meanInterArrivalNanos());
    }
}
