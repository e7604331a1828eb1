package dev.sluice;

import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * An immutable snapshot of a runtime: its resources, and per deployment its replicas, queue, autoscaler
 * decision and why, and why a replica is pending or could not start. Made of records, strings, numbers
 * and lists, so it serializes as JSON as it is; {@link #toString()} is a stable, readable text for logs.
 *
 * @param resources what the runtime may use and what is free
 * @param deployments every deployment, in the order deployed
 */
public record SluiceStatus(ResourceStatus resources, List<DeploymentStatus> deployments) {
    /** The states a replica in a snapshot can be in. */
    static final List<String> REPLICA_STATES = List.of("PENDING", "STARTING", "RUNNING", "DRAINING");

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
     * @param cpus CPU slots in all
     * @param freeCpus CPU slots no replica holds
     * @param gpus each GPU and its free share
     */
    public record ResourceStatus(int cpus, int freeCpus, List<GpuStatus> gpus) {
        public ResourceStatus {
            gpus = List.copyOf(gpus);
        }

        @Override
        public String toString() {
            StringBuilder s = new StringBuilder().append(freeCpus).append(" of ").append(cpus).append(" CPU slots free");
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
     * @param state {@code serving}, {@code starting}, {@code updating to vN}, {@code not starting} (the
     *     model factory failed {@code startAttempts} times in a row; see {@code startFailure}) or
     *     {@code closed}
     * @param minReplicas lower bound of the autoscaler
     * @param maxReplicas upper bound of the autoscaler
     * @param targetReplicas replicas wanted now
     * @param queueDepth requests waiting for a replica
     * @param autoscaler the autoscaler's last action ({@code hold}, {@code scale up}, ...)
     * @param autoscalerReason what it measured and why it acted so
     * @param replicas every replica, with its state
     * @param startFailure the last failure of the model factory, or null
     */
    public record DeploymentStatus(String name, int version, String state, int minReplicas, int maxReplicas,
            int targetReplicas, int queueDepth, String autoscaler, String autoscalerReason,
            List<ReplicaStatus> replicas, StartFailure startFailure) {
        public DeploymentStatus {
            replicas = List.copyOf(replicas);
        }

        /**
         * Replicas in a given state: {@code PENDING}, {@code STARTING}, {@code RUNNING} or {@code DRAINING}.
         *
         * @throws IllegalArgumentException for any other name (so a typo is not silently 0)
         */
        public int count(String replicaState) {
            if (!REPLICA_STATES.contains(replicaState)) {
                throw new IllegalArgumentException("replica state must be one of " + REPLICA_STATES + ", was " + replicaState);
            }
            return (int) replicas.stream().filter(r -> r.state().equals(replicaState)).count();
        }

        @Override
        public String toString() {
            return name + " v" + version + " " + state + ": " + replicas.size() + " replica(s), target "
                    + targetReplicas + " (min " + minReplicas + ", max " + maxReplicas + "), queue " + queueDepth
                    + "; autoscaler " + autoscaler + ": " + autoscalerReason;
        }
    }

    /**
     * @param id the replica's id, e.g. {@code recognizer#3}
     * @param version the deployment version it serves
     * @param state {@code PENDING} (waiting for resources), {@code STARTING}, {@code RUNNING},
     *     {@code DRAINING} (finishing its batch before it stops)
     * @param placement where it runs, or null while pending
     * @param pendingReason why it cannot be placed now, or null
     * @param inFlight requests in its running batch(es)
     * @param batches batches it has run
     * @param meanBatchSize mean size of those batches
     * @param lastError its model's last failure, or null
     */
    public record ReplicaStatus(String id, int version, String state, String placement, String pendingReason,
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
