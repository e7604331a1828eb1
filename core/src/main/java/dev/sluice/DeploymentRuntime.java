package dev.sluice;

import dev.sluice.batching.BatchCostModel;
import dev.sluice.batching.DynamicBatcher;
import dev.sluice.batching.InvalidInputException;
import dev.sluice.batching.ModelException;
import dev.sluice.batching.ShutdownException;
import dev.sluice.batching.WorkerBatcher;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One deployment inside a {@link Sluice}: its handle, its generations (the one serving, and during an
 * update the one starting and the ones draining), their replicas, and its autoscaler.
 *
 * <p>Every lifecycle change happens under the runtime's lock, in {@link #reconcile} (the control loop)
 * or in the callbacks of replica starts and stops. Work that can block or run user code (model
 * factories, {@code close}, health checks, completing callers' futures) runs outside it.
 */
final class DeploymentRuntime<I, O> implements DeploymentHandle<I, O> {
    private static final Logger LOG = LoggerFactory.getLogger(Sluice.class);
    private static final long MAX_START_BACKOFF_NANOS = TimeUnit.SECONDS.toNanos(5);

    /** One version of the deployment: its settings, its queue, its replicas. */
    final class Generation {
        final int version;
        final Deployment<I, O> config;
        final WorkerBatcher<I, O> batcher;
        final List<Replica<I, O>> replicas = new ArrayList<>();
        /** This version's batch cost, learnt from its replicas' batches. */
        final BatchCostModel cost = new BatchCostModel();
        int target;
        /** Read without the lock by submit(), to refuse at once when no replica can start. */
        volatile int startFailures;
        SluiceStatus.StartFailure lastStartFailure;
        Throwable lastStartError;
        long nextStartAt = Long.MIN_VALUE;
        /** Set once the batcher has drained after this generation was replaced: its replicas may go. */
        boolean drained;

        Generation(int version, Deployment<I, O> config) {
            this.version = version;
            this.config = config;
            DynamicBatcher.Builder<I, O> b = WorkerBatcher.builder();
            config.configureBatching(b);
            sluice.observers.forEach(b::addObserver);
            this.batcher = b.name(name).ticker(sluice.ticker).buildWithWorkers();
        }

        boolean givenUp() {
            return startFailures >= config.startAttempts();
        }

        long live() {
            return replicas.stream().filter(Replica::live).count();
        }

        long running() {
            return count(Replica.State.RUNNING);
        }

        long count(Replica.State state) {
            return replicas.stream().filter(r -> r.state == state).count();
        }

        ModelException notStarting() {
            return new ModelException(name, null, "no replica can start: the model factory failed "
                    + startFailures + " time(s) in a row, last with " + lastStartError, lastStartError);
        }
    }

    private final Sluice sluice;
    final String name;
    private final Autoscaler autoscaler;
    private final AtomicInteger replicaIds = new AtomicInteger();

    // Guarded by sluice.lock.
    private volatile Generation current;
    private Generation next;
    private CompletableFuture<Void> nextSwapped;
    private final List<Generation> retiring = new ArrayList<>();
    private long retiredBusyNanos;
    private long retiredItems;
    private boolean closed;
    /** Set once its replicas are being stopped for good: the control loop leaves it alone. */
    private boolean stopped;
    /** Set by the first {@link Sluice#undeploy}; completes when it is done. */
    CompletableFuture<Void> undeployed;

    DeploymentRuntime(Sluice sluice, Deployment<I, O> deployment) {
        this.sluice = sluice;
        this.name = deployment.name();
        this.autoscaler = new Autoscaler(deployment.autoscaling());
        this.current = new Generation(1, deployment);
        current.target = deployment.initialReplicas();
    }

    // ---------------------------------------------------------------- the handle

    @Override
    public String name() {
        return name;
    }

    @Override
    public CompletableFuture<O> submit(I input) {
        return submit(input, null, true);
    }

    @Override
    public CompletableFuture<O> submit(I input, Duration timeout) {
        return submit(input, Objects.requireNonNull(timeout, "timeout"), false);
    }

    private CompletableFuture<O> submit(I input, Duration timeout, boolean noTimeout) {
        if (input == null) {
            return CompletableFuture.failedFuture(new InvalidInputException("'" + name + "': input must not be null"));
        }
        while (true) {
            Generation g = current;
            if (g.givenUp() && g.batcher.workers() == 0) {
                return CompletableFuture.failedFuture(g.notStarting());
            }
            try {
                g.config.validate(input); // the version that takes it judges it
            } catch (InvalidInputException e) {
                return CompletableFuture.failedFuture(e);
            }
            CompletableFuture<O> f = noTimeout ? g.batcher.submit(input) : g.batcher.submit(input, timeout);
            if (f.isCompletedExceptionally() && g != current) {
                continue; // refused by a generation an update just replaced: the new one takes it
            }
            if (!f.isDone() && g.batcher.workers() == 0) {
                sluice.wake(); // scale from zero now, not at the next control pass
            }
            return f;
        }
    }

    @Override
    public CompletableFuture<Void> update(ModelFactory<I, O> factory) {
        Objects.requireNonNull(factory, "factory");
        return update(deployment().toBuilder(factory).build());
    }

    @Override
    public CompletableFuture<Void> update(Deployment<I, O> deployment) {
        Objects.requireNonNull(deployment, "deployment");
        if (!deployment.name().equals(name)) {
            throw new IllegalArgumentException("update of '" + name + "' got a deployment named '"
                    + deployment.name() + "'; deploy it separately");
        }
        String impossible = sluice.pool.neverFits(deployment.resources());
        if (impossible != null) {
            throw new IllegalArgumentException("deployment '" + name + "': " + impossible);
        }
        CompletableFuture<Void> done;
        synchronized (sluice.lock) {
            if (closed) {
                return CompletableFuture.failedFuture(new ShutdownException("'" + name + "' is closed"));
            }
            if (next != null) {
                return CompletableFuture.failedFuture(new IllegalStateException("'" + name
                        + "' is already being updated to v" + next.version + "; wait for that update to finish"));
            }
            Generation g = new Generation(current.version + 1, deployment);
            g.target = Math.max(1, Math.max(deployment.minReplicas(), Math.min(deployment.maxReplicas(), current.target)));
            next = g;
            nextSwapped = new CompletableFuture<>();
            done = nextSwapped;
        }
        sluice.wake();
        return done.copy();
    }

    @Override
    public Deployment<I, O> deployment() {
        return current.config;
    }

    @Override
    public SluiceStatus.DeploymentStatus status() {
        synchronized (sluice.lock) {
            return statusLocked();
        }
    }

    @Override
    public void awaitReady(Duration timeout) throws InterruptedException, TimeoutException {
        Objects.requireNonNull(timeout, "timeout");
        long deadline = System.nanoTime() + timeout.toNanos();
        synchronized (sluice.lock) {
            while (true) {
                Generation g = current;
                if (g.running() >= Math.max(1, g.config.minReplicas())) {
                    return;
                }
                if (g.givenUp() && g.live() == 0) {
                    throw g.notStarting();
                }
                if (closed) {
                    throw new ShutdownException("'" + name + "' was closed before it was ready");
                }
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    throw new TimeoutException("'" + name + "' was not ready within " + timeout.toMillis()
                            + " ms: " + g.running() + " replica(s) running, " + Math.max(1, g.config.minReplicas())
                            + " needed");
                }
                TimeUnit.NANOSECONDS.timedWait(sluice.lock, left);
            }
        }
    }

    // ---------------------------------------------------------------- the control loop (under sluice.lock)

    /** One pass: health, watchdog, autoscaling, replica counts, placement, swap. Returns work to run unlocked. */
    void reconcile(long now, List<Runnable> outside) {
        if (stopped) {
            return;
        }
        List<Generation> all = generations();
        for (Generation g : all) {
            checkReplicas(g, now, outside);
        }
        Generation g = current;
        int maxBatch = g.batcher.maxBatchSize();
        Autoscaler.Decision d = autoscaler.decide(now, busyNanos(now), itemsRun(), g.cost.perItemAtFullBatchNanos(maxBatch),
                g.batcher.queueDepth(), g.target, g.config.minReplicas(), g.config.maxReplicas(), maxBatch,
                !closed);
        g.target = d.target();
        if (g.givenUp() && g.live() == 0 && g.batcher.queueDepth() > 0) {
            g.batcher.failWaiting(g.notStarting());
        }
        if (next != null) {
            Generation n = next;
            if (n.givenUp() && n.live() == 0) {
                next = null;
                discard(n, outside);
                CompletableFuture<Void> f = nextSwapped;
                ModelException e = new ModelException(name, null, "update to v" + n.version + " failed: its "
                        + "replicas could not start; v" + g.version + " keeps serving", n.lastStartError);
                outside.add(() -> f.completeExceptionally(e));
            } else if (n.running() >= n.target || (n.count(Replica.State.STARTING) == 0 && n.count(Replica.State.PENDING) > 0)) {
                // All its replicas run, or the rest cannot be placed until the old ones free their resources:
                // move traffic now; the pending ones start when the old generation has drained and stopped.
                swap(n, outside);
            }
        }
        for (Generation each : generations()) {
            converge(each, now, outside);
        }
    }

    private List<Generation> generations() {
        List<Generation> all = new ArrayList<>(retiring);
        all.add(current);
        if (next != null) {
            all.add(next);
        }
        return all;
    }

    private long itemsRun() {
        long items = retiredItems;
        for (Generation g : generations()) {
            for (Replica<I, O> r : g.replicas) {
                if (r.state != Replica.State.STOPPED) {
                    items += r.items();
                }
            }
        }
        return items;
    }

    private long busyNanos(long now) {
        long busy = retiredBusyNanos;
        for (Generation g : generations()) {
            for (Replica<I, O> r : g.replicas) {
                if (r.state != Replica.State.STOPPED) {
                    busy += r.busyNanos(now);
                }
            }
        }
        return busy;
    }

    private void swap(Generation n, List<Runnable> outside) {
        Generation old = current;
        current = n;
        next = null;
        retiring.add(old);
        CompletableFuture<Void> f = nextSwapped;
        nextSwapped = null;
        LOG.info("'{}' now serves v{}; v{} drains", name, n.version, old.version);
        // The old queue drains on the old replicas; only then may they go.
        sluice.background(() -> {
            old.batcher.close();
            synchronized (sluice.lock) {
                old.drained = true;
            }
            sluice.wake();
        });
        outside.add(() -> f.complete(null));
    }

    /** An update whose replicas could not start: its queue never took a request; close it. */
    private void discard(Generation g, List<Runnable> outside) {
        g.target = 0;
        g.drained = true;
        retiring.add(g);
        outside.add(() -> g.batcher.close(Duration.ZERO));
    }

    /** Health checks and the watchdog of running replicas; lost ones are replaced. */
    private void checkReplicas(Generation g, long now, List<Runnable> outside) {
        Deployment<I, O> c = g.config;
        long watchdog = c.watchdog().toNanos();
        long period = c.healthCheckPeriod().toNanos();
        for (Replica<I, O> r : List.copyOf(g.replicas)) {
            if (r.state != Replica.State.RUNNING && r.state != Replica.State.DRAINING) {
                continue;
            }
            long running = r.longestRunningNanos(now);
            if (watchdog > 0 && running >= watchdog) {
                lost(g, r, "it hung: a batch ran for " + running / 1_000_000 + " ms, past the watchdog limit of "
                        + watchdog / 1_000_000 + " ms", null, outside);
                continue;
            }
            if (period <= 0 || r.state != Replica.State.RUNNING) {
                continue;
            }
            if (r.healthCheck == null) {
                if (now >= r.nextHealthCheckAt) {
                    Model<I, O> m = r.model;
                    r.healthCheckStartedAt = now;
                    r.healthCheck = new CompletableFuture<>();
                    CompletableFuture<String> check = r.healthCheck;
                    outside.add(() -> sluice.background(() -> check.complete(healthProblem(m))));
                }
            } else if (r.healthCheck.isDone()) {
                String problem = r.healthCheck.join();
                r.healthCheck = null;
                r.nextHealthCheckAt = now + period;
                if (problem != null) {
                    lost(g, r, "it failed its health check: " + problem, null, outside);
                }
            } else if (now - r.healthCheckStartedAt >= c.healthCheckTimeout().toNanos()) {
                lost(g, r, "its health check got no answer within " + c.healthCheckTimeout().toMillis() + " ms",
                        null, outside);
            }
        }
    }

    private static String healthProblem(Model<?, ?> m) {
        try {
            return m.isHealthy() ? null : "isHealthy() returned false";
        } catch (Throwable t) {
            return "isHealthy() threw " + t;
        }
    }

    /** Moves a generation's replicas towards its target: adds, removes, places, starts, stops. */
    private void converge(Generation g, long now, List<Runnable> outside) {
        // A replaced generation keeps its last count (lost replicas are replaced) until its queue drained.
        int target = g == current || g == next || !g.drained ? g.target : 0;
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
                stop(g, r, outside);
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
        if (g != current && g != next && g.replicas.isEmpty()) {
            retiring.remove(g);
        }
    }

    /** Takes a replica out of service without losing work: pending ones vanish, running ones drain first. */
    private void stop(Generation g, Replica<I, O> r, List<Runnable> outside) {
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
    private void finishStop(Generation g, Replica<I, O> r) {
        closeModel(r);
        r.threads.shutdown();
        synchronized (sluice.lock) {
            release(g, r);
        }
        sluice.wake();
    }

    private void release(Generation g, Replica<I, O> r) {
        if (r.state == Replica.State.STOPPED) {
            return;
        }
        retiredBusyNanos += r.busyNanos(sluice.ticker.read());
        retiredItems += r.items();
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
    private boolean closeModel(Replica<I, O> r) {
        Model<I, O> m;
        synchronized (sluice.lock) {
            m = r.model;
        }
        return m == null || r.closeModelAfterLastBatch(m).isDone();
    }

    /**
     * A replica that cannot go on (hang, Error, failed health check): its workers are abandoned (in-flight
     * requests retried elsewhere if the deployment is idempotent, failed otherwise), its resources freed,
     * and the next pass starts a replacement.
     */
    private void lost(Generation g, Replica<I, O> r, String why, Throwable cause, List<Runnable> outside) {
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
        release(g, r);
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
    private void lostByError(Generation g, Replica<I, O> r, Error e) {
        List<Runnable> outside = new ArrayList<>();
        synchronized (sluice.lock) {
            lost(g, r, "its model threw " + e, e, outside);
        }
        outside.forEach(Runnable::run);
        sluice.wake();
    }

    // ---------------------------------------------------------------- replica start (starter thread)

    private void start(Generation g, Replica<I, O> r) {
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
                        r.workers.add(g.batcher.addWorker(r.id, batch -> runOn(g, r, s, batch, model), r.threads));
                    }
                } catch (IllegalStateException closedMeanwhile) {
                    keep = false;
                }
            }
            if (keep) {
                r.state = Replica.State.RUNNING;
                r.nextHealthCheckAt = sluice.ticker.read() + g.config.healthCheckPeriod().toNanos();
                g.startFailures = 0;
                sluice.lock.notifyAll();
            } else {
                release(g, r);
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

    private List<O> runOn(Generation g, Replica<I, O> r, int slot, List<I> batch, Model<I, O> model) throws Exception {
        try {
            return r.run(slot, batch, model);
        } catch (Error e) {
            lostByError(g, r, e);
            throw e;
        }
    }

    private void startFailed(Generation g, Replica<I, O> r, Throwable t) {
        StringWriter trace = new StringWriter();
        t.printStackTrace(new PrintWriter(trace));
        synchronized (sluice.lock) {
            g.startFailures++;
            g.lastStartError = t;
            g.lastStartFailure = new SluiceStatus.StartFailure(r.id, g.startFailures, t.toString(), trace.toString());
            long backoff = Math.min(MAX_START_BACKOFF_NANOS, TimeUnit.MILLISECONDS.toNanos(100) << Math.min(20, g.startFailures - 1));
            g.nextStartAt = sluice.ticker.read() + backoff;
            r.lastError = t.toString();
            release(g, r);
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

    // ---------------------------------------------------------------- shutdown and status

    /** Closes every generation's queue, waiting up to {@code grace} for what was admitted to finish. */
    void drain(Duration grace) {
        List<Generation> all;
        synchronized (sluice.lock) {
            closed = true;
            all = generations();
        }
        for (Generation g : all) {
            g.batcher.close(grace);
        }
    }

    /**
     * After the drain: stops every replica (a batch still running, past the grace period, is waited for
     * up to {@code wait}) and closes its model.
     */
    void stopAll(Duration wait) {
        List<Replica<I, O>> replicas = new ArrayList<>();
        List<Generation> owners = new ArrayList<>();
        synchronized (sluice.lock) {
            stopped = true;
            if (next != null) {
                CompletableFuture<Void> f = nextSwapped;
                ShutdownException e = new ShutdownException("'" + name + "' closed before the update to v"
                        + next.version + " took over");
                sluice.background(() -> f.completeExceptionally(e));
            }
            for (Generation g : generations()) {
                for (Replica<I, O> r : g.replicas) {
                    r.cancelled = true;
                    replicas.add(r);
                    owners.add(g);
                }
            }
        }
        List<CompletableFuture<Void>> idle = new ArrayList<>();
        for (Replica<I, O> r : replicas) {
            r.workers.forEach(w -> idle.add(w.retire()));
        }
        try {
            CompletableFuture.allOf(idle.toArray(new CompletableFuture[0])).get(wait.toNanos(), TimeUnit.NANOSECONDS);
        } catch (Exception e) {
            // Waited for below, replica by replica.
        }
        for (int i = 0; i < replicas.size(); i++) {
            Replica<I, O> r = replicas.get(i);
            if (!closeModel(r)) {
                LOG.warn("'{}': replica {} was still running a batch {} ms after the close grace period; its model"
                        + " is closed once that batch returns, never if it never does", name, r.id, wait.toMillis());
            }
            if (r.threads != null) {
                r.threads.shutdownNow();
            }
            synchronized (sluice.lock) {
                release(owners.get(i), r);
            }
        }
    }

    /** Threads of replicas, to wait for at the end of close. */
    List<ThreadPoolExecutor> replicaThreads() {
        List<ThreadPoolExecutor> all = new ArrayList<>();
        synchronized (sluice.lock) {
            for (Generation g : generations()) {
                for (Replica<I, O> r : g.replicas) {
                    if (r.threads != null) {
                        all.add(r.threads);
                    }
                }
            }
        }
        return all;
    }

    SluiceStatus.DeploymentStatus statusLocked() {
        Generation g = current;
        List<SluiceStatus.ReplicaStatus> replicas = new ArrayList<>();
        for (Generation each : generations()) {
            for (Replica<I, O> r : each.replicas) {
                replicas.add(r.status());
            }
        }
        DeploymentState state;
        String detail;
        if (closed) {
            state = DeploymentState.CLOSED;
            detail = undeployed != null ? "undeployed" : "the runtime closed";
        } else if (g.givenUp() && g.live() == 0) {
            state = DeploymentState.NOT_STARTING;
            detail = "the model factory failed " + g.startFailures + " time(s) in a row, last with " + g.lastStartError;
        } else if (next != null) {
            state = DeploymentState.UPDATING;
            detail = next.running() + " of " + next.target + " replica(s) of v" + next.version + " running";
        } else if (g.running() > 0) {
            state = DeploymentState.SERVING;
            detail = g.running() + " replica(s) running";
        } else if (g.target == 0) {
            state = DeploymentState.SCALED_TO_ZERO;
            detail = "no load: the first request starts a replica";
        } else if (g.count(Replica.State.STARTING) == 0 && g.count(Replica.State.PENDING) > 0) {
            state = DeploymentState.WAITING_FOR_RESOURCES;
            String why = g.replicas.stream().filter(r -> r.state == Replica.State.PENDING && r.pendingReason != null)
                    .map(r -> r.pendingReason).findFirst().orElse("not placed yet");
            detail = g.count(Replica.State.PENDING) + " replica(s) waiting for resources: " + why;
        } else {
            state = DeploymentState.STARTING;
            long starting = g.count(Replica.State.STARTING);
            detail = starting > 0 ? starting + " replica(s) starting" : "its replicas are made at the next control pass";
        }
        SluiceStatus.StartFailure failure = next != null && next.lastStartFailure != null ? next.lastStartFailure
                : g.lastStartFailure;
        Autoscaler.Decision d = autoscaler.last();
        return new SluiceStatus.DeploymentStatus(name, g.version, state, next == null || closed ? null : next.version,
                detail, g.config.minReplicas(), g.config.maxReplicas(), g.target, g.batcher.queueDepth(), d.action(),
                d.reason(), replicas, failure);
    }
}
