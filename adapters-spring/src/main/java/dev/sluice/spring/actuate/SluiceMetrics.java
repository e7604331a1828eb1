package dev.sluice.spring.actuate;

import dev.sluice.DeploymentHandle;
import dev.sluice.Sluice;
import dev.sluice.ReplicaState;
import dev.sluice.SluiceStatus;
import dev.sluice.batching.BatchObserver;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * The runtime's metrics in Micrometer, each tagged with its {@code deployment}:
 * <ul>
 *   <li>{@code sluice.request.latency} (timer, also tagged {@code outcome} success/failure): from submission to
 *       the end of the model call that answered it (a request retried by failure isolation counts once per call);
 *       with histogram buckets from 1 ms to 60 s, for quantiles a monitoring system computes across instances
 *   <li>{@code sluice.queue.wait} (timer): from submission to dispatch in a batch
 *   <li>{@code sluice.batch.size} (distribution summary): inputs per model call
 *   <li>{@code sluice.queue.depth} (gauge): requests waiting for a replica
 *   <li>{@code sluice.in.flight} (gauge): requests admitted and not yet answered (waiting for a replica, or in a
 *       batch a replica runs now)
 *   <li>{@code sluice.queue.delay.bound} (gauge, seconds): the wait a new request may expect before it is refused
 *       ({@code maxQueueDelay}: by default a multiple of the measured time of a batch); NaN while there is none
 *       (not yet measured, or switched off)
 *   <li>{@code sluice.replicas} (gauge): running replicas
 *   <li>{@code sluice.batch.target} (gauge): the batch size the deployment's batch policy aims for with the
 *       cost of each batch size it has measured ({@code CostCurve.targetBatchSize}; with the default adaptive
 *       policy, small where larger batches do not pay, {@code maxBatchSize} where they do)
 *   <li>{@code sluice.rejected} (counter, also tagged {@code reason}: overloaded (a full queue), queue_delay (the
 *       queue ahead would have kept it waiting past its {@code maxQueueDelay} or its deadline), shutdown,
 *       already_expired, deadline): requests refused at admission or expired in the queue
 * </ul>
 * and, for the whole runtime (no tag), its execution budget, the CPUs every model call holds a share of
 * while it runs:
 * <ul>
 *   <li>{@code sluice.budget.cpus} (gauge): the CPUs of the budget
 *   <li>{@code sluice.budget.cpus.used} (gauge): CPUs held by model calls running now
 *   <li>{@code sluice.budget.waiting} (gauge): model calls waiting for CPUs now (their batches are formed; the
 *       wait counts in {@code sluice.queue.wait}, never in a call's time)
 * </ul>
 * It is an observer of the runtime ({@code Sluice.Builder.observer}), so it hears every deployment, those
 * deployed later included; the gauges read the runtime's status when scraped. Meters of a deployment are
 * registered at its first event, or when the registry binds for deployments that exist then.
 */
public final class SluiceMetrics implements BatchObserver, MeterBinder {
    private final Supplier<Sluice> sluice;
    private final Map<String, Meters> meters = new ConcurrentHashMap<>();
    private volatile MeterRegistry registry;

    /** @param sluice the runtime whose status the gauges read; asked only when a gauge is read */
    public SluiceMetrics(Supplier<Sluice> sluice) {
        this.sluice = Objects.requireNonNull(sluice, "sluice");
    }

    @Override
    public void bindTo(MeterRegistry registry) {
        this.registry = registry;
        budgetGauge(registry, "sluice.budget.cpus", "CPUs of the execution budget", SluiceStatus.ResourceStatus::cpus);
        budgetGauge(registry, "sluice.budget.cpus.used", "CPUs of the execution budget held by running model calls",
                SluiceStatus.ResourceStatus::cpusInUse);
        budgetGauge(registry, "sluice.budget.waiting", "Model calls waiting for CPUs of the execution budget",
                SluiceStatus.ResourceStatus::callsWaiting);
        Sluice s = sluice.get();
        if (s != null) {
            s.status().deployments().forEach(d -> meters(d.name()));
        }
    }

    private Meters meters(String deployment) {
        MeterRegistry r = registry;
        if (r == null) {
            return null; // not bound yet: nothing to record into
        }
        return meters.computeIfAbsent(deployment, d -> new Meters(r, d));
    }

    @Override
    public void onBatch(String deployment, int size, long[] queueWaitNanos, long executionNanos, Throwable failure) {
        Meters m = meters(deployment);
        if (m == null) {
            return;
        }
        m.batchSize.record(size);
        Timer latency = failure == null ? m.latencySuccess : m.latencyFailure;
        for (long wait : queueWaitNanos) {
            m.queueWait.record(wait, TimeUnit.NANOSECONDS);
            latency.record(wait + executionNanos, TimeUnit.NANOSECONDS);
        }
    }

    @Override
    public void onRejected(String deployment, Rejection reason) {
        Meters m = meters(deployment);
        if (m != null) {
            m.rejected(reason.name().toLowerCase(Locale.ROOT)).increment();
        }
    }

    @Override
    public void onExpired(String deployment, long queuedNanos) {
        Meters m = meters(deployment);
        if (m != null) {
            m.rejected("deadline").increment();
        }
    }

    private void budgetGauge(MeterRegistry r, String name, String description,
            java.util.function.ToIntFunction<SluiceStatus.ResourceStatus> read) {
        Gauge.builder(name, this, m -> {
            Sluice s = sluice.get();
            return s == null ? Double.NaN : read.applyAsInt(s.status().resources());
        }).description(description).register(r);
    }

    private double status(String deployment, java.util.function.ToIntFunction<SluiceStatus.DeploymentStatus> read) {
        Sluice s = sluice.get();
        SluiceStatus.DeploymentStatus st = s == null ? null
                : s.deployment(deployment).map(DeploymentHandle::status).orElse(null);
        return st == null ? Double.NaN : read.applyAsInt(st);
    }

    private static int inFlight(SluiceStatus.DeploymentStatus d) {
        int running = 0;
        for (SluiceStatus.ReplicaStatus replica : d.replicas()) {
            running += replica.inFlight();
        }
        return d.queueDepth() + running;
    }

    private double queueDelayBoundSeconds(String deployment) {
        Sluice s = sluice.get();
        long bound = s == null ? -1 : s.deployment(deployment).map(d -> d.status().queueDelay().maxQueueDelayNanos())
                .orElse(-1L);
        return bound < 0 ? Double.NaN : bound / 1e9;
    }

    private final class Meters {
        final String deployment;
        final MeterRegistry registry;
        final Timer latencySuccess;
        final Timer latencyFailure;
        final Timer queueWait;
        final DistributionSummary batchSize;
        final Map<String, Counter> rejected = new ConcurrentHashMap<>();

        Meters(MeterRegistry r, String deployment) {
            this.deployment = deployment;
            this.registry = r;
            this.latencySuccess = latency(r, "success");
            this.latencyFailure = latency(r, "failure");
            this.queueWait = Timer.builder("sluice.queue.wait").tag("deployment", deployment)
                    .description("From submission to dispatch in a batch").register(r);
            this.batchSize = DistributionSummary.builder("sluice.batch.size").tag("deployment", deployment)
                    .description("Inputs per model call").register(r);
            Gauge.builder("sluice.queue.depth", this, m -> status(m.deployment, SluiceStatus.DeploymentStatus::queueDepth))
                    .tag("deployment", deployment).description("Requests waiting for a replica").register(r);
            Gauge.builder("sluice.in.flight", this, m -> status(m.deployment, SluiceMetrics::inFlight))
                    .tag("deployment", deployment)
                    .description("Requests admitted and not yet answered: waiting for a replica or in a running batch")
                    .register(r);
            Gauge.builder("sluice.queue.delay.bound", this, m -> queueDelayBoundSeconds(m.deployment))
                    .tag("deployment", deployment).baseUnit("seconds")
                    .description("Expected queue wait past which a new request is refused").register(r);
            Gauge.builder("sluice.replicas", this, m -> status(m.deployment, d -> d.count(ReplicaState.RUNNING)))
                    .tag("deployment", deployment).description("Running replicas").register(r);
            Gauge.builder("sluice.batch.target", this,
                            m -> status(m.deployment, d -> d.costCurve().targetBatchSize()))
                    .tag("deployment", deployment)
                    .description("The batch size the batch policy aims for with the measured cost of each size")
                    .register(r);
        }

        private Timer latency(MeterRegistry r, String outcome) {
            // Histogram buckets (1 ms to 60 s) so that a Prometheus server can take quantiles across pods and time.
            return Timer.builder("sluice.request.latency").tag("deployment", deployment).tag("outcome", outcome)
                    .publishPercentileHistogram().minimumExpectedValue(Duration.ofMillis(1))
                    .maximumExpectedValue(Duration.ofSeconds(60))
                    .description("From submission to the end of the model call that answered it").register(r);
        }

        Counter rejected(String reason) {
            return rejected.computeIfAbsent(reason, why -> Counter.builder("sluice.rejected")
                    .tag("deployment", deployment).tag("reason", why)
                    .description("Requests refused at admission or expired in the queue").register(registry));
        }
    }
}
