package dev.sluice.batching;

import com.lmax.disruptor.BusySpinWaitStrategy;
import com.lmax.disruptor.EventPoller;
import com.lmax.disruptor.InsufficientCapacityException;
import com.lmax.disruptor.RingBuffer;
import java.lang.invoke.VarHandle;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.PriorityQueue;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@link DynamicBatcher} implementation.
 *
 * <p>Producers publish into a multi-producer Disruptor ring and never block: admission is an atomic
 * counter of queued requests checked against the capacity, so the capacity is exact (the ring itself is
 * sized to a power of two above it). Forming batches is a role held by one thread at a time: whoever holds
 * it polls the ring (copying each slot's request out before its sequence is released), keeps the waiting
 * requests in arrival order, and claims a batch only for a free worker permit (late binding). The batch
 * former thread holds the role whenever it is awake and owns everything that needs waiting: policy waits
 * and the deadline timer. Two others take the role briefly when that saves a thread hand-off: a worker
 * that has just finished a batch forms its own next one (so under load batches follow each other on one
 * thread), and a submitting thread that finds the batcher idle hands its batch straight to a worker. The
 * former parks when there is nothing to do, so an idle batcher costs no CPU; it records what it waits
 * for, and producers and workers unpark it only when their event matters.
 */
final class LateBindingBatcher<I, O> implements WorkerBatcher<I, O> {
    private static final Logger LOG = LoggerFactory.getLogger(DynamicBatcher.class);
    /** The batcher whose batch this thread is running, so close() can tell it is called from inside. */
    private static final ThreadLocal<LateBindingBatcher<?, ?>> RUNNING_ON = new ThreadLocal<>();

    // formerState values
    private static final int RUNNING = 0;
    /** Parked with nothing to do, or with a free worker the policy wants to wait for company: any arrival counts. */
    private static final int AWAIT_ARRIVAL = 1;
    /** Parked waiting for a full batch (a fixed wait): only the arrival that completes a batch counts. */
    private static final int AWAIT_FULL_BATCH = 2;
    /** Parked with every worker busy: arrivals do not count, only a freed worker (or an earlier deadline). */
    private static final int AWAIT_WORKER = 3;

    private final String name;
    private final int maxBatchSize;
    private final long maxDelayNanos;
    private final int capacity;
    /** Built by {@link Builder#buildWithWorkers()}: workers are added and removed from outside. */
    private final boolean workerMode;
    /** Whether every worker's executor runs tasks on another thread, so a submitter may hand a batch off. */
    private final boolean handOffOnArrival;
    private final boolean isolateFailures;
    private final BatchObserver observer;
    private final BatchPolicy policy;
    private final Ticker ticker;
    /**
     * Set when the ticker is a {@link ManualTicker}: its time moves only when a test moves it, and each move
     * wakes the former, so the former waits for time without a timeout. Any other ticker is taken to move
     * at about the speed of real time, and the former sleeps the difference.
     */
    private final ManualTicker.Registration manualTicker;
    private final Duration closeGracePeriod;
    private final ExecutorService ownExecutor;

    private final RingBuffer<Slot<I, O>> ring;
    private final EventPoller<Slot<I, O>> poller;
    private final EventPoller.Handler<Slot<I, O>> copyOut = this::copyOut;

    /** Requests admitted and still QUEUED (plus, transiently, producers between admission and publish). */
    private final AtomicInteger queued = new AtomicInteger();
    private final Workers<I, O> workers = new Workers<>();
    private final Set<Batch<I, O>> running = ConcurrentHashMap.newKeySet();
    /** Requests of abandoned workers going back to the head of the queue; the former moves them. */
    private final ConcurrentLinkedQueue<PendingRequest<I, O>> requeued = new ConcurrentLinkedQueue<>();
    /** Set by {@link #failWaiting}; the former fails what waits with it and clears it. */
    private volatile RuntimeException failWaiting;

    /**
     * The former role: whoever holds it may poll the ring and touch the fields below marked "former role".
     * The former thread holds it except while parked; a worker that has just finished a batch takes it
     * briefly to form its own next batch, so under load batches follow each other on the same worker
     * without a hand-off (the former thread then sleeps, and wakes only for deadlines).
     */
    private final java.util.concurrent.atomic.AtomicBoolean formerRole = new java.util.concurrent.atomic.AtomicBoolean();
    private volatile boolean closing;
    private volatile boolean forced;
    /** What the parked former waits for, so producers wake it only when their arrival matters. */
    private volatile int formerState = RUNNING;
    /** Ticker time at which the parked former wakes by itself. */
    private volatile long formerWakeAt = Long.MAX_VALUE;
    private final Thread former;
    private final CountDownLatch terminated = new CountDownLatch(1);

    // Former role only (see formerRole).
    private final ArrayDeque<PendingRequest<I, O>> waiting = new ArrayDeque<>();
    private final PriorityQueue<PendingRequest<I, O>> deadlines =
            new PriorityQueue<>(Comparator.comparingLong((PendingRequest<I, O> r) -> r.deadline));
    private final PolicyView view = new PolicyView();
    private long lastArrival = Long.MIN_VALUE;
    private double meanInterArrival = -1;

    LateBindingBatcher(DynamicBatcher.Builder<I, O> b, boolean workerMode) {
        this.name = b.name;
        this.maxBatchSize = b.maxBatchSize;
        this.maxDelayNanos = b.maxDelay.toNanos();
        this.capacity = b.queueCapacity;
        this.workerMode = workerMode;
        this.isolateFailures = b.isolateFailures;
        this.observer = b.observer;
        this.policy = b.policy != null ? b.policy : BatchPolicy.eager();
        this.ticker = b.ticker;
        this.closeGracePeriod = b.closeGracePeriod;
        Executor executor = b.executor;
        if (workerMode || executor != null) {
            this.ownExecutor = null;
        } else {
            ThreadPoolExecutor pool = new ThreadPoolExecutor(b.maxConcurrentBatches, b.maxConcurrentBatches,
                    0, TimeUnit.MILLISECONDS, new LinkedBlockingQueue<>(), threads("sluice-" + name + "-worker-"));
            this.ownExecutor = pool;
            executor = pool;
        }
        this.handOffOnArrival = workerMode || ownExecutor != null;
        if (!workerMode) {
            for (int i = 0; i < b.maxConcurrentBatches; i++) {
                addIdle(new Lane<>(this, null, b.function, executor));
            }
        }
        // The former never waits on the ring's wait strategy (it polls and parks itself), so pick one whose
        // publish-side signal is free: the blocking strategies take a lock on every publish.
        this.ring = RingBuffer.createMultiProducer(Slot::new, ringSize(capacity), new BusySpinWaitStrategy());
        this.poller = ring.newPoller();
        ring.addGatingSequences(poller.getSequence());
        this.former = threads("sluice-" + name + "-former").newThread(this::runFormer);
        this.manualTicker = b.ticker instanceof ManualTicker manual ? manual.onAdvance(() -> LockSupport.unpark(former)) : null;
        former.start();
    }

    static int ringSize(int capacity) {
        // Twice the capacity: cancelled requests free capacity at once but their slots only when the
        // former next polls, so a ring of exactly the capacity could refuse an admissible request.
        int size = Integer.highestOneBit(Math.max(1, capacity - 1)) << 1;
        return size >= (1 << 30) ? size : size << 1;
    }

    // ---------------------------------------------------------------- submission (any thread)

    @Override
    public CompletableFuture<O> submit(I input) {
        return enqueue(input, null);
    }

    @Override
    public CompletableFuture<O> submit(I input, Duration timeout) {
        if (timeout == null) {
            throw new NullPointerException("timeout");
        }
        return enqueue(input, timeout);
    }

    private CompletableFuture<O> enqueue(I input, Duration timeout) {
        if (input == null) {
            throw new NullPointerException("input");
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
            releaseAdmission();
            return rejected(BatchObserver.Rejection.OVERLOADED, new OverloadedException(name, capacity));
        }
        // Re-checked after admission: close() waits for `queued` to reach zero, so a producer that passed
        // this check is always drained.
        if (closing) {
            releaseAdmission();
            return rejected(BatchObserver.Rejection.SHUTDOWN, closedError());
        }
        long now = ticker.read();
        long deadline = timeout == null ? Long.MAX_VALUE : saturatedAdd(now, timeout);
        PendingRequest<I, O> request = new PendingRequest<>(this, input, now, deadline, timeout);
        long sequence;
        try {
            sequence = ring.tryNext();
        } catch (InsufficientCapacityException e) {
            releaseAdmission();
            return rejected(BatchObserver.Rejection.OVERLOADED, new OverloadedException(name, capacity));
        }
        ring.get(sequence).request = request;
        ring.publish(sequence);
        // Pairs with the fence in park(): either the former sees this slot or we see it parked.
        VarHandle.fullFence();
        int state = formerState;
        if (state == AWAIT_ARRIVAL && handOffOnArrival && workers.free() > 0 && dispatchOnArrival()) {
            return request;
        }
        if (state != RUNNING && (state == AWAIT_ARRIVAL
                || (state == AWAIT_FULL_BATCH && depth >= maxBatchSize)
                || deadline < formerWakeAt)) {
            LockSupport.unpark(former);
        }
        return request;
    }

    private CompletableFuture<O> rejected(BatchObserver.Rejection reason, RuntimeException error) {
        try {
            observer.onRejected(name, reason);
        } catch (RuntimeException e) {
            observerFailed(e);
        }
        return CompletableFuture.failedFuture(error);
    }

    private ShutdownException closedError() {
        return ShutdownException.refusal("'" + name + "' is closed and accepts no new requests");
    }

    private static long saturatedAdd(long now, Duration timeout) {
        long nanos;
        try {
            nanos = timeout.toNanos();
        } catch (ArithmeticException tooLong) {
            return Long.MAX_VALUE;
        }
        long sum = now + nanos;
        return sum < now ? Long.MAX_VALUE : sum;
    }

    private void wakeFormer() {
        if (formerState != RUNNING) {
            LockSupport.unpark(former);
        }
    }

    /**
     * The batcher was idle (its former parked waiting for arrivals, a worker free): rather than wake the
     * former only for it to wake a worker, the submitting thread takes the former role for a moment and
     * hands the batch to a worker itself, which saves one thread wake-up per request at low load. It never
     * waits: if the role is taken it returns false and the former is woken as usual. Only with the
     * batcher's own threads, whose {@code execute} never runs the task on the caller.
     *
     * @return whether this thread took the role (and woke the former if anything was left for it)
     */
    private boolean dispatchOnArrival() {
        if (!formerRole.compareAndSet(false, true)) {
            return false;
        }
        boolean formerNeeded = closing;
        try {
            drain();
            long now = ticker.read();
            PendingRequest<I, O> soonest;
            while ((soonest = deadlines.peek()) != null && !soonest.isQueued()) {
                deadlines.poll();
            }
            // Expiring is the former's job: it must not complete other callers' futures on this thread.
            boolean expiriesDue = soonest != null && soonest.deadline <= now;
            formerNeeded |= expiriesDue;
            PendingRequest<I, O> oldest;
            while (!expiriesDue && workers.free() > 0 && (oldest = firstLive()) != null) {
                if (waitForCompany(now, oldest, closing, runningBatches()) > 0) {
                    formerNeeded = true; // a policy wait: timing it is the former's job
                    break;
                }
                if (!dispatch(false)) {
                    formerNeeded = true; // it met an expired request: expiring is the former's job
                    break;
                }
            }
            formerNeeded |= !deadlines.isEmpty() && deadlines.peek().deadline < formerWakeAt;
        } finally {
            formerRole.set(false);
        }
        if (formerNeeded) {
            LockSupport.unpark(former);
        }
        return true;
    }

    /** Called by {@link PendingRequest#cancel} when the cancel won the request before dispatch. */
    void cancelledBeforeDispatch(PendingRequest<I, O> request) {
        releaseAdmission();
        notifyCancelled(request);
    }

    /**
     * Gives back one admission from outside the former role (a refused producer, a cancel). A closing
     * former waits for {@code queued} to reach zero, so every such release must be able to wake it.
     */
    private void releaseAdmission() {
        queued.decrementAndGet();
        if (closing) {
            wakeFormer();
        }
    }

    // ---------------------------------------------------------------- the batch former (one thread)

    private void runFormer() {
        takeFormerRole();
        try {
            formerLoop();
        } catch (Throwable t) {
            LOG.error("Batch former of '{}' failed; failing its queued requests", name, t);
            closing = true;
            forced = true;
            failQueued("its batch former failed: " + t);
        } finally {
            formerRole.set(false);
            if (manualTicker != null) {
                manualTicker.close();
            }
            if (ownExecutor != null) {
                ownExecutor.shutdown();
            }
            terminated.countDown();
        }
    }

    private void formerLoop() {
        while (true) {
            drain();
            long now = ticker.read();
            expireDue(now);
            if (forced) {
                failQueued("the close grace period ran out before it was dispatched");
                return;
            }
            RuntimeException failure = failWaiting;
            if (failure != null) {
                failWaiting = null;
                PendingRequest<I, O> r;
                while ((r = waiting.pollFirst()) != null) {
                    if (r.transition(PendingRequest.FAILED)) {
                        queued.decrementAndGet();
                        r.completeExceptionally(failure);
                    }
                }
            }
            long wakeAt = Long.MAX_VALUE;
            int awaiting = AWAIT_ARRIVAL;
            int observedFree = workers.free();
            boolean observedClosing = closing;
            PendingRequest<I, O> oldest;
            while (observedFree > 0 && (oldest = firstLive()) != null) {
                long wait = waitForCompany(now, oldest, observedClosing, Math.max(0, workers.live() - observedFree));
                if (wait > 0) {
                    wakeAt = now + wait;
                    // A policy that waits for the whole of maxDelay only cares about a full batch; any other
                    // wait is re-decided on each arrival.
                    awaiting = wait >= maxDelayNanos - (now - oldest.enqueuedAt) ? AWAIT_FULL_BATCH : AWAIT_ARRIVAL;
                    break;
                }
                dispatch(true);
                observedFree = workers.free();
                drain();
                now = ticker.read();
            }
            if (observedClosing && queued.get() <= 0 && runningBatches() == 0 && firstLive() == null) {
                return;
            }
            if (observedFree == 0 && firstLive() != null) {
                awaiting = AWAIT_WORKER;
            }
            if (!deadlines.isEmpty()) {
                wakeAt = Math.min(wakeAt, deadlines.peek().deadline);
            }
            park(awaiting, wakeAt, observedFree, observedClosing);
        }
    }

    /** Blocks the former thread until it holds the role; workers hold it only for a few microseconds. */
    private void takeFormerRole() {
        while (!formerRole.compareAndSet(false, true)) {
            Thread.yield();
        }
    }

    /**
     * How long a free worker should wait for more requests before taking what waits (former role): 0 when
     * closing or a full batch waits, otherwise the policy's answer capped at what is left of maxDelay for the
     * oldest request. A policy that throws is logged and treated as "dispatch now".
     */
    private long waitForCompany(long now, PendingRequest<I, O> oldest, boolean closingNow, int otherRunning) {
        int depth = Math.max(1, queued.get());
        if (closingNow || depth >= maxBatchSize) {
            return 0;
        }
        long oldestWait = now - oldest.enqueuedAt;
        view.set(depth, oldestWait, otherRunning);
        long wait;
        try {
            wait = policy.nanosToWait(view);
        } catch (RuntimeException e) {
            LOG.warn("Batch policy {} of '{}' failed; dispatching at once", policy, name, e);
            return 0;
        }
        return Math.min(wait, maxDelayNanos - oldestWait);
    }

    private void park(int awaiting, long wakeAt, int observedFree, boolean observedClosing) {
        formerWakeAt = wakeAt;
        formerState = awaiting;
        VarHandle.fullFence();
        try {
            int arrived = drain();
            boolean arrivalsMatter = awaiting == AWAIT_ARRIVAL ? arrived > 0
                    : awaiting == AWAIT_FULL_BATCH && queued.get() >= maxBatchSize;
            boolean earlierDeadline = !deadlines.isEmpty() && deadlines.peek().deadline < wakeAt;
            if (arrivalsMatter || earlierDeadline || workers.free() != observedFree
                    || closing != observedClosing || forced || failWaiting != null) {
                return;
            }
            long now = ticker.read();
            formerRole.set(false);
            try {
                // A manual ticker's move unparks us (one made since `now` was read leaves the permit).
                if (wakeAt == Long.MAX_VALUE || (manualTicker != null && wakeAt > now)) {
                    LockSupport.park(this);
                } else if (wakeAt > now) {
                    LockSupport.parkNanos(this, wakeAt - now);
                }
            } finally {
                takeFormerRole();
            }
        } finally {
            formerState = RUNNING;
        }
    }

    /** Moves newly published requests into {@code waiting}; returns how many. */
    private int drain() {
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
        try {
            poller.poll(copyOut);
        } catch (Exception e) {
            throw new IllegalStateException("polling the ring of '" + name + "' failed", e);
        }
        if (waiting.size() > 2 * capacity + 64) {
            waiting.removeIf(r -> !r.isQueued());
        }
        return waiting.size() - before;
    }

    private boolean copyOut(Slot<I, O> slot, long sequence, boolean endOfBatch) {
        PendingRequest<I, O> request = slot.request;
        slot.request = null;
        if (request == null) {
            return true;
        }
        if (lastArrival != Long.MIN_VALUE) {
            long gap = Math.max(0, request.enqueuedAt - lastArrival);
            meanInterArrival = meanInterArrival < 0 ? gap : meanInterArrival + 0.05 * (gap - meanInterArrival);
        }
        lastArrival = Math.max(lastArrival, request.enqueuedAt);
        if (!request.isQueued()) {
            return true;
        }
        waiting.addLast(request);
        if (request.deadline != Long.MAX_VALUE) {
            deadlines.add(request);
            if (deadlines.size() > 2 * capacity + 64) {
                deadlines.removeIf(r -> !r.isQueued());
            }
        }
        return true;
    }

    private PendingRequest<I, O> firstLive() {
        PendingRequest<I, O> head;
        while ((head = waiting.peekFirst()) != null && !head.isQueued()) {
            waiting.pollFirst();
        }
        return head;
    }

    private void expireDue(long now) {
        PendingRequest<I, O> r;
        while ((r = deadlines.peek()) != null) {
            if (!r.isQueued()) {
                deadlines.poll();
            } else if (r.deadline <= now) {
                deadlines.poll();
                expireQueued(r, now);
            } else {
                return;
            }
        }
    }

    private void expireQueued(PendingRequest<I, O> r, long now) {
        if (r.transition(PendingRequest.EXPIRED)) {
            queued.decrementAndGet();
            long waited = now - r.enqueuedAt;
            if (r.retryCause != null) {
                // It reached a model once, whose worker was lost: its deadline passed while it waited for a retry.
                r.completeExceptionally(r.retryCause);
                notifyExpired(waited);
                return;
            }
            r.completeExceptionally(new DeadlineExceededException(name, r.timeout,
                    "after " + TimeUnit.NANOSECONDS.toMillis(waited) + " ms in the queue, before dispatch ("
                            + runningBatches() + " of " + workers.live() + " workers busy)"));
            notifyExpired(waited);
        }
    }

    /** Takes a free worker, claims up to maxBatchSize live requests, oldest first, and hands them to it. */
    private boolean dispatch(boolean mayExpire) {
        Lane<I, O> worker = workers.take();
        if (worker == null) {
            return true;
        }
        List<PendingRequest<I, O>> batch = new ArrayList<>(Math.min(maxBatchSize, Math.max(1, queued.get())));
        boolean clean = claimBatch(batch, mayExpire);
        if (batch.isEmpty()) {
            workers.release(worker);
            return clean;
        }
        Batch<I, O> work = new Batch<>(batch, worker);
        if (!assign(worker, work)) {
            return clean;
        }
        try {
            worker.executor.execute(() -> runBatch(work));
        } catch (RejectedExecutionException e) {
            running.remove(work);
            RuntimeException error = forced
                    ? new ShutdownException("'" + name + "' was closed before this request's batch could start")
                    : new ModelException(name, worker.name, "the executor rejected the batch", e);
            settle(work, batch);
            // The worker is given back (or, for an added worker, whose executor refusing work means it is
            // gone, retired) before the callers hear of it.
            if (workerMode) {
                worker.abandonment.compareAndSet(null, new Lane.Abandonment(false, error));
                retireNow(worker);
            } else {
                workers.release(worker);
            }
            for (PendingRequest<I, O> r : batch) {
                r.completeExceptionally(error);
            }
        }
        return clean;
    }

    /**
     * Makes {@code work} the worker's running batch. False if the worker was abandoned meanwhile: the batch
     * is then abandoned with it (its requests requeued or failed) and must not run.
     */
    private boolean assign(Lane<I, O> worker, Batch<I, O> work) {
        worker.current = work;
        running.add(work);
        // Pairs with abandon(): it sets the state, then reads `current`; one of the two sees the other.
        if (worker.state.get() == Lane.RETIRED) {
            abandonBatch(work);
            return false;
        }
        return true;
    }

    /**
     * Claims into {@code batch}, checking deadlines against the clock read now: the caller's own reading
     * may be stale (expiring a thousand requests on a cold JVM takes milliseconds). With
     * {@code mayExpire} false (a submitting thread) it stops at the first expired request and leaves it
     * for the former, so no other caller's future completes on that thread.
     *
     * @return false if it stopped at an expired request
     */
    private boolean claimBatch(List<PendingRequest<I, O>> batch, boolean mayExpire) {
        try {
            return claimInto(batch, ticker.read(), mayExpire);
        } finally {
            if (!batch.isEmpty()) {
                queued.addAndGet(-batch.size()); // once per batch: the counter is contended by producers
            }
        }
    }

    private boolean claimInto(List<PendingRequest<I, O>> batch, long now, boolean mayExpire) {
        while (batch.size() < maxBatchSize) {
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
                    notifyCancelled(r);
                }
                continue;
            }
            if (r.deadline <= now) {
                if (!mayExpire) {
                    waiting.addFirst(r);
                    return false;
                }
                expireQueued(r, now);
                continue;
            }
            if (r.transition(PendingRequest.CLAIMED)) {
                batch.add(r);
            }
        }
        return true;
    }

    private void failQueued(String why) {
        // Producers between admission and publish never block, so this ends once they have published.
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

    // ---------------------------------------------------------------- workers

    /**
     * A worker's task: runs the batch it was given, then, while it can take the former role and what waits
     * should go out now, forms and runs the next batch itself (staying busy); then becomes free (or retires).
     */
    private void runBatch(Batch<I, O> first) {
        Lane<I, O> worker = first.worker;
        Batch<I, O> work = first;
        LateBindingBatcher<?, ?> outer = RUNNING_ON.get();
        RUNNING_ON.set(this);
        try {
            while (work != null) {
                try {
                    execute(work, work.requests, false);
                } catch (Throwable t) {
                    LOG.error("Worker of '{}' failed unexpectedly", name, t);
                    ModelException error = new ModelException(name, worker.name, "the batcher's worker failed", t);
                    if (settle(work, work.requests)) {
                        for (PendingRequest<I, O> r : work.requests) {
                            r.completeExceptionally(error);
                        }
                    }
                } finally {
                    running.remove(work);
                }
                work = forced ? null : claimNextBatch(worker);
            }
        } finally {
            if (outer == null) {
                RUNNING_ON.remove();
            } else {
                RUNNING_ON.set(outer);
            }
            workers.release(worker);
            wakeFormer();
        }
    }

    /**
     * Forms the finishing worker's next batch, if it is not retiring, the former role is free and the
     * policy would dispatch now; otherwise returns null and leaves the decision to the former thread.
     */
    private Batch<I, O> claimNextBatch(Lane<I, O> worker) {
        if (worker.state.get() != Lane.BUSY || !formerRole.compareAndSet(false, true)) {
            return null;
        }
        try {
            drain();
            long now = ticker.read();
            expireDue(now);
            PendingRequest<I, O> oldest = firstLive();
            if (oldest == null) {
                return null;
            }
            // This worker is still busy, so the others running are one fewer than the busy count.
            if (waitForCompany(now, oldest, closing, Math.max(0, runningBatches() - 1)) > 0) {
                return null;
            }
            List<PendingRequest<I, O>> batch = new ArrayList<>(Math.min(maxBatchSize, Math.max(1, queued.get())));
            claimBatch(batch, true);
            if (batch.isEmpty()) {
                return null;
            }
            Batch<I, O> work = new Batch<>(batch, worker);
            return assign(worker, work) ? work : null;
        } finally {
            // The parked former sleeps until its own deadline estimate: wake it if this drain brought an earlier one.
            boolean earlier = !deadlines.isEmpty() && deadlines.peek().deadline < formerWakeAt;
            formerRole.set(false);
            if (earlier) {
                LockSupport.unpark(former);
            }
        }
    }

    // ---------------------------------------------------------------- worker lifecycle

    @Override
    public WorkerBatcher.Worker addWorker(String workerName, BatchFunction<I, O> function, Executor executor) {
        if (!workerMode) {
            throw new IllegalStateException("'" + name + "' runs its own workers; only a batcher built with "
                    + "buildWithWorkers() takes added ones");
        }
        java.util.Objects.requireNonNull(workerName, "workerName");
        java.util.Objects.requireNonNull(function, "function");
        java.util.Objects.requireNonNull(executor, "executor");
        if (terminated.getCount() == 0) {
            throw new IllegalStateException("'" + name + "' is closed");
        }
        Lane<I, O> worker = new Lane<>(this, workerName, function, executor);
        addIdle(worker);
        return worker;
    }

    @Override
    public int workers() {
        return workers.live();
    }

    @Override
    public void failWaiting(RuntimeException error) {
        failWaiting = java.util.Objects.requireNonNull(error, "error");
        LockSupport.unpark(former);
    }

    private void addIdle(Lane<I, O> worker) {
        workers.add(worker);
        wakeFormer();
    }

    CompletableFuture<Void> retire(Lane<I, O> worker) {
        if (workers.retire(worker)) {
            wakeFormer();
        }
        return worker.retired.copy();
    }

    int abandon(Lane<I, O> worker, boolean requeue, RuntimeException error) {
        java.util.Objects.requireNonNull(error, "error");
        if (!worker.abandonment.compareAndSet(null, new Lane.Abandonment(requeue, error))) {
            return 0;
        }
        return retireNow(worker);
    }

    /** Retires a worker at once; its running batch, if any, is abandoned as its abandonment says. */
    private int retireNow(Lane<I, O> worker) {
        int before = workers.retireNow(worker);
        int back = 0;
        if (before == Lane.BUSY || before == Lane.RETIRING) {
            Batch<I, O> work = worker.current;
            // Requeue before the worker stops counting: a closing former must see the requests before it
            // sees no batch running.
            back = work == null ? 0 : abandonBatch(work);
            workers.gone(worker);
        }
        LockSupport.unpark(former);
        return back;
    }

    /** Puts back or fails the requests of an abandoned worker's batch that it had not completed. Idempotent. */
    private int abandonBatch(Batch<I, O> work) {
        synchronized (work) {
            if (work.abandoned) {
                return 0;
            }
            work.abandoned = true;
        }
        running.remove(work);
        Lane.Abandonment how = work.worker.abandonment.get();
        int back = 0;
        for (PendingRequest<I, O> r : work.requests) {
            if (!r.isClaimed()) {
                continue; // completed by the worker before it was abandoned
            }
            if (how.requeue() && r.retryCause == null && !forced) {
                r.requeue(how.error());
                queued.incrementAndGet();
                requeued.offer(r);
                back++;
            } else {
                r.settle();
                r.completeExceptionally(how.error());
            }
        }
        return back;
    }

    /**
     * Marks the requests about to be completed as settled, unless the batch was abandoned (then its
     * requests belong to the queue again, or are already failed, and the worker must not touch them).
     */
    private static <I, O> boolean settle(Batch<I, O> work, List<PendingRequest<I, O>> requests) {
        synchronized (work) {
            if (work.abandoned) {
                return false;
            }
            for (PendingRequest<I, O> r : requests) {
                r.settle();
            }
            return true;
        }
    }

    /**
     * Runs the worker's function on the live requests of {@code requests} (all of {@code work}, or part of
     * it when isolating a failure); splits and retries on failure. Stops as soon as the batch is abandoned.
     */
    private void execute(Batch<I, O> work, List<PendingRequest<I, O>> requests, boolean retry) {
        if (work.abandoned) {
            return;
        }
        long now = ticker.read();
        int size = requests.size();
        // One pass: inputs and queue waits of the requests still to run; `live` stays the given list
        // (no copy) unless something is dropped.
        List<PendingRequest<I, O>> live = requests;
        List<I> inputs = new ArrayList<>(size);
        long[] queueWaits = new long[size];
        for (int i = 0; i < size; i++) {
            PendingRequest<I, O> r = requests.get(i);
            boolean expired = !retry && r.deadline <= now;
            if (r.isDone() || expired) {
                if (live == requests) {
                    live = new ArrayList<>(requests.subList(0, i));
                }
                // Done: cancelled after dispatch, or failed by a forced close. A retry is not a new
                // dispatch: the function saw the input in time, so its deadline no longer applies (and
                // DeadlineExceededException promises the function never saw it).
                if (!r.isDone() && settle(work, List.of(r))) {
                    r.completeExceptionally(r.retryCause != null ? r.retryCause
                            : new DeadlineExceededException(name, r.timeout,
                                    "after it was taken from the queue, before its batch started"));
                    notifyExpired(now - r.enqueuedAt);
                }
                continue;
            }
            if (live != requests) {
                live.add(r);
            }
            queueWaits[inputs.size()] = now - r.enqueuedAt;
            inputs.add(r.input);
            if (!retry) {
                r.batch = work; // the batch it first reached the function in, for DynamicBatcher.dispatchOf
            }
        }
        int n = inputs.size();
        if (n == 0) {
            return;
        }
        if (n < size) {
            queueWaits = java.util.Arrays.copyOf(queueWaits, n);
        }
        List<O> outputs = null;
        Throwable failure = null;
        long start = ticker.read();
        if (!retry) {
            work.startedAt = start;
            work.size = n;
        }
        BatchCall call = new BatchCall(live);
        BatchCall outer = call.enter();
        try {
            outputs = work.worker.function.apply(Collections.unmodifiableList(inputs));
        } catch (Throwable t) {
            failure = t;
        } finally {
            call.exit(outer);
        }
        long elapsed = ticker.read() - start;
        try {
            observer.onBatch(name, n, queueWaits, elapsed, failure);
        } catch (RuntimeException e) {
            observerFailed(e);
        }
        if (work.abandoned) {
            return; // the worker was given up on while it ran (it hung, or its model threw an Error)
        }
        if (failure == null) {
            if (outputs == null || outputs.size() != n) {
                ModelException error = new ModelException(name, work.worker.name, "the batch function returned "
                        + (outputs == null ? "null" : outputs.size() + " outputs") + " for " + n
                        + " inputs; it must return exactly one output per input, in order", null);
                if (!settle(work, live)) {
                    return;
                }
                for (PendingRequest<I, O> r : live) {
                    r.completeExceptionally(error);
                }
                return;
            }
            try {
                policy.onBatchExecuted(n, elapsed);
            } catch (RuntimeException e) {
                LOG.warn("Batch policy {} of '{}' failed to learn from a batch", policy, name, e);
            }
            if (!settle(work, live)) {
                return;
            }
            for (int i = 0; i < n; i++) {
                live.get(i).complete(outputs.get(i));
            }
            return;
        }
        if (isolateFailures && n > 1 && !(failure instanceof VirtualMachineError)) {
            int half = n >>> 1;
            execute(work, live.subList(0, half), true);
            execute(work, live.subList(half, n), true);
            return;
        }
        RuntimeException error = (n == 1 && failure instanceof InvalidInputException)
                ? (InvalidInputException) failure
                : new ModelException(name, work.worker.name, n == 1 ? "the model failed on this input: " + failure
                        : "the model failed on a batch of " + n + ": " + failure, failure);
        if (!settle(work, live)) {
            return;
        }
        for (PendingRequest<I, O> r : live) {
            r.completeExceptionally(error);
        }
    }

    // ---------------------------------------------------------------- observation and status

    private void notifyExpired(long queuedNanos) {
        try {
            observer.onExpired(name, queuedNanos);
        } catch (RuntimeException e) {
            observerFailed(e);
        }
    }

    private void notifyCancelled(PendingRequest<I, O> r) {
        try {
            observer.onCancelled(name, ticker.read() - r.enqueuedAt);
        } catch (RuntimeException e) {
            observerFailed(e);
        }
    }

    private void observerFailed(RuntimeException e) {
        LOG.warn("Observer of '{}' threw; ignored", name, e);
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public int queueDepth() {
        return Math.max(0, Math.min(capacity, queued.get()));
    }

    @Override
    public int maxBatchSize() {
        return maxBatchSize;
    }

    @Override
    public int runningBatches() {
        return workers.busy();
    }

    @Override
    public boolean isClosed() {
        return closing;
    }

    @Override
    public String toString() {
        return "DynamicBatcher[" + name + ", maxBatchSize=" + maxBatchSize + ", maxDelay="
                + TimeUnit.NANOSECONDS.toMicros(maxDelayNanos) + "us, queueCapacity=" + capacity
                + (workerMode ? ", workers=" : ", maxConcurrentBatches=") + workers.live() + ", policy=" + policy + "]";
    }

    // ---------------------------------------------------------------- shutdown

    @Override
    public void close() {
        close(closeGracePeriod);
    }

    @Override
    public void close(Duration grace) {
        if (grace == null) {
            throw new NullPointerException("grace");
        }
        if (grace.isNegative()) {
            throw new IllegalArgumentException("grace must not be negative, was " + grace);
        }
        closing = true;
        LockSupport.unpark(former);
        if (RUNNING_ON.get() == this || Thread.currentThread() == former) {
            // Called from our own thread (a dependent stage of one of our futures, or the function itself):
            // waiting would wait for this very thread. The shutdown goes on; admitted work still finishes.
            LOG.debug("'{}' closed from one of its own threads; not waiting for the drain", name);
            return;
        }
        boolean interrupted = false;
        boolean finished;
        try {
            finished = terminated.await(grace.toNanos(), TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            interrupted = true;
            finished = false;
        }
        if (!finished) {
            forced = true;
            LockSupport.unpark(former);
            ShutdownException error = new ShutdownException("'" + name + "' was closed: the grace period of "
                    + grace.toMillis() + " ms ran out while its batch was running");
            for (Batch<I, O> work : running) {
                for (PendingRequest<I, O> r : work.requests) {
                    r.completeExceptionally(error);
                }
            }
            if (ownExecutor != null) {
                ownExecutor.shutdownNow();
            }
        }
        try {
            former.join();
            if (ownExecutor != null && !ownExecutor.awaitTermination(finished ? 10 : 1, TimeUnit.SECONDS)) {
                LOG.warn("A worker of '{}' ignored interruption and is still running its batch", name);
            }
        } catch (InterruptedException e) {
            interrupted = true;
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    private static ThreadFactory threads(String prefix) {
        AtomicInteger count = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, prefix.endsWith("-") ? prefix + count.incrementAndGet() : prefix);
            t.setDaemon(true);
            return t;
        };
    }

    // ---------------------------------------------------------------- small holders

    static final class Slot<I, O> {
        PendingRequest<I, O> request;
    }

    /** A claimed batch and the worker it was given to. */
    static final class Batch<I, O> {
        final List<PendingRequest<I, O>> requests;
        final Lane<I, O> worker;
        /** Set once, under the batch's lock, by abandonBatch; read unlocked only as an early exit. */
        volatile boolean abandoned;
        /** When the function first got it, and how many inputs it had then (before any failure isolation). */
        long startedAt;
        int size;

        Batch(List<PendingRequest<I, O>> requests, Lane<I, O> worker) {
            this.requests = requests;
            this.worker = worker;
        }
    }

    private final class PolicyView implements BatchPolicy.State {
        private int queuedNow;
        private long oldestWait;
        private int runningNow;

        void set(int queuedNow, long oldestWait, int runningNow) {
            this.queuedNow = queuedNow;
            this.oldestWait = oldestWait;
            this.runningNow = runningNow;
        }

        @Override
        public int queued() {
            return queuedNow;
        }

        @Override
        public int maxBatchSize() {
            return maxBatchSize;
        }

        @Override
        public long oldestWaitNanos() {
            return oldestWait;
        }

        @Override
        public long maxDelayNanos() {
            return maxDelayNanos;
        }

        @Override
        public int runningBatches() {
            return runningNow;
        }

        @Override
        public int maxConcurrentBatches() {
            return workers.live();
        }

        @Override
        public long meanInterArrivalNanos() {
            return meanInterArrival < 0 ? -1 : (long) meanInterArrival;
        }
    }
}
