package dev.sluice;

import dev.sluice.batching.CostCurve;
import dev.sluice.batching.QueueDelayStatus;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * An immutable snapshot of a runtime: its resources, and per deployment its replicas, queue, measured batch
 * cost and target batch size, autoscaler decision and why, and why a replica is pending or could not start.
 * Made of records, enums, strings, numbers and lists, so it serializes as JSON as it is (enums as their
 * names); {@link #toString()} is a stable, readable text for logs.
 *
 * @param resources what the runtime may use and what is free
 * @param deployments every deployment, in the order deployed
 */
public record SluiceStatus(ResourceStatus resources, List<DeploymentStatus> deployments) {
    public SluiceStatus {
        Objects.requireNonNull(resources, "resources");
        deployments = List.copyOf(deployments);
    }

    /** The deployment named {@code name}, or null. */
    public DeploymentStatus deployment(String name) {
        for (DeploymentStatus d : deployments) {
            if (d.name().equals(name)) {
                return d;
            }
        }
        return null;
    }

    @Override
    public String toString() {
        StringBuilder s = new StringBuilder("sluice: ").append(resources);
        for (DeploymentStatus d : deployments) {
            s.append('\n').append("  ").append(d);
            for (ReplicaStatus r : d.replicas()) {
                s.append('\n').append("    ").append(r);
            }
            if (d.startFailure() != null) {
                s.append('\n').append("    ").append(d.startFailure());
            }
        }
        return s.toString();
    }

    /**
     * @param cpus the CPUs of the execution budget, which every model call holds a share of while it runs
     * @param cpusInUse CPUs held by model calls running now
     * @param callsWaiting model calls waiting for CPUs of the budget now
     * @param budgetWaitNanos how long model calls have waited for the budget in all, since the runtime started
     * @param gpus each GPU and its free share
     */
    public record ResourceStatus(int cpus, int cpusInUse, int callsWaiting, long budgetWaitNanos,
            List<GpuStatus> gpus) {
        public ResourceStatus {
            gpus = List.copyOf(gpus);
        }

        @Override
        public String toString() {
            StringBuilder s = new StringBuilder("budget: ").append(cpusInUse).append(" of ").append(cpus)
                    .append(" CPUs in use, ").append(callsWaiting).append(callsWaiting == 1 ? " call" : " calls")
                    .append(" waiting");
            for (GpuStatus g : gpus) {
                s.append(", ").append(g);
            }
            return s.toString();
        }
    }

    /**
     * @param device its label, e.g. {@code gpu:0}
     * @param name the device's name
     * @param free the share of it no replica holds, in [0, 1]
     * @param memoryBytes its memory
     */
    public record GpuStatus(String device, String name, double free, long memoryBytes) {
        @Override
        public String toString() {
            return String.format(Locale.ROOT, "%s %.3f free", device, free);
        }
    }

    /**
     * @param name the deployment's name
     * @param version 1 when deployed, +1 per update
     * @param state what it is doing (see {@link DeploymentState} for each)
     * @param updatingTo the version an update in progress moves to while {@code state} is
     *     {@link DeploymentState#UPDATING}, otherwise null
     * @param stateDetail the state in words, with what lies behind it (how many replicas run or start, why
     *     replicas wait for resources, the last start failure), for people and logs, not for parsing
     * @param minReplicas lower bound of the autoscaler
     * @param maxReplicas upper bound of the autoscaler
     * @param targetReplicas replicas wanted now
     * @param queueDepth requests waiting for a replica
     * @param autoscaler the autoscaler's last action
     * @param autoscalerReason what it measured and why it acted so
     * @param replicas every replica, with its state
     * @param startFailure the last failure of the model factory, or null
     * @param costCurve what a model call of the serving version costs by batch size, as measured over its
     *     calls, and the batch size its policy aims for ({@link CostCurve#targetBatchSize()})
     * @param queueDelay the serving version's admission by expected queue delay: its bound, the wait a request
     *     submitted now could expect, and how many requests it refused ({@link Batching.Builder#maxQueueDelay})
     */
    public record DeploymentStatus(String name, int version, DeploymentState state, Integer updatingTo,
            String stateDetail, int minReplicas, int maxReplicas, int targetReplicas, int queueDepth,
            AutoscalerAction autoscaler, String autoscalerReason, List<ReplicaStatus> replicas,
            StartFailure startFailure, CostCurve costCurve, QueueDelayStatus queueDelay) {
        public DeploymentStatus {
            Objects.requireNonNull(state, "state");
            Objects.requireNonNull(autoscaler, "autoscaler");
            Objects.requireNonNull(costCurve, "costCurve");
            Objects.requireNonNull(queueDelay, "queueDelay");
            replicas = List.copyOf(replicas);
        }

        /** Replicas in {@code state}. */
        public int count(ReplicaState state) {
            Objects.requireNonNull(state, "state");
            return (int) replicas.stream().filter(r -> r.state() == state).count();
        }

        @Override
        public String toString() {
            return name + " v" + version + " " + words(state) + (updatingTo == null ? "" : " to v" + updatingTo)
                    + " (" + stateDetail + "): " + replicas.size() + " replica(s), target " + targetReplicas
                    + " (min " + minReplicas + ", max " + maxReplicas + "), queue " + queueDepth + "; autoscaler "
                    + words(autoscaler) + ": " + autoscalerReason + "; batch size " + costCurve + "; " + queueDelay;
        }
    }

    private static String words(Enum<?> e) {
        return e.name().toLowerCase(Locale.ROOT).replace('_', ' ');
    }

    /**
     * @param id the replica's id, e.g. {@code recognizer#3}
     * @param version the deployment version it serves
     * @param state where it is in its life (see {@link ReplicaState} for each)
     * @param placement where it runs, or null while pending
     * @param pendingReason why it cannot be placed now, or null
     * @param inFlight requests in its running batch(es)
     * @param batches batches it has run
     * @param meanBatchSize mean size of those batches
     * @param lastError its model's last failure, or null
     */
    public record ReplicaStatus(String id, int version, ReplicaState state, String placement, String pendingReason,
            int inFlight, long batches, double meanBatchSize, String lastError) {
        @Override
        public String toString() {
            StringBuilder s = new StringBuilder(id).append(" v").append(version).append(' ').append(state);
            if (placement != null) {
                s.append(" on ").append(placement);
            }
            if (pendingReason != null) {
                s.append(": ").append(pendingReason);
            }
            s.append(String.format(Locale.ROOT, "; in flight %d, %d batches, mean batch %.1f", inFlight, batches,
                    meanBatchSize));
            if (lastError != null) {
                s.append("; last error: ").append(lastError);
            }
            return s.toString();
        }
    }

    /**
     * A model factory failure, with the model's own exception.
     *
     * @param replica the replica being started
     * @param attempts consecutive failed attempts so far
     * @param error the exception's class and message
     * @param stackTrace the exception's full stack trace, causes included
     */
    public record StartFailure(String replica, int attempts, String error, String stackTrace) {
        @Override
        public String toString() {
            return "start failure of " + replica + " (" + attempts + " attempt(s) in a row): " + error;
        }
    }
}
