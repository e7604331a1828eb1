package dev.sluice;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * What the runtime may use: a number of CPUs and a set of GPUs.
 *
 * <p>The CPUs are the runtime's execution budget: each model call holds its deployment's
 * {@link ReplicaResources#cpus()} of them while it runs, so no more calls run at once than there are CPUs,
 * however many replicas exist (calls of older requests go first). Replicas are not placed on CPUs: any number
 * may exist. The GPUs are placed: a replica holds its GPU share for its life; one that does not fit waits,
 * pending, with the reason in the status.
 *
 * <p>Immutable and thread-safe.
 */
public final class Resources {
    private final int cpus;
    private final List<GpuDevice> gpus;

    private Resources(int cpus, List<GpuDevice> gpus) {
        this.cpus = cpus;
        this.gpus = List.copyOf(gpus);
    }

    /**
     * This machine: a budget of one CPU per available processor, and the GPUs of {@link GpuInventory#discovered()}
     * (none unless a GPU inventory, such as the one in {@code sluice-gpu}, is on the class path).
     */
    public static Resources detect() {
        return builder().cpus(Runtime.getRuntime().availableProcessors()).gpus(GpuInventory.discovered()).build();
    }

    public static Builder builder() {
        return new Builder();
    }

    /** The CPUs of the execution budget: how many model calls of one CPU run at once, at most. */
    public int cpus() {
        return cpus;
    }

    /** GPUs replicas may be placed on, in index order. */
    public List<GpuDevice> gpus() {
        return gpus;
    }

    @Override
    public String toString() {
        StringBuilder s = new StringBuilder("Resources[cpus=").append(cpus).append(", gpus=[");
        for (int i = 0; i < gpus.size(); i++) {
            GpuDevice g = gpus.get(i);
            s.append(i == 0 ? "" : ", ").append(g.label()).append(' ').append(g.name()).append(' ')
                    .append(ReplicaResources.formatBytes(g.memoryBytes()));
        }
        return s.append("]]").toString();
    }

    /** Builds {@link Resources}; setters validate at once and name the field they reject. */
    public static final class Builder {
        private int cpus = Runtime.getRuntime().availableProcessors();
        private final List<GpuDevice> gpus = new ArrayList<>();

        private Builder() {}

        /** The CPUs of the execution budget, at least 1. Default: the available processors. */
        public Builder cpus(int cpus) {
            if (cpus < 1) {
                throw new IllegalArgumentException("cpus must be at least 1, was " + cpus);
            }
            this.cpus = cpus;
            return this;
        }

        /** Adds one GPU. */
        public Builder gpu(GpuDevice gpu) {
            gpus.add(Objects.requireNonNull(gpu, "gpu"));
            return this;
        }

        /** Adds every GPU of {@code inventory}. */
        public Builder gpus(GpuInventory inventory) {
            Objects.requireNonNull(inventory, "inventory");
            for (GpuDevice g : Objects.requireNonNull(inventory.devices(), "inventory.devices()")) {
                gpu(g);
            }
            return this;
        }

        /** @throws IllegalArgumentException if two GPUs share an index */
        public Resources build() {
            Set<Integer> seen = new HashSet<>();
            for (GpuDevice g : gpus) {
                if (!seen.add(g.index())) {
                    throw new IllegalArgumentException("gpus: index " + g.index() + " appears twice");
                }
            }
            List<GpuDevice> sorted = new ArrayList<>(gpus);
            sorted.sort((a, b) -> Integer.compare(a.index(), b.index()));
            return new Resources(cpus, List.copyOf(sorted));
        }
    }
}
