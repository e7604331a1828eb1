package dev.sluice;

import java.util.List;
import java.util.Objects;

/**
 * Where one replica was placed: its share of each GPU it uses, held for the replica's life, and the CPUs
 * each of its model calls holds of the runtime's execution budget while it runs (a replica holds no CPU
 * while idle). A replica without GPUs has an empty {@link #gpus()} list.
 *
 * @param cpus CPUs each model call holds of the execution budget
 * @param burstCpus CPUs a model call may use when the budget lends it idle ones ({@link ReplicaResources#burstCpus()}),
 *     at least {@code cpus}
 * @param gpus the GPU shares held, in device order
 */
public record Placement(int cpus, int burstCpus, List<GpuShare> gpus) {
    public Placement {
        if (cpus < 0) {
            throw new IllegalArgumentException("cpus must not be negative, was " + cpus);
        }
        if (burstCpus < cpus) {
            throw new IllegalArgumentException("burstCpus (" + burstCpus + ") must not be below cpus (" + cpus + ")");
        }
        gpus = List.copyOf(Objects.requireNonNull(gpus, "gpus"));
    }

    /** A placement whose calls never borrow idle CPUs. */
    public Placement(int cpus, List<GpuShare> gpus) {
        this(cpus, cpus, gpus);
    }

    /**
     * A share of one GPU.
     *
     * @param device the GPU
     * @param fraction the share of its compute, in (0, 1]
     * @param memoryBytes the memory the replica may use on it
     */
    public record GpuShare(GpuDevice device, double fraction, long memoryBytes) {
        public GpuShare {
            Objects.requireNonNull(device, "device");
        }
    }

    @Override
    public String toString() {
        StringBuilder s = new StringBuilder().append(cpus).append(" CPU");
        if (burstCpus > cpus) {
            s.append(" (up to ").append(burstCpus).append(" when idle)");
        }
        for (GpuShare g : gpus) {
            s.append(", ").append(ReplicaResources.formatGpus((int) Math.round(g.fraction() * ReplicaResources.MILLI)))
                    .append(" of ").append(g.device().label()).append(" (")
                    .append(ReplicaResources.formatBytes(g.memoryBytes())).append(')');
        }
        return s.toString();
    }
}
