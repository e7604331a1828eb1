package dev.sluice.batching;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.PriorityQueue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * The requests waiting for dispatch, as the holder of the former role sees them: taken from the ring in
 * arrival order, with a heap of their deadlines, and with the requests of abandoned workers put back at the
 * head. Batches are claimed from here, and requests whose deadline passed expire here.
 *
 * <p>A request may leave the queue behind its back (cancelled by its caller, failed by a forced close):
 * its state says so, and such requests are skipped and dropped lazily.
 *
 * <p>Threading: {@link #publish} and {@link #requeue} from any thread; everything else only by the holder
 * of the former role.
 */
final class RequestQueue<I, O> {
    private final String name;
    private final int capacity;
    private final int maxBatchSize;
    /** Requests admitted and still QUEUED (plus, transiently, producers between admission and publish). */
    private final AtomicInteger queued;
    private final Workers<I, O> workers;
    private final GuardedObserver observer;
    private final Ticker ticker;
    private final RequestRing<I, O> ring;
    private final ArrivalRate arrivals = new ArrivalRate();
    /** Requests of abandoned workers going back to the head of the queue; the former role moves them. */
    private final ConcurrentLinkedQueue<PendingRequest<I, O>> requeued = new ConcurrentLinkedQueue<>();

    // Former role only.
    private final ArrayDeque<PendingRequest<I, O>> waiting = new ArrayDeque<>();
    private final PriorityQueue<PendingRequest<I, O>> deadlines =
            new PriorityQueue<>(Comparator.comparingLong((PendingRequest<I, O> r) -> r.deadline));

    RequestQueue(String name, int capacity, int maxBatchSize, AtomicInteger queued, Workers<I, O> workers,
            GuardedObserver observer, Ticker ticker) {
        this.name = name;
        this.capacity = capacity;
        this.maxBatchSize = maxBatchSize;
        this.queued = queued;
        this.workers = workers;
        this.observer = observer;
        this.ticker = ticker;
        this.ring = new RequestRing<>(capacity, this::arrived);
    }

    /** Any thread: publishes an admitted request; false if the ring has no free slot. Never blocks. */
    boolean publish(PendingRequest<I, O> request) {
        return ring.publish(request);
    }

    /** Any thread: puts a request of an abandoned worker back, to reach the head of the queue on the next drain. */
    void requeue(PendingRequest<I, O> request, RuntimeException cause) {
        request.requeue(cause);
        queued.incrementAndGet();
        requeued.offer(request);
    }

    ArrivalRate arrivals() {
        return arrivals;
    }

    /** Moves requeued and newly published requests into the queue; returns how many. */
    int drain() {
        int before = waiting.size();
        if (!requeued.isEmpty()) {
            List<PendingRequest<I, O>> back = new ArrayList<>();
            PendingRequest<I, O> r;
            while ((r = requeued.poll()) != null) {
                back.add(r);
            }
            for (int i = back.size() - 1; i >= 0; i--) { // to the head, in their original order
                r = back.get(i);
                if (r.isQueued()) {
                    waiting.addFirst(r);
                    if (r.deadline != Long.MAX_VALUE) {
                        deadlines.add(r);
                    }
                }
            }
        }
        ring.poll();
        if (waiting.size() > 2 * capacity + 64) {
            waiting.removeIf(r -> !r.isQueued());
        }
        return waiting.size() - before;
    }

    private void arrived(PendingRequest<I, O> request) {
        arrivals.arrived(request.enqueuedAt);
        if (!request.isQueued()) {
            return;
        }
        waiting.addLast(request);
        if (request.deadline != Long.MAX_VALUE) {
            deadlines.add(request);
            if (deadlines.size() > 2 * capacity + 64) {
                deadlines.removeIf(r -> !r.isQueued());
            }
        }
    }

    /** The oldest request still waiting, or null; drops the ones ahead of it that left. */
    PendingRequest<I, O> firstLive() {
        PendingRequest<I, O> head;
        while ((head = waiting.peekFirst()) != null && !head.isQueued()) {
            waiting.pollFirst();
        }
        return head;
    }

    /** The earliest deadline in the heap (possibly of a request that has left), or {@link Long#MAX_VALUE}. */
    long earliestDeadline() {
        PendingRequest<I, O> soonest = deadlines.peek();
        return soonest == null ? Long.MAX_VALUE : soonest.deadline;
    }

    /** Whether a waiting request's deadline is at or before {@code now}; drops left requests from the heap. */
    boolean expiryDue(long now) {
        PendingRequest<I, O> soonest;
        while ((soonest = deadlines.peek()) != null && !soonest.isQueued()) {
            deadlines.poll();
        }
        return soonest != null && soonest.deadline <= now;
    }

    /** Expires every waiting request whose deadline is at or before {@code now}. */
    void expireDue(long now) {
        PendingRequest<I, O> r;
        while ((r = deadlines.peek()) != null) {
            if (!r.isQueued()) {
                deadlines.poll();
            } else if (r.deadline <= now) {
                deadlines.poll();
                expire(r, now);
            } else {
                return;
            }
        }
    }

    private void expire(PendingRequest<I, O> r, long now) {
        if (r.transition(PendingRequest.EXPIRED)) {
            queued.decrementAndGet();
            long waited = now - r.enqueuedAt;
            if (r.retryCause != null) {
                // It reached a model once, whose worker was lost: its deadline passed while it waited for a retry.
                r.completeExceptionally(r.retryCause);
                observer.expired(waited);
                return;
            }
            r.completeExceptionally(new DeadlineExceededException(name, r.timeout,
                    "after " + TimeUnit.NANOSECONDS.toMillis(waited) + " ms in the queue, before dispatch ("
                            + workers.busy() + " of " + workers.live() + " workers busy)"));
            observer.expired(waited);
        }
    }

    /**
     * Claims up to {@code limit} live requests into {@code batch}, oldest first, checking deadlines against
     * the clock read now: the caller's own reading may be stale (expiring a thousand requests on a cold JVM
     * takes milliseconds). With {@code mayExpire} false (a submitting thread) it stops at the first expired
     * request and leaves it for the former, so no other caller's future completes on that thread.
     *
     * @return false if it stopped at an expired request
     */
    boolean claim(List<PendingRequest<I, O>> batch, boolean mayExpire, int limit) {
        try {
            return claimInto(batch, ticker.read(), mayExpire, Math.min(limit, maxBatchSize));
        } finally {
            if (!batch.isEmpty()) {
                queued.addAndGet(-batch.size()); // once per batch: the counter is contended by producers
            }
        }
    }

    private boolean claimInto(List<PendingRequest<I, O>> batch, long now, boolean mayExpire, int limit) {
        while (batch.size() < limit) {
            PendingRequest<I, O> r = waiting.pollFirst();
            if (r == null && drain() > 0) {
                r = waiting.pollFirst();
            }
            if (r == null) {
                break;
            }
            if (!r.isQueued()) {
                continue;
            }
            if (r.isDone()) {
                // Completed by its caller (complete(), orTimeout()...) while queued: treat as cancelled.
                if (r.transition(PendingRequest.CANCELLED)) {
                    queued.decrementAndGet();
                    observer.cancelled(ticker.read() - r.enqueuedAt);
                }
                continue;
            }
            if (r.deadline <= now) {
                if (!mayExpire) {
                    waiting.addFirst(r);
                    return false;
                }
                expire(r, now);
                continue;
            }
            if (r.transition(PendingRequest.CLAIMED)) {
                batch.add(r);
            }
        }
        return true;
    }

    /** Fails every request waiting now with {@code error} (requests still in the ring are not waiting yet). */
    void failWaiting(RuntimeException error) {
        PendingRequest<I, O> r;
        while ((r = waiting.pollFirst()) != null) {
            if (r.transition(PendingRequest.FAILED)) {
                queued.decrementAndGet();
                r.completeExceptionally(error);
            }
        }
    }

    /**
     * Fails everything queued with {@link ShutdownException}, {@code why} in its message; returns once
     * producers between admission and publish have published (they never block: microseconds at most).
     */
    void shutDown(String why) {
        while (true) {
            drain();
            PendingRequest<I, O> r;
            while ((r = waiting.pollFirst()) != null) {
                if (r.transition(PendingRequest.SHUT_DOWN)) {
                    queued.decrementAndGet();
                    r.completeExceptionally(new ShutdownException("'" + name + "' was closed: " + why));
                }
            }
            if (queued.get() <= 0) {
                return;
            }
            LockSupport.parkNanos(10_000);
        }
    }
}
