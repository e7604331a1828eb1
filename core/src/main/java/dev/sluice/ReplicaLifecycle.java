package dev.sluice;

import dev.sluice.batching.ModelException;
import dev.sluice.batching.internal.WorkerBatcher;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The replicas of one deployment from birth to end: adding and removing them to meet a generation's
 * target, placing them on resources, starting them (model factory, threads, workers on the queue),
 * stopping them without losing work, giving up on lost ones, and freeing their resources.
 *
 * <p>Methods named {@code ...Locked} and {@link #converge} run under the runtime's lock and put work that
 * may block or run user code in {@code outside}; the others run on a runtime or replica thread and take
 * the lock themselves.
 */
final class ReplicaLifecycle<I, O> {
    private static final Logger LOG = LoggerFactory.getLogger(Sluice.class);

    private final Sluice sluice;
    private final String name;
    private final Generations<I, O> gens;
    private final AtomicInteger replicaIds = new AtomicInteger();

    ReplicaLifecycle(Sluice sluice, String name, Generations<I, O> gens) {
        this.sluice = sluice;
        this.name = name;
        this.gens = gens;
    }

    /** Moves a generation's replicas towards its target: adds, removes, places, starts, stops. */
    void converge(Generation<I, O> g, long now, List<Runnable> outside) {
        // A replaced generation keeps its last count (lost replicas are replaced) until its queue drained.
        int target = gens.isCurrentOrNext(g) || !g.drained ? g.target : 0;
        List<Replica<I, O>> live = new ArrayList<>();
        for (Replica<I, O> r : g.replicas) {
            if (r.live()) {
                live.add(r);
            }
        }
        if (live.size() < target && !g.givenUp() && now >= g.nextStartAt) {
            for (int i = live.size(); i < target; i++) {
                Replica<I, O> r = new Replica<>(name + "#" + replicaIds.incrementAndGet(), g.version,
                        g.config.maxOngoingBatchesPerReplica(), sluice.ticker, g.cost);
                g.replicas.add(r);
                live.add(r);
            }
        } else if (live.size() > target) {
            // Remove the ones that cost least to lose: pending, then starting, then the least busy, newest first.
            live.sort(Comparator.comparingInt((Replica<I, O> r) -> r.state == Replica.State.PENDING ? 0
                    : r.state == Replica.State.STARTING ? 1 : 2)
                    .thenComparingInt(Replica::inFlight)
                    .thenComparing(r -> -Integer.parseInt(r.id.substring(r.id.lastIndexOf('#') + 1))));
            for (Replica<I, O> r : live.subList(0, live.size() - target)) {
                stopLocked(g, r);
            }
        }
        for (Replica<I, O> r : List.copyOf(g.replicas)) {
            if (r.state == Replica.State.PENDING) {
                ResourcePool.Outcome o = sluice.pool.place(g.config.resources());
                if (!o.placed()) {
                    r.pendingReason = o.pendingReason();
                    continue;
                }
                r.placement = o.placement();
                r.pendingReason = null;
                r.state = Replica.State.STARTING;
                outside.add(() -> sluice.background(() -> start(g, r)));
            }
        }
        gens.forgetIfDone(g);
    }

    /** Takes a replica out of service without losing work: pending ones vanish, running ones drain first. */
    private void stopLocked(Generation<I, O> g, Replica<I, O> r) {
        switch (r.state) {
            case PENDING -> {
                r.state = Replica.State.STOPPED;
                g.replicas.remove(r);
            }
            case STARTING -> r.cancelled = true; // start() closes the model once it exists
            case RUNNING -> {
                r.state = Replica.State.DRAINING;
                List<CompletableFuture<Void>> retired = new ArrayList<>();
                for (WorkerBatcher.Worker w : r.workers) {
                    retired.add(w.retire());
                }
                CompletableFuture.allOf(retired.toArray(new CompletableFuture[0]))
                        .whenCompleteAsync((v, e) -> finishStop(g, r), sluice.backgroundExecutor());
            }
            default -> { }
        }
    }

    /** After its last batch: close the model, free the threads and resources. */
    private void finishStop(Generation<I, O> g, Replica<I, O> r) {
        closeModel(r);
        r.threads.shutdown();
        synchronized (sluice.lock) {
            releaseLocked(g, r);
        }
        sluice.wake();
    }

    /** Marks the replica stopped and frees its resources; once only. */
    void releaseLocked(Generation<I, O> g, Replica<I, O> r) {
        if (r.state == Replica.State.STOPPED) {
            return;
        }
        gens.retired(r, sluice.ticker.read());
        r.state = Replica.State.STOPPED;
        g.replicas.remove(r);
        if (r.placement != null) {
            sluice.pool.release(r.placement);
        }
        sluice.lock.notifyAll();
    }

    /**
     * Closes the replica's model once, whoever asks first (drain, loss, shutdown), and only after its last
     * batch returned: see {@link Replica#closeModelAfterLastBatch}. True if it is closed now.
     */
    boolean closeModel(Replica<I, O> r) {
        Model<I, O> m;
        synchronized (sluice.lock) {
            m = r.model;
        }
        return m == null || r.closeModelAfterLastBatch(m).isDone();
    }

    /**
     * A replica that cannot go on (hang, Error, failed health check): its workers are abandoned (in-flight
     * requests retried elsewhere if the deployment is idempotent, failed otherwise), its resources freed,
     * and the next pass starts a replacement. Its model is closed once its running batch returns.
     */
    void lostLocked(Generation<I, O> g, Replica<I, O> r, String why, Throwable cause, List<Runnable> outside) {
        if (r.state != Replica.State.RUNNING && r.state != Replica.State.DRAINING) {
            return;
        }
        boolean retry = g.config.idempotent();
        LOG.warn("'{}' replica {} is lost and replaced: {}", name, r.id, why);
        r.lastError = why;
        ModelException error = new ModelException(name, r.id, "the replica was lost while running this request: "
                + why + (retry ? "; the retry on another replica did not run in time" : "; the request was not "
                + "retried because the deployment is not marked idempotent"), cause);
        List<WorkerBatcher.Worker> workers = List.copyOf(r.workers);
        ThreadPoolExecutor threads = r.threads;
        releaseLocked(g, r);
        outside.add(() -> {
            for (WorkerBatcher.Worker w : workers) {
                w.abandon(retry, error);
            }
            threads.shutdownNow(); // interrupts a hung model, if it listens
            sluice.background(() -> {
                if (!closeModel(r)) {
                    LOG.warn("'{}': the model of lost replica {} is closed once its running batch returns; never, "
                            + "if it never does", name, r.id);
                }
            });
        });
    }

    /** Called by a replica's thread whose model threw an Error: the replica is lost at once. */
    private void lostByError(Generation<I, O> g, Replica<I, O> r, Error e) {
        List<Runnable> outside = new ArrayList<>();
        synchronized (sluice.lock) {
            lostLocked(g, r, "its model threw " + e, e, outside);
        }
        outside.forEach(Runnable::run);
        sluice.wake();
    }

    // ---------------------------------------------------------------- start (on a runtime thread)

    private void start(Generation<I, O> g, Replica<I, O> r) {
        Model<I, O> model;
        try {
            model = g.config.factory().create(new ModelContext(name, r.id, r.placement));
            if (model == null) {
                throw new IllegalStateException("the model factory returned null");
            }
        } catch (Throwable t) {
            startFailed(g, r, t);
            return;
        }
        boolean keep;
        synchronized (sluice.lock) {
            r.model = model;
            keep = !r.cancelled && r.state == Replica.State.STARTING && !g.drained;
            if (keep) {
                keep = addWorkersLocked(g, r, model);
            }
            if (keep) {
                r.state = Replica.State.RUNNING;
                r.nextHealthCheckAt = sluice.ticker.read() + g.config.healthCheckPeriod().toNanos();
                g.startFailures = 0;
                sluice.lock.notifyAll();
            } else {
                releaseLocked(g, r);
            }
        }
        if (!keep) {
            closeModel(r);
            if (r.threads != null) {
                r.threads.shutdown();
            }
        }
        sluice.wake();
    }

    /**
     * One thread and one worker on the queue per ongoing batch allowed, each batch holding the deployment's
     * CPUs of the execution budget while it runs; false if the queue closed meanwhile.
     */
    private boolean addWorkersLocked(Generation<I, O> g, Replica<I, O> r, Model<I, O> model) {
        int slots = g.config.maxOngoingBatchesPerReplica();
        AtomicInteger n = new AtomicInteger();
        r.threads = new ThreadPoolExecutor(slots, slots, 0, TimeUnit.MILLISECONDS, new LinkedBlockingQueue<>(),
                task -> {
                    Thread t = new Thread(task, "sluice-" + r.id + (slots == 1 ? "" : "-" + n.incrementAndGet()));
                    t.setDaemon(true);
                    return t;
                });
        try {
            for (int slot = 0; slot < slots; slot++) {
                int s = slot;
                r.workers.add(g.batcher.addWorker(r.id, batch -> runOn(g, r, s, batch, model), r.threads,
                        sluice.budget.gate(g.config.resources().cpus(), g.config.resources().burstCpus())));
            }
            return true;
        } catch (IllegalStateException closedMeanwhile) {
            return false;
        }
    }

    private List<O> runOn(Generation<I, O> g, Replica<I, O> r, int slot, List<I> batch, Model<I, O> model) throws Exception {
        try {
            return r.run(slot, batch, model);
        } catch (Error e) {
            lostByError(g, r, e);
            throw e;
        }
    }

    private void startFailed(Generation<I, O> g, Replica<I, O> r, Throwable t) {
        StringWriter trace = new StringWriter();
        t.printStackTrace(new PrintWriter(trace));
        synchronized (sluice.lock) {
            g.startFailed(t, new SluiceStatus.StartFailure(r.id, g.startFailures + 1, t.toString(), trace.toString()),
                    sluice.ticker.read());
            r.lastError = t.toString();
            releaseLocked(g, r);
            if (g.givenUp()) {
                LOG.error("'{}': the model factory failed {} times in a row; no more replicas are started until "
                        + "an update", name, g.startFailures, t);
            } else {
                LOG.warn("'{}': the model factory failed for replica {} (attempt {} of {}); retrying", name, r.id,
                        g.startFailures, g.config.startAttempts(), t);
            }
        }
        sluice.wake();
    }
}
