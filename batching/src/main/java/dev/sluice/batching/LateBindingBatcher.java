package dev.sluice.batching;

import dev.sluice.batching.internal.BatchCostCurve;
import dev.sluice.batching.internal.BatchingLimits;
import dev.sluice.batching.internal.ExecutionGate;
import dev.sluice.batching.internal.WorkerBatcher;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@link DynamicBatcher} implementation: the coordination of the pieces around it.
 *
 * <p>Producers publish into a multi-producer ring ({@link RequestRing}) and never block: admission is an
 * atomic counter of queued requests checked against the capacity, so the capacity is exact. Forming
 * batches is a role held by one thread at a time: whoever holds it drains the ring into the
 * {@link RequestQueue}, which keeps the waiting requests in arrival order with their deadlines, and claims a
 * batch only for a free worker ({@link Workers}; late binding). The batch former thread holds the role
 * whenever it is awake and owns everything that needs waiting: policy waits and the deadline timer. Two
 * others take the role briefly when that saves a thread hand-off: a worker that has just finished a batch
 * forms its own next one (so under load batches follow each other on one thread), and a submitting thread
 * that finds the batcher idle hands its batch straight to a worker. A worker runs its batch with the
 * {@link BatchRunner}. The former parks when there is nothing to do, so an idle batcher costs no CPU; it
 * announces what it waits for ({@link PublishParkFence}), and producers and workers unpark it only when
 * their event matters. Workers of a {@link WorkerBatcher} may be abandoned while they run
 * ({@link AssignAbandonHandshake}).
 *
 * <p>Length: about 500 lines, and it stays one class on purpose. What is left here is the coordination of the
 * pieces (who holds the former role, when it parks and who wakes it, how close ends every request), which
 * reads best in one place; each piece it coordinates is a class of its own, tested without threads.
 */
final class LateBindingBatcher<I, O> implements WorkerBatcher<I, O>, Admission.Former {
    private static final Logger LOG = LoggerFactory.getLogger(DynamicBatcher.class);

    private final String name;
    private final int maxBatchSize;
    private final long maxDelayNanos;
    private final int capacity;
    /** Built by {@link Builder#buildWithWorkers()}: workers are added and removed from outside. */
    private final boolean workerMode;
    private final GuardedObserver observer;
    private final BatchPolicy policy;
    private final Ticker ticker;
    /** Set for a {@link ManualTicker}, whose moves wake the former; any other ticker runs at about real speed. */
    private final ManualTicker.Registration manualTicker;
    private final Duration closeGracePeriod;
    private final ExecutorService ownExecutor;

    /** Requests admitted and still QUEUED (plus, transiently, producers between admission and publish). */
    private final AtomicInteger queued = new AtomicInteger();
    private final Workers<I, O> workers = new Workers<>();
    private final RequestQueue<I, O> queue;
    private final Admission<I, O> admission;
    private final WorkerLifecycle<I, O> lifecycle;
    private final BatchRunner<I, O> runner;
    private final WaitForCompany waitForCompany;
    private final QueueDelayAdmission queueDelay;
    /** Every successful call's size and time, recorded by the runner; read by the policy and by status. */
    private final BatchCostCurve curve;
    private final PublishParkFence fence = new PublishParkFence();
    /** Set by {@link #failWaiting}; the former fails what waits with it and clears it. */
    private volatile RuntimeException failWaiting;

    /**
     * The former role: whoever holds it may use the {@link RequestQueue}. The former thread holds it except
     * while parked; a worker that has just finished a batch, or a submitter that found the batcher idle,
     * takes it for a moment to form a batch without a hand-off.
     */
    private final AtomicBoolean formerRole = new AtomicBoolean();
    private volatile boolean forced;
    private final Thread former;
    private final CountDownLatch terminated = new CountDownLatch(1);

