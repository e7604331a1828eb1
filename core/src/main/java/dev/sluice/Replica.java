package dev.sluice;

import dev.sluice.batching.Ticker;
import dev.sluice.batching.internal.BatchCostModel;
import dev.sluice.batching.internal.WorkerBatcher;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One replica of a deployment: its model, its thread(s), its workers on the deployment's queue, and what
 * it has done. Lifecycle fields are guarded by the runtime's lock; the counters are written by the
 * replica's threads and read by anyone.
 */
final class Replica<I, O> {
    private static final Logger LOG = LoggerFactory.getLogger(Sluice.class);
    /** {@link ReplicaState} and STOPPED, which no snapshot shows (a stopped replica is gone from it). */
    enum State { PENDING, STARTING, RUNNING, DRAINING, STOPPED }

    private static final long IDLE = Long.MIN_VALUE;

    final String id;
    final int version;
    private final Ticker ticker;
    /** The deployment version's batch cost, fed by every successful batch. */
    private final BatchCostModel cost;

    // Guarded by the runtime's lock.
    State state = State.PENDING;
    Placement placement;
    String pendingReason;
    Model<I, O> model;
    ThreadPoolExecutor threads;
    final List<WorkerBatcher.Worker> workers = new ArrayList<>();
    /** Removed while its model was still being made: the model is closed as soon as it exists. */
    boolean cancelled;
    long nextHealthCheckAt;
    CompletableFuture<String> healthCheck;
    long healthCheckStartedAt;

    // Written by the replica's threads.
    /** Clock time at which each slot's running batch started, or IDLE. */
    private final AtomicLongArray startedAt;
    private final AtomicLong busyNanos = new AtomicLong();
    private final AtomicLong batches = new AtomicLong();
    private final AtomicLong items = new AtomicLong();
    private final AtomicInteger inFlight = new AtomicInteger();
    volatile String lastError;

    // Guarded by batchGate: the batches running now and the closing of the model, so that a model is
    // closed only after its last batch returned (Model's contract), whoever asked for the close.
    private final Object batchGate = new Object();
    private int runningBatches;
    private Model<I, O> toClose;
    private boolean closeStarted;
    private final CompletableFuture<Void> modelClosed = new CompletableFuture<>();

    Replica(String id, int version, int slots, Ticker ticker, BatchCostModel cost) {
        this.id = id;
        this.version = version;
        this.ticker = ticker;
        this.cost = cost;
        this.startedAt = new AtomicLongArray(slots);
        for (int i = 0; i < slots; i++) {
            startedAt.set(i, IDLE);
        }
    }

    /** Runs one batch on slot {@code slot}'s thread, keeping the counters the autoscaler and status read. */
    List<O> run(int slot, List<I> batch, Model<I, O> m) throws Exception {
        synchronized (batchGate) {
            if (toClose != null) {
                throw new IllegalStateException("replica " + id + " is stopping: its model takes no more batches");
            }
            runningBatches++;
        }
        try {
            return measured(slot, batch, m);
        } finally {
            Model<I, O> close = null;
            synchronized (batchGate) {
                if (--runningBatches == 0 && toClose != null && !closeStarted) {
                    closeStarted = true;
                    close = toClose;
                }
            }
            if (close != null) {
                close(close); // on this thread: the batch that kept it open has just returned
            }
        }
    }

    /**
     * Closes {@code model} (this replica's) once no batch runs on it: at once on the calling thread when
     * none does, otherwise on the thread of the last running batch when it returns, and never if that batch
     * never returns. No batch starts afterwards. Idempotent; the future completes once it is closed.
     */
    CompletableFuture<Void> closeModelAfterLastBatch(Model<I, O> model) {
        boolean now;
        synchronized (batchGate) {
            if (toClose == null) {
                toClose = model;
            }
            now = runningBatches == 0 && !closeStarted;
            if (now) {
                closeStarted = true;
            }
        }
        if (now) {
            close(model);
        }
        return modelClosed;
    }

    private void close(Model<I, O> model) {
        try {
            model.close();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt(); // the closing thread's owner decides what an interrupt means
            LOG.warn("Closing the model of replica {} was interrupted", id, e);
        } catch (Throwable t) {
            LOG.warn("Closing the model of replica {} failed", id, t);
        } finally {
            modelClosed.complete(null);
        }
    }

    private List<O> measured(int slot, List<I> batch, Model<I, O> m) throws Exception {
        long start = ticker.read();
        startedAt.set(slot, start);
        inFlight.addAndGet(batch.size());
        boolean ok = false;
        try {
            List<O> out = m.predict(batch);
            ok = true;
            return out;
        } catch (Exception e) {
            lastError = e.toString();
            throw e;
        } finally {
            long took = Math.max(0, ticker.read() - start);
            if (ok) {
                cost.record(batch.size(), took);
            }
            busyNanos.addAndGet(took);
            startedAt.set(slot, IDLE);
            inFlight.addAndGet(-batch.size());
            batches.incrementAndGet();
            items.addAndGet(batch.size());
        }
    }

    /** Time spent running batches so far, the running ones counted up to {@code now}. */
    long busyNanos(long now) {
        long busy = busyNanos.get();
        for (int i = 0; i < startedAt.length(); i++) {
            long s = startedAt.get(i);
            if (s != IDLE) {
                busy += Math.max(0, now - s);
            }
        }
        return busy;
    }

    /** The longest a batch has been running now, or 0. */
    long longestRunningNanos(long now) {
        long longest = 0;
        for (int i = 0; i < startedAt.length(); i++) {
            long s = startedAt.get(i);
            if (s != IDLE) {
                longest = Math.max(longest, now - s);
            }
        }
        return longest;
    }

    /** Inputs it has run (successfully or not). */
    long items() {
        return items.get();
    }

    int inFlight() {
        return inFlight.get();
    }

    boolean live() {
        return state != State.STOPPED && state != State.DRAINING;
    }

    SluiceStatus.ReplicaStatus status() {
        long n = batches.get();
        return new SluiceStatus.ReplicaStatus(id, version, ReplicaState.valueOf(state.name()),
                placement == null ? null : placement.toString(), pendingReason, inFlight.get(), n,
                n == 0 ? 0 : (double) items.get() / n, lastError);
    }
}
