package dev.sluice.batching;

import dev.sluice.batching.internal.RequestOrigin;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The submitting side of a batcher: decides at once whether a request is admitted, publishes it to the
 * queue, and wakes the former only when the arrival matters to what it waits for (or, when the batcher is
 * idle, lets the submitting thread hand the batch to a worker itself).
 *
 * <p>Admission is bounded and never blocks: an atomic counter of queued requests, checked against the
 * capacity, so the capacity is exact; then, when the queue ahead is not empty, the wait it can expect
 * ({@link QueueDelayAdmission}). A refused request's future fails before {@code submit} returns: a
 * null input ({@link InvalidInputException}), a timeout that is not positive
 * ({@link DeadlineExceededException}), a closed batcher ({@link ShutdownException}), a full queue or too long
 * an expected wait ({@link OverloadedException}); the observer is told of all but the first.
 *
 * <p>Threading: any thread; the closed flag is written by {@link #close} and read by everyone.
 */
final class Admission<I, O> {
    /** What admission asks of the former: implemented by the batcher (a stress test records the calls). */
    interface Former {
        /** Wakes the former whatever it waits for. */
        void unparkFormer();

        /** Wakes the former if it is parked (a closing former waits for the last admission to be given back). */
        void unparkFormerIfParked();

        /** Hands the batch of an idle batcher to a worker on the submitting thread; false if the role is taken. */
        boolean dispatchOnArrival();
    }

    /** The batcher the requests belong to (null in a stress test, whose requests are never cancelled). */
    private final LateBindingBatcher<I, O> owner;
    private final Former former;
    private final String name;
    private final int capacity;
    private final int maxBatchSize;
    /** Requests admitted and still QUEUED (plus, transiently, producers between admission and publish). */
    private final AtomicInteger queued;
    private final RequestQueue<I, O> queue;
    private final PublishParkFence fence;
    private final Workers<I, O> workers;
    private final QueueDelayAdmission delay;
    private final GuardedObserver observer;
    private final Ticker ticker;
    /** Whether every worker's executor runs tasks on another thread, so a submitter may hand a batch off. */
    private final boolean handOffOnArrival;
    private volatile boolean closing;

    Admission(LateBindingBatcher<I, O> owner, Former former, String name, int capacity, int maxBatchSize, AtomicInteger queued,
            RequestQueue<I, O> queue, PublishParkFence fence, Workers<I, O> workers, QueueDelayAdmission delay,
            GuardedObserver observer, Ticker ticker, boolean handOffOnArrival) {
        this.owner = owner;
        this.former = former;
        this.name = name;
        this.capacity = capacity;
        this.maxBatchSize = maxBatchSize;
        this.queued = queued;
        this.queue = queue;
        this.fence = fence;
        this.workers = workers;
        this.delay = delay;
        this.observer = observer;
        this.ticker = ticker;
        this.handOffOnArrival = handOffOnArrival;
    }

    /** Admits one request ({@code timeout} null for none), or refuses it with a failed future. Never blocks. */
    CompletableFuture<O> submit(I input, Duration timeout) {
        if (input == null) {
            // Bad input fails its future, as every other refusal does (and as the runtime's submit does).
            return CompletableFuture.failedFuture(new InvalidInputException("'" + name + "': input must not be null"));
        }
        if (timeout != null && (timeout.isNegative() || timeout.isZero())) {
            return rejected(BatchObserver.Rejection.ALREADY_EXPIRED,
                    new DeadlineExceededException(name, timeout, "before it was submitted (timeout was not positive)"));
        }
        if (closing) {
            return rejected(BatchObserver.Rejection.SHUTDOWN, closedError());
        }
        int depth = queued.incrementAndGet();
        if (depth > capacity) {
            release();
            return rejected(BatchObserver.Rejection.OVERLOADED, new OverloadedException(name, capacity));
        }
        // Re-checked after admission: close() waits for `queued` to reach zero, so a producer that passed
        // this check is always drained.
        if (closing) {
            release();
            return rejected(BatchObserver.Rejection.SHUTDOWN, closedError());
        }
        OverloadedException tooLong = delay.refusal(depth - 1, workers.live(),
                timeout == null ? Long.MAX_VALUE : saturatedNanos(timeout));
        if (tooLong != null) {
            release();
            return rejected(BatchObserver.Rejection.QUEUE_DELAY, tooLong);
        }
        long now = ticker.read();
        long deadline = timeout == null ? Long.MAX_VALUE : saturatedAdd(now, timeout);
        PendingRequest<I, O> request = new PendingRequest<>(owner, input, now, RequestOrigin.originAt(now), deadline,
                timeout);
        if (!queue.publish(request)) {
            release();
            return rejected(BatchObserver.Rejection.OVERLOADED, new OverloadedException(name, capacity));
        }
        int state = fence.stateAfterPublish();
        if (state == PublishParkFence.AWAIT_ARRIVAL && handOffOnArrival && workers.free() > 0 && former.dispatchOnArrival()) {
            return request;
        }
        if (state != PublishParkFence.RUNNING && (state == PublishParkFence.AWAIT_ARRIVAL
                || (state == PublishParkFence.AWAIT_FULL_BATCH && depth >= maxBatchSize)
                || deadline < fence.wakeAt())) {
            former.unparkFormer();
        }
        return request;
    }

    /**
     * Gives back one admission from outside the former role (a refused producer, a cancel). A closing
     * former waits for {@code queued} to reach zero, so every such release must be able to wake it.
     */
    void release() {
        queued.decrementAndGet();
        if (closing) {
            former.unparkFormerIfParked();
        }
    }

    /**
     * From now on every submission is refused with {@link ShutdownException}. The handshake with producers:
     * a producer counts itself into {@code queued} and then reads the flag; the closer writes the flag and then
     * waits for {@code queued} to reach zero. Both are volatile, so a producer either sees the flag (and gives its
     * admission back, waking the closer) or the closer sees its count (and drains its request): never neither
     * ({@code AdmissionCloseStress} in batching-stress checks it).
     */
    void close() {
        closing = true;
    }

    boolean isClosed() {
        return closing;
    }

    private CompletableFuture<O> rejected(BatchObserver.Rejection reason, RuntimeException error) {
        observer.rejected(reason);
        return CompletableFuture.failedFuture(error);
    }

    private ShutdownException closedError() {
        return ShutdownException.refusal("'" + name + "' is closed and accepts no new requests");
    }

    private static long saturatedAdd(long now, Duration timeout) {
        long sum = now + saturatedNanos(timeout);
        return sum < now ? Long.MAX_VALUE : sum;
    }

    /** The (not negative) duration in nanoseconds, {@link Long#MAX_VALUE} for one too long to count (about 292 years). */
    static long saturatedNanos(Duration d) {
        try {
            return d.toNanos();
        } catch (ArithmeticException tooLong) {
            return Long.MAX_VALUE; // callers pass no negative duration
        }
    }
}
