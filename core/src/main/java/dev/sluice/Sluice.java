package dev.sluice;

import dev.sluice.batching.BatchObserver;
import dev.sluice.batching.DynamicBatcher;
import dev.sluice.batching.ShutdownException;
import dev.sluice.batching.Ticker;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArraySet;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The in-process serving runtime: deployments of models, each with one request queue, replicas that pull
 * batches from it, an autoscaler, health checks, placement of replicas on the runtime's GPUs, and an
 * execution budget of the runtime's CPUs that every model call holds a share of while it runs (so no more
 * calls run at once than there are CPUs, however many replicas exist; older requests' calls go first).
 *
 * <pre>{@code
 * try (Sluice sluice = Sluice.builder().resources(Resources.detect()).build()) {
 *     DeploymentHandle<float[], float[]> rec = sluice.deploy(Deployment.<float[], float[]>builder("rec", MyModel::new)
 *             .replicas(1, 4).build());
 *     float[] y = rec.submit(x).get();
 * }
 * }</pre>
 *
 * <p>A control loop (one thread) runs every {@code controlPeriod}: it measures each deployment's load and
 * scales it, places pending replicas when resources free up, starts replacements for lost replicas, runs
 * health checks and the watchdog. Model factories, {@code close} and health checks run on a separate pool,
 * so a slow model never stalls the loop. Every timing decision reads the {@link Ticker}, so tests can drive
 * the clock: {@link dev.sluice.testing.TestRuntime} runs a runtime on a manual one.
 *
 * <p>Threading: all methods are thread-safe. {@link #close} and {@link #undeploy} block while deployments
 * drain; nothing else blocks.
 */
public final class Sluice implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Sluice.class);
    /** How long stopping a deployment waits for a batch still running after its grace period. */
    private static final Duration REPLICA_STOP_WAIT = Duration.ofSeconds(5);

    final Object lock = new Object();
    final ResourcePool pool;
    /** The CPU tokens every model call of every deployment holds while it runs. */
    final ExecutionBudget budget;
    final Ticker ticker;
    private final Resources resources;
    private final Duration closeGracePeriod;
    /** Told of every deployment's batches, beside each deployment's own observer. */
    final List<BatchObserver> observers;
    private final Map<String, DeploymentRuntime<?, ?>> deployments = new LinkedHashMap<>();
    /**
     * Every deployment version's queue, from its generation's start until its close returned (a swap's drain, an
     * abandoned update, an undeploy or close); read without the lock by the budget.
     */
    final Set<DynamicBatcher<?, ?>> queues = new CopyOnWriteArraySet<>();
    private final ScheduledThreadPoolExecutor control;
    private final ThreadPoolExecutor background;
    private final AtomicBoolean wakePending = new AtomicBoolean();
    private final CountDownLatch terminated = new CountDownLatch(1);
    /** Guarded by lock. */
    volatile boolean closing;

    private Sluice(Builder b) {
        this.resources = b.resources != null ? b.resources : Resources.detect();
        this.pool = new ResourcePool(resources);
        this.ticker = b.ticker;
        this.budget = new ExecutionBudget(resources.cpus(), ticker, this::requestsQueued);
        this.closeGracePeriod = b.closeGracePeriod;
        this.observers = List.copyOf(b.observers);
        this.control = new ScheduledThreadPoolExecutor(1, threads("sluice-control", false));
        control.setRemoveOnCancelPolicy(true);
        this.background = new ThreadPoolExecutor(0, Integer.MAX_VALUE, 30, TimeUnit.SECONDS, new SynchronousQueue<>(),
                threads("sluice-runtime-", true));
        if (b.manualControl == null) {
            long period = b.controlPeriod.toNanos();
            control.scheduleWithFixedDelay(this::reconcileSafely, period, period, TimeUnit.NANOSECONDS);
        } else {
            b.manualControl.accept(this::reconcile);
        }
    }

    public static Builder builder() {
        return new Builder();
    }

    /**
     * Deploys a model: creates its queue and starts its initial replicas (in the background; see
     * {@link DeploymentHandle#awaitReady}). Requests may be submitted at once: they wait for a replica.
     *
     * @throws IllegalArgumentException if a deployment of that name exists (until {@link #undeploy} of it
     *     returned), or a replica could never be placed on this runtime's resources (the message names the
     *     field); nothing is created then
     * @throws IllegalStateException if the runtime is closed
     */
    public <I, O> DeploymentHandle<I, O> deploy(Deployment<I, O> deployment) {
        Objects.requireNonNull(deployment, "deployment");
        String impossible = pool.neverFits(deployment.resources());
        if (impossible != null) {
            throw new IllegalArgumentException("deployment '" + deployment.name() + "': " + impossible);
        }
        DeploymentRuntime<I, O> runtime;
        synchronized (lock) {
            if (closing) {
                throw new IllegalStateException("the runtime is closed; '" + deployment.name() + "' was not deployed");
            }
            DeploymentRuntime<?, ?> existing = deployments.get(deployment.name());
            if (existing != null) {
                throw new IllegalArgumentException("name: a deployment named '" + deployment.name() + "' already exists; "
                        + (existing.undeployed != null ? "it is being undeployed, deploy again once undeploy returned"
                                : "change it with its handle's update()"));
            }
            runtime = new DeploymentRuntime<>(this, deployment);
            deployments.put(deployment.name(), runtime);
        }
        wake();
        return runtime;
    }

    /** Undeploys with the builder's close grace period; see {@link #undeploy(String, Duration)}. */
    public void undeploy(String name) {
        undeploy(name, closeGracePeriod);
    }

    /**
     * Removes one deployment, the others serving on: its handle stops admitting at once (later submissions
     * fail with {@link ShutdownException}), what it admitted runs within {@code grace} (what is left then
     * fails with {@code ShutdownException}), an update in progress fails, then its replicas stop, their
     * models are closed after their last batch, their GPU shares are freed and its name may
     * be deployed again. Blocks the caller until then. Another call for the same deployment meanwhile waits
     * for the first; if the runtime is closing, this waits for that close, which ends the deployment too.
     *
     * @throws IllegalArgumentException if no deployment is named {@code name}, or {@code grace} is negative
     * @throws NullPointerException if {@code name} or {@code grace} is null
     */
    public void undeploy(String name, Duration grace) {
        Objects.requireNonNull(name, "name");
        requireGrace(grace);
        DeploymentRuntime<?, ?> d;
        CompletableFuture<Void> done;
        boolean mine;
        synchronized (lock) {
            d = deployments.get(name);
            if (d == null) {
                throw new IllegalArgumentException("name: there is no deployment named '" + name + "'");
            }
            if (closing) {
                done = null;
                mine = false;
            } else {
                mine = d.undeployed == null;
                if (mine) {
                    d.undeployed = new CompletableFuture<>();
                }
                done = d.undeployed;
            }
        }
        if (done == null) {
            awaitTermination();
            return;
        }
        if (!mine) {
            done.join();
            return;
        }
        try {
            d.drain(grace);
            awaitReplicaThreads(d.stopAll(REPLICA_STOP_WAIT));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            synchronized (lock) {
                deployments.remove(name, d);
            }
            done.complete(null);
            LOG.info("'{}' undeployed", name);
        }
        wake();
    }

    /** The handle of the deployment named {@code name}, if there is one. */
    public Optional<DeploymentHandle<?, ?>> deployment(String name) {
        synchronized (lock) {
            return Optional.ofNullable(deployments.get(name));
        }
    }

    /** Whether requests wait in some deployment's queue now (for the budget, which lends idle CPUs only when nothing waits). */
    private boolean requestsQueued() {
        for (DynamicBatcher<?, ?> q : queues) {
            if (q.queueDepth() > 0) {
                return true;
            }
        }
        return false;
    }

    /** A consistent snapshot of every deployment and of the resources. */
    public SluiceStatus status() {
        synchronized (lock) {
            List<SluiceStatus.GpuStatus> gpus = new ArrayList<>();
            int[] free = pool.freeGpuMilli();
            for (int i = 0; i < resources.gpus().size(); i++) {
                GpuDevice g = resources.gpus().get(i);
                gpus.add(new SluiceStatus.GpuStatus(g.label(), g.name(), free[i] / (double) ReplicaResources.MILLI,
                        g.memoryBytes()));
            }
            List<SluiceStatus.DeploymentStatus> all = new ArrayList<>();
            for (DeploymentRuntime<?, ?> d : deployments.values()) {
                all.add(d.statusLocked());
            }
            return new SluiceStatus(new SluiceStatus.ResourceStatus(resources.cpus(), budget.inUse(), budget.waiting(),
                    budget.waitedNanos(), gpus), all);
        }
    }

    /** Closes with the builder's grace period. */
    @Override
    public void close() {
        close(closeGracePeriod);
    }

    /**
     * Stops admitting (later submissions fail with {@link ShutdownException}), lets every deployment finish
     * what it admitted within {@code grace} (what is left then fails with {@code ShutdownException}), then
     * stops the replicas, closes their models and ends every runtime thread. Idempotent; a second call waits
     * for the first.
     *
     * @throws NullPointerException if {@code grace} is null
     * @throws IllegalArgumentException if {@code grace} is negative; both are checked before anything
     *     changes, so the runtime goes on serving and a later close works
     */
    public void close(Duration grace) {
        requireGrace(grace);
        List<DeploymentRuntime<?, ?>> all;
        synchronized (lock) {
            if (closing) {
                all = null;
            } else {
                closing = true;
                all = List.copyOf(deployments.values());
            }
        }
        if (all == null) {
            awaitTermination();
            return;
        }
        try {
            List<Thread> drains = new ArrayList<>();
            for (DeploymentRuntime<?, ?> d : all) {
                Thread t = new Thread(() -> d.drain(grace), "sluice-close-" + d.name);
                t.setDaemon(true);
                t.start();
                drains.add(t);
            }
            for (Thread t : drains) {
                t.join();
            }
            control.shutdownNow();
            control.awaitTermination(10, TimeUnit.SECONDS);
            List<ThreadPoolExecutor> replicaThreads = new ArrayList<>();
            for (DeploymentRuntime<?, ?> d : all) {
                replicaThreads.addAll(d.stopAll(REPLICA_STOP_WAIT));
            }
            background.shutdown();
            if (!background.awaitTermination(10, TimeUnit.SECONDS)) {
                LOG.warn("A model factory, close() or health check was still running 10 s after close; abandoning it");
                background.shutdownNow();
            }
            awaitReplicaThreads(replicaThreads);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            control.shutdownNow();
            background.shutdownNow();
        } finally {
            terminated.countDown();
        }
    }

    /** Checked before any state changes: a batcher refusing the grace half-way would strand its queue. */
    private static void requireGrace(Duration grace) {
        Objects.requireNonNull(grace, "grace");
        if (grace.isNegative()) {
            throw new IllegalArgumentException("grace must not be negative, was " + grace);
        }
    }

    private static void awaitReplicaThreads(List<ThreadPoolExecutor> replicaThreads) throws InterruptedException {
        for (ThreadPoolExecutor t : replicaThreads) {
            if (!t.awaitTermination(5, TimeUnit.SECONDS)) {
                LOG.warn("A replica thread ignored interruption and is still running");
            }
        }
    }

    private void awaitTermination() {
        try {
            terminated.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    // ---------------------------------------------------------------- control loop

    /** Asks for a control pass now (coalesced with one already asked for). */
    void wake() {
        if (wakePending.compareAndSet(false, true)) {
            try {
                control.execute(() -> {
                    wakePending.set(false);
                    reconcileSafely();
                });
            } catch (RejectedExecutionException closed) {
                wakePending.set(false);
            }
        }
    }

    private void reconcileSafely() {
        try {
            reconcile();
        } catch (Throwable t) {
            LOG.error("A control pass of the Sluice runtime failed; the next one retries", t);
        }
    }

    /** One control pass over every deployment, on the calling thread (the control loop's, or a test's). */
    void reconcile() {
        List<Runnable> outside = new ArrayList<>();
        synchronized (lock) {
            long now = ticker.read();
            for (DeploymentRuntime<?, ?> d : deployments.values()) {
                d.reconcile(now, outside);
            }
        }
        for (Runnable r : outside) {
            try {
                r.run();
            } catch (RuntimeException e) {
                LOG.error("A control action failed", e);
            }
        }
    }

    /** Runs a task that may block or run user code (model factory, close, health check, drain). */
    void background(Runnable task) {
        try {
            background.execute(task);
        } catch (RejectedExecutionException closed) {
            task.run(); // only after close: run it here rather than drop it
        }
    }

    Executor backgroundExecutor() {
        return this::background;
    }

    private static ThreadFactory threads(String prefix, boolean numbered) {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, numbered ? prefix + n.incrementAndGet() : prefix);
            t.setDaemon(true);
            return t;
        };
    }

    /** Builds a {@link Sluice}; setters validate at once and name the field they reject. */
    public static final class Builder {
        private Resources resources;
        private Ticker ticker = Ticker.system();
        private Duration controlPeriod = Duration.ofMillis(100);
        private Duration closeGracePeriod = Duration.ofSeconds(30);
        private Consumer<Runnable> manualControl;
        private final List<BatchObserver> observers = new ArrayList<>();

        private Builder() {}

        /**
         * Adds an observer told of every deployment's batches, rejections, expiries and cancellations (each
         * call names the deployment), beside the deployment's own {@code batching(b -> b.observer(...))}: for
         * metrics. Several may be added; each is told in turn.
         */
        public Builder observer(BatchObserver observer) {
            this.observers.add(Objects.requireNonNull(observer, "observer"));
            return this;
        }

        /**
         * What the runtime may use: its CPUs are the execution budget of every model call, its GPUs what
         * replicas are placed on. Default {@link Resources#detect()}.
         */
        public Builder resources(Resources resources) {
            this.resources = Objects.requireNonNull(resources, "resources");
            return this;
        }

        /** The clock of every timing decision (deadlines, autoscaling, health checks, watchdog). */
        public Builder ticker(Ticker ticker) {
            this.ticker = Objects.requireNonNull(ticker, "ticker");
            return this;
        }

        /** How often the control loop runs. Default 100 ms. */
        public Builder controlPeriod(Duration period) {
            Objects.requireNonNull(period, "controlPeriod");
            if (period.toMillis() < 1) {
                throw new IllegalArgumentException("controlPeriod must be at least 1 ms, was " + period);
            }
            this.controlPeriod = period;
            return this;
        }

        /** How long {@link #close()} lets deployments finish what they admitted. Default 30 s. */
        public Builder closeGracePeriod(Duration grace) {
            Objects.requireNonNull(grace, "closeGracePeriod");
            if (grace.isNegative()) {
                throw new IllegalArgumentException("closeGracePeriod must not be negative, was " + grace);
            }
            this.closeGracePeriod = grace;
            return this;
        }

        /**
         * For tests: no periodic control pass. Instead {@link #build()} hands {@code controlPass} a
         * {@link Runnable} that runs one control pass (health checks, watchdog, autoscaling, placement,
         * swaps) on the calling thread, at the ticker's current time; thread-safe, and harmless after
         * close. The runtime still runs a pass of its own at once when something happens (a replica
         * started or stopped, a request came to a deployment with no replica), as it always does; only
         * the passes that time alone would bring are left to the caller. {@link dev.sluice.testing.TestRuntime}
         * is the way to use this, with a manual ticker.
         */
        public Builder manualControl(Consumer<Runnable> controlPass) {
            this.manualControl = Objects.requireNonNull(controlPass, "controlPass");
            return this;
        }

        public Sluice build() {
            return new Sluice(this);
        }
    }
}
