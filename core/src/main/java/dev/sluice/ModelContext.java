package dev.sluice;

import java.util.Objects;
import java.util.Optional;

/**
 * What a model learns about the replica it serves: names, and where it was placed (the CPUs each of its
 * calls holds, GPU share and memory limit), so it can size its thread pools and device memory.
 *
 * @param deployment the deployment's name
 * @param replicaId the replica's id, unique within the runtime (e.g. {@code "recognizer#2"})
 * @param placement the CPUs each call holds of the execution budget, and the GPU shares the replica holds
 */
public record ModelContext(String deployment, String replicaId, Placement placement) {
    public ModelContext {
        Objects.requireNonNull(deployment, "deployment");
        Objects.requireNonNull(replicaId, "replicaId");
        Objects.requireNonNull(placement, "placement");
    }

    /** Threads the model should use for CPU work: the CPUs each of its calls holds, at least 1. */
    public int cpuThreads() {
        return Math.max(1, placement.cpus());
    }

    /**
     * Most threads one call may use for CPU work: {@link #cpuThreads()}, or more when the deployment lets its
     * calls borrow idle CPUs ({@link ReplicaResources.Builder#burstCpus}). Which a given call got is
     * {@link dev.sluice.batching.BatchCall#cpus()}; a model that can run wider (a second ONNX Runtime session
     * with more intra-op threads) prepares for this many at start.
     */
    public int burstCpuThreads() {
        return Math.max(cpuThreads(), placement.burstCpus());
    }

    /** The replica's share of its first GPU, or empty for a CPU-only replica. */
    public Optional<Placement.GpuShare> gpu() {
        return placement.gpus().isEmpty() ? Optional.empty() : Optional.of(placement.gpus().get(0));
    }

    /** GPU memory the model may use on its first GPU, or 0 for a CPU-only replica. */
    public long gpuMemoryLimitBytes() {
        return gpu().map(Placement.GpuShare::memoryBytes).orElse(0L);
    }

    /** A context for a CPU-only replica whose calls each hold one CPU: for unit tests of a model on its own. */
    public static ModelContext forTest(String deployment) {
        return new ModelContext(deployment, deployment + "#0", new Placement(1, java.util.List.of()));
    }
}
