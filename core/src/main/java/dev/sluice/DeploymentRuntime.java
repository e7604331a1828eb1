package dev.sluice;

import dev.sluice.batching.InvalidInputException;
import dev.sluice.batching.ModelException;
import dev.sluice.batching.ShutdownException;
import dev.sluice.internal.CpuMeter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One deployment inside a {@link Sluice}: its handle, and the control pass that ties its parts together:
 * its {@link Generations} (the one serving, and during an update the one starting and the ones draining),
 * the {@link ReplicaWatch} of their replicas, its {@link Autoscaler}, the {@link ReplicaLifecycle} that
 * starts and stops replicas, and its status ({@link DeploymentStatusView}).
 *
 * <p>Every lifecycle change happens under the runtime's lock, in {@link #reconcile} (the control loop)
 * or in the callbacks of replica starts and stops. Work that can block or run user code (model
 * factories, {@code close}, health checks, completing callers' futures) runs outside it.
 */
final class DeploymentRuntime<I, O> implements DeploymentHandle<I, O>, CpuMeter.Source {
    private static final Logger LOG = LoggerFactory.getLogger(Sluice.class);

    private final Sluice sluice;
    final String name;
    private final Autoscaler autoscaler;
    // Guarded by sluice.lock, except Generations.current().
    private final Generations<I, O> gens;
    private final ReplicaLifecycle<I, O> replicas;
    private boolean closed;
    /** Set once its replicas are being stopped for good: the control loop leaves it alone. */
    private boolean stopped;
    /** Set by the first {@link Sluice#undeploy}; completes when it is done. */
    CompletableFuture<Void> undeployed;

    DeploymentRuntime(Sluice sluice, Deployment<I, O> deployment) {
        this.sluice = sluice;
        this.name = deployment.name();
        this.autoscaler = new Autoscaler(deployment.autoscaling());
        Generation<I, O> first = newGeneration(1, deployment);
        first.target = deployment.initialReplicas();
        this.gens = new Generations<>(first);
        this.replicas = new ReplicaLifecycle<>(sluice, name, gens);
    }

    private Generation<I, O> newGeneration(int version, Deployment<I, O> deployment) {
        Generation<I, O> g = new Generation<>(version, deployment, sluice.observers, sluice.ticker);
        sluice.queues.add(g.batcher);
        return g;
    }

    // ---------------------------------------------------------------- the handle

    /** The runtime's execution budget, which this deployment's model calls hold while they run. */
    @Override
    public CpuMeter cpuMeter() {
        return sluice.budget;
    }

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
            Generation<I, O> g = gens.current();
            if (g.givenUp() && g.batcher.workers() == 0) {
                return CompletableFuture.failedFuture(g.notStarting());
            }
            try {
                g.config.validate(input); // the version that takes it judges it
            } catch (InvalidInputException e) {
                return CompletableFuture.failedFuture(e);
            }
            CompletableFuture<O> f = noTimeout ? g.batcher.submit(input) : g.batcher.submit(input, timeout);
            if (f.isCompletedExceptionally() && g != gens.current()) {
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
            if (gens.next() != null) {
                return CompletableFuture.failedFuture(new IllegalStateException("'" + name + "' is already being "
                        + "updated to v" + gens.next().version + "; wait for that update to finish"));
            }
            Generation<I, O> current = gens.current();
            Generation<I, O> g = newGeneration(current.version + 1, deployment);
            g.target = Math.max(1, Math.max(deployment.minReplicas(), Math.min(deployment.maxReplicas(), current.target)));
            done = gens.beginUpdate(g);
        }
        sluice.wake();
        return done.copy();
    }

    @Override
    public Deployment<I, O> deployment() {
        return gens.current().config;
    }

    @Override
    public Serving<I, O> serving() {
        return gens.current().serving;
    }

    @Override
    public SluiceStatus.DeploymentStatus status() {
        synchronized (sluice.lock) {
            return statusLocked();
        }
    }

    SluiceStatus.DeploymentStatus statusLocked() {
        return DeploymentStatusView.of(name, gens, closed, undeployed != null, autoscaler.last());
    }

    @Override
    public void awaitReady(Duration timeout) throws InterruptedException, TimeoutException {
        Objects.requireNonNull(timeout, "timeout");
        long deadline = System.nanoTime() + timeout.toNanos();
        synchronized (sluice.lock) {
            while (true) {
                Generation<I, O> g = gens.current();
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
        for (Generation<I, O> g : gens.all()) {
            watch(g, now, outside);
        }
        Generation<I, O> g = gens.current();
        int maxBatch = g.batcher.maxBatchSize();
        Autoscaler.Decision d = autoscaler.decide(now, gens.busyNanos(now), gens.itemsRun(),
                g.cost.perItemAtFullBatchNanos(maxBatch), g.batcher.queueDepth(), g.target, g.config.minReplicas(),
                g.config.maxReplicas(), maxBatch, !closed);
        g.target = d.target();
        if (g.givenUp() && g.live() == 0 && g.batcher.queueDepth() > 0) {
            g.batcher.failWaiting(g.notStarting());
        }
        Generation<I, O> n = gens.next();
        if (n != null) {
            if (n.givenUp() && n.live() == 0) {
                abandonUpdate(n, g, outside);
            } else if (n.running() >= n.target || n.waitingForResources()) {
                // All its replicas run, or the rest cannot be placed until the old ones free their resources:
                // move traffic now; the pending ones start when the old generation has drained and stopped.
                swap(outside);
            }
        }
        for (Generation<I, O> each : gens.all()) {
            replicas.converge(each, now, outside);
        }
    }

    /** Health checks and the watchdog of a generation's replicas; lost ones are replaced by the next converge. */
    private void watch(Generation<I, O> g, long now, List<Runnable> outside) {
        for (Replica<I, O> r : List.copyOf(g.replicas)) {
            ReplicaWatch.Verdict v = ReplicaWatch.check(r, g.config, now);
            switch (v.action()) {
                case LOST -> replicas.lostLocked(g, r, v.why(), null, outside);
                case START_HEALTH_CHECK -> {
                    Model<I, O> m = r.model;
                    CompletableFuture<String> check = r.healthCheck;
                    outside.add(() -> sluice.background(() -> check.complete(ReplicaWatch.healthProblem(m))));
                }
                case NONE -> { }
            }
        }
    }

    private void swap(List<Runnable> outside) {
        Generation<I, O> old = gens.current();
        CompletableFuture<Void> f = gens.swap();
        LOG.info("'{}' now serves v{}; v{} drains", name, gens.current().version, old.version);
        // The old queue drains on the old replicas; only then may they go.
        sluice.background(() -> {
            old.batcher.close();
            sluice.queues.remove(old.batcher);
            synchronized (sluice.lock) {
                old.drained = true;
            }
            sluice.wake();
        });
        outside.add(() -> f.complete(null));
    }

    /** An update whose replicas could not start: its queue never took a request; close it and fail the update. */
    private void abandonUpdate(Generation<I, O> n, Generation<I, O> serving, List<Runnable> outside) {
        CompletableFuture<Void> f = gens.abandonUpdate();
        ModelException e = new ModelException(name, null, "update to v" + n.version + " failed: its replicas could "
                + "not start; v" + serving.version + " keeps serving", n.lastStartError);
        outside.add(() -> {
            n.batcher.close(Duration.ZERO);
            sluice.queues.remove(n.batcher);
        });
        outside.add(() -> f.completeExceptionally(e));
    }

    // ---------------------------------------------------------------- close and undeploy

    /** Refuses new requests and closes every generation's queue, waiting up to {@code grace} for what was admitted. */
    void drain(Duration grace) {
        List<Generation<I, O>> all;
        synchronized (sluice.lock) {
            closed = true;
            all = gens.all();
        }
        for (Generation<I, O> g : all) {
            g.batcher.close(grace);
            sluice.queues.remove(g.batcher);
        }
    }

    /**
     * After the drain: stops every replica (a batch still running, past the grace period, is waited for up
     * to {@code wait}), closes its model after its last batch and frees its resources. The control loop
     * leaves the deployment alone from then on. Returns the replicas' threads, for the caller to wait for.
     */
    List<ThreadPoolExecutor> stopAll(Duration wait) {
        List<Replica<I, O>> all = new ArrayList<>();
        List<Generation<I, O>> owners = new ArrayList<>();
        List<ThreadPoolExecutor> threads = new ArrayList<>();
        synchronized (sluice.lock) {
            stopped = true;
            Generation<I, O> n = gens.next();
            if (n != null) {
                CompletableFuture<Void> f = gens.updateFuture();
                ShutdownException e = new ShutdownException("'" + name + "' closed before the update to v"
                        + n.version + " took over");
                sluice.background(() -> f.completeExceptionally(e));
            }
            for (Generation<I, O> g : gens.all()) {
                for (Replica<I, O> r : g.replicas) {
                    r.cancelled = true;
                    all.add(r);
                    owners.add(g);
                    if (r.threads != null) {
                        threads.add(r.threads);
                    }
                }
            }
        }
        List<CompletableFuture<Void>> idle = new ArrayList<>();
        for (Replica<I, O> r : all) {
            r.workers.forEach(w -> idle.add(w.retire()));
        }
        try {
            CompletableFuture.allOf(idle.toArray(new CompletableFuture[0])).get(wait.toNanos(), TimeUnit.NANOSECONDS);
        } catch (Exception e) {
            // Looked at below, replica by replica.
        }
        for (int i = 0; i < all.size(); i++) {
            Replica<I, O> r = all.get(i);
            if (!replicas.closeModel(r)) {
                LOG.warn("'{}': replica {} was still running a batch {} ms after the close grace period; its model"
                        + " is closed once that batch returns, never if it never does", name, r.id, wait.toMillis());
                // Given up on, so that the CPUs its batch holds go back to the budget the others share now.
                ShutdownException gone = new ShutdownException("'" + name + "' was stopped while replica " + r.id
                        + " was still running this request's batch");
                r.workers.forEach(w -> w.abandon(false, gone));
            }
            if (r.threads != null) {
                r.threads.shutdownNow();
            }
            synchronized (sluice.lock) {
                replicas.releaseLocked(owners.get(i), r);
            }
        }
        return threads;
    }
}