    LateBindingBatcher(DynamicBatcher.Builder<I, O> b, boolean workerMode) {
        this.name = b.name;
        this.maxBatchSize = b.maxBatchSize;
        this.maxDelayNanos = b.maxDelay.toNanos();
        this.capacity = b.queueCapacity;
        this.workerMode = workerMode;
        this.observer = new GuardedObserver(name, b.observer);
        this.policy = b.policy != null ? b.policy : BatchingLimits.defaultPolicy();
        this.ticker = b.ticker;
        this.closeGracePeriod = b.closeGracePeriod;
        this.queue = new RequestQueue<>(name, capacity, maxBatchSize, queued, workers, observer, ticker);
        this.curve = new BatchCostCurve(maxBatchSize);
        this.waitForCompany = new WaitForCompany(name, policy, queued, maxBatchSize, maxDelayNanos, workers,
                queue.arrivals(), curve);
        this.queueDelay = new QueueDelayAdmission(name, b.maxQueueDelayNanos, curve, waitForCompany);
        this.runner = new BatchRunner<>(name, b.isolateFailures, observer, policy, ticker, curve, queueDelay);
        this.lifecycle = new WorkerLifecycle<>(workers, queue, () -> forced, this::unparkFormer,
                this::unparkFormerIfParked);
        Executor executor = b.executor;
        if (workerMode || executor != null) {
            this.ownExecutor = null;
        } else {
            ThreadPoolExecutor pool = new ThreadPoolExecutor(b.maxConcurrentBatches, b.maxConcurrentBatches, 0,
                    TimeUnit.MILLISECONDS, new LinkedBlockingQueue<>(), BatcherThreads.named("sluice-" + name + "-worker-"));
            this.ownExecutor = pool;
            executor = pool;
        }
        this.admission = new Admission<>(this, this, name, capacity, maxBatchSize, queued, queue, fence, workers, queueDelay,
                observer, ticker, workerMode || ownExecutor != null);
        if (!workerMode) {
            for (int i = 0; i < b.maxConcurrentBatches; i++) {
                workers.add(new Lane<>(lifecycle, null, b.function, executor));
            }
        }
        this.former = BatcherThreads.named("sluice-" + name + "-former").newThread(this::runFormer);
        this.manualTicker = b.ticker instanceof ManualTicker manual ? manual.onAdvance(this::unparkFormer) : null;
        former.start();
    }

    // ---------------------------------------------------------------- submission (any thread)

    @Override
    public CompletableFuture<O> submit(I input) {
        return admission.submit(input, null);
    }

    @Override
    public CompletableFuture<O> submit(I input, Duration timeout) {
        if (timeout == null) {
            throw new NullPointerException("timeout");
        }
        return admission.submit(input, timeout);
    }

    /** Wakes the former if it is parked. */
    @Override
    public void unparkFormerIfParked() {
        if (fence.parked()) {
            LockSupport.unpark(former);
        }
    }

    /** Wakes the former whatever it waits for. */
    @Override
    public void unparkFormer() {
        LockSupport.unpark(former);
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
    @Override
    public boolean dispatchOnArrival() {
        if (!formerRole.compareAndSet(false, true)) {
            return false;
        }
        boolean formerNeeded = admission.isClosed();
        try {
            queue.drain();
            long now = ticker.read();
            // Expiring is the former's job: it must not complete other callers' futures on this thread.
            boolean expiriesDue = queue.expiryDue(now);
            formerNeeded |= expiriesDue;
            PendingRequest<I, O> oldest;
            int free;
            while (!expiriesDue && (free = workers.free()) > 0 && (oldest = queue.firstLive()) != null) {
                if (waitForCompany.nanos(now, oldest.enqueuedAt, admission.isClosed(), runningBatches(), free) > 0) {
                    formerNeeded = true; // a policy wait: timing it is the former's job
                    break;
                }
                if (!dispatch(false)) {
                    formerNeeded = true; // it met an expired request: expiring is the former's job
                    break;
                }
            }
            formerNeeded |= queue.earliestDeadline() < fence.wakeAt();
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
        admission.release();
        observer.cancelled(ticker.read() - request.enqueuedAt);
    }

    // ---------------------------------------------------------------- the batch former (one thread)

    private void runFormer() {
        takeFormerRole();
        try {
            formerLoop();
        } catch (Throwable t) {
            LOG.error("Batch former of '{}' failed; failing its queued requests", name, t);
            admission.close();
            forced = true;
            queue.shutDown("its batch former failed: " + t);
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
            queue.drain();
            long now = ticker.read();
            queue.expireDue(now);
            if (forced) {
                queue.shutDown("the close grace period ran out before it was dispatched");
                return;
            }
            RuntimeException failure = failWaiting;
            if (failure != null) {
                failWaiting = null;
                queue.failWaiting(failure);
            }
            long wakeAt = Long.MAX_VALUE;
            int awaiting = PublishParkFence.AWAIT_ARRIVAL;
            int observedFree = workers.free();
            boolean observedClosing = admission.isClosed();
            PendingRequest<I, O> oldest;
            while (observedFree > 0 && (oldest = queue.firstLive()) != null) {
                long wait = waitForCompany.nanos(now, oldest.enqueuedAt, observedClosing,
                        Math.max(0, workers.live() - observedFree), observedFree);
                if (wait > 0) {
                    wakeAt = now + wait;
                    // A policy that waits for the whole of maxDelay for a batch of maxBatchSize only cares about
                    // a full batch (producers check that); any other wait is re-decided on each arrival.
                    awaiting = wait >= maxDelayNanos - (now - oldest.enqueuedAt)
                            && waitForCompany.batchSize() >= maxBatchSize
                            ? PublishParkFence.AWAIT_FULL_BATCH : PublishParkFence.AWAIT_ARRIVAL;
                    break;
                }
                dispatch(true);
                observedFree = workers.free();
                queue.drain();
                now = ticker.read();
            }
            if (observedClosing && queued.get() <= 0 && runningBatches() == 0 && queue.firstLive() == null) {
                return;
            }
            if (observedFree == 0 && queue.firstLive() != null) {
                awaiting = PublishParkFence.AWAIT_WORKER;
            }
            park(awaiting, Math.min(wakeAt, queue.earliestDeadline()), observedFree, observedClosing);
        }
    }

    /** Blocks the former thread until it holds the role; workers hold it only for a few microseconds. */
    private void takeFormerRole() {
        while (!formerRole.compareAndSet(false, true)) {
            Thread.yield();
        }
    }

    private void park(int awaiting, long wakeAt, int observedFree, boolean observedClosing) {
        fence.announce(awaiting, wakeAt);
        try {
            int arrived = queue.drain(); // the last look at the ring, after the announcement
            boolean arrivalsMatter = awaiting == PublishParkFence.AWAIT_ARRIVAL ? arrived > 0
                    : awaiting == PublishParkFence.AWAIT_FULL_BATCH && queued.get() >= maxBatchSize;
            if (arrivalsMatter || queue.earliestDeadline() < wakeAt || workers.free() != observedFree
                    || admission.isClosed() != observedClosing || forced || failWaiting != null) {
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
            fence.running();
        }
    }

    /**
     * Takes a free worker, claims up to the size of the decision just made (see {@link WaitForCompany})
     * live requests, oldest first, and hands them to it.
     */
    private boolean dispatch(boolean mayExpire) {
        Lane<I, O> worker = workers.take();
        if (worker == null) {
            return true;
        }
        int size = waitForCompany.batchSize();
        List<PendingRequest<I, O>> batch = new ArrayList<>(Math.min(size, Math.max(1, queued.get())));
        boolean clean = queue.claim(batch, mayExpire, size);
        if (batch.isEmpty()) {
            workers.release(worker);
            return clean;
        }
        Batch<I, O> work = new Batch<>(batch, worker);
        work.chosenSize = size;
        if (!lifecycle.assign(worker, work)) {
            return clean;
        }
        try {
            worker.executor.execute(() -> runBatches(work));
        } catch (RejectedExecutionException e) {
            lifecycle.ended(work);
            RuntimeException error = forced
                    ? new ShutdownException("'" + name + "' was closed before this request's batch could start")
                    : new ModelException(name, worker.name, "the executor rejected the batch", e);
            work.settle(batch);
            // The worker is given back (or, for an added worker, whose executor refusing work means it is
            // gone, retired) before the callers hear of it.
            if (workerMode) {
                lifecycle.abandon(worker, false, error);
            } else {
                workers.release(worker);
            }
            for (PendingRequest<I, O> r : batch) {
                r.completeExceptionally(error);
            }
        }
        return clean;
    }

    // ---------------------------------------------------------------- workers

    /**
     * A worker's task: runs the batch it was given, then, while it can take the former role and what waits
     * should go out now, forms and runs the next batch itself (staying busy); then becomes free (or retires).
     */
    private void runBatches(Batch<I, O> first) {
        Lane<I, O> worker = first.worker;
        Batch<I, O> work = first;
        Object outer = BatcherThreads.enter(this);
        try {
            while (work != null) {
                try {
                    runner.run(work);
                } finally {
                    lifecycle.ended(work);
                }
                work = forced ? null : claimNextBatch(worker);
            }
        } finally {
            BatcherThreads.exit(outer);
            workers.release(worker);
            unparkFormerIfParked();
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
            queue.drain();
            long now = ticker.read();
            queue.expireDue(now);
            PendingRequest<I, O> oldest = queue.firstLive();
            if (oldest == null) {
                return null;
            }
            // This worker is still busy, so the others running are one fewer than the busy count.
            if (waitForCompany.nanos(now, oldest.enqueuedAt, admission.isClosed(), Math.max(0, runningBatches() - 1),
                    workers.free() + 1) > 0) {
                return null;
            }
            int size = waitForCompany.batchSize();
            List<PendingRequest<I, O>> batch = new ArrayList<>(Math.min(size, Math.max(1, queued.get())));
            queue.claim(batch, true, size);
            if (batch.isEmpty()) {
                return null;
            }
            Batch<I, O> work = new Batch<>(batch, worker);
            work.chosenSize = size;
            return lifecycle.assign(worker, work) ? work : null;
        } finally {
            // The parked former sleeps until its own deadline estimate: wake it if this drain brought an earlier one.
            boolean earlier = queue.earliestDeadline() < fence.wakeAt();
            formerRole.set(false);
            if (earlier) {
                LockSupport.unpark(former);
            }
        }
    }

    // ---------------------------------------------------------------- worker lifecycle

    @Override
    public WorkerBatcher.Worker addWorker(String workerName, BatchFunction<I, O> function, Executor executor) {
        return addWorker(workerName, function, executor, ExecutionGate.open());
    }

    @Override
    public WorkerBatcher.Worker addWorker(String workerName, BatchFunction<I, O> function, Executor executor,
            ExecutionGate gate) {
        if (!workerMode) {
            throw new IllegalStateException("'" + name + "' runs its own workers; only a batcher built with "
                    + "buildWithWorkers() takes added ones");
        }
        Objects.requireNonNull(workerName, "workerName");
        Objects.requireNonNull(function, "function");
        Objects.requireNonNull(executor, "executor");
        Objects.requireNonNull(gate, "gate");
        if (terminated.getCount() == 0) {
            throw new IllegalStateException("'" + name + "' is closed");
        }
        Lane<I, O> worker = new Lane<>(lifecycle, workerName, function, executor, gate);
        lifecycle.add(worker);
        return worker;
    }

    @Override
    public int workers() {
        return workers.live();
    }

    @Override
    public void failWaiting(RuntimeException error) {
        failWaiting = Objects.requireNonNull(error, "error");
        LockSupport.unpark(former);
    }

    // ---------------------------------------------------------------- status

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
        return admission.isClosed();
    }

    @Override
    public CostCurve costCurve() {
        List<CostCurve.Point> points = curve.points();
        return new CostCurve(points, waitForCompany.targetBatchSize(points));
    }

    @Override
    public QueueDelayStatus queueDelay() {
        return queueDelay.status(queueDepth(), workers.live());
    }

    @Override
    public String toString() {
        return "DynamicBatcher[" + name + ", maxBatchSize=" + maxBatchSize + ", maxDelay="
                + TimeUnit.NANOSECONDS.toMicros(maxDelayNanos) + "us, queueCapacity=" + capacity
                + ", maxQueueDelay=" + queueDelay
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
        // Converted before anything changes: a grace too long for a long of nanoseconds waits unbounded
        // instead of throwing half-way through the close.
        long graceNanos = Admission.saturatedNanos(grace);
        admission.close();
        LockSupport.unpark(former);
        if (BatcherThreads.isRunningOn(this) || Thread.currentThread() == former) {
            // Called from our own thread (a dependent stage of one of our futures, or the function itself):
            // waiting would wait for this very thread. The shutdown goes on; admitted work still finishes.
            LOG.debug("'{}' closed from one of its own threads; not waiting for the drain", name);
            return;
        }
        boolean interrupted = false;
        boolean finished;
        try {
            finished = terminated.await(graceNanos, TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            interrupted = true;
            finished = false;
        }
        if (!finished) {
            forced = true;
            LockSupport.unpark(former);
            ShutdownException error = new ShutdownException("'" + name + "' was closed: the grace period of "
                    + TimeUnit.NANOSECONDS.toMillis(graceNanos) + " ms ran out while its batch was running");
            lifecycle.failRunning(error);
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
}
