package dev.sluice;

import java.util.Locale;

/**
 * What one replica of a deployment asks for: the CPUs each of its model calls holds, a share of a GPU or
 * several whole GPUs, and optionally GPU memory. Immutable; built through {@link Builder}, e.g.
 * {@code r -> r.cpus(1).gpus(0.25)}.
 *
 * <p>CPUs are not placed: each model call holds {@link #cpus()} of the runtime's execution budget
 * ({@link Resources#cpus()}) from just before {@code Model.predict} until it returns, waiting for them if the
 * budget is in use; a replica holds none while idle, so replicas are cheap. They are also the model's thread
 * count ({@link ModelContext#cpuThreads()}). 0 is for models that do not compute on this machine's CPUs
 * (I/O-bound, remote): their calls never wait. GPU shares and memory are placed: a replica holds them for its
 * life, and waits, pending, while they are taken.
 *
 * <p>A fraction of a GPU ({@code 0 < gpus < 1}) shares that device with other fractional replicas; a
 * whole number of GPUs gives the replica that many devices to itself. Without an explicit
 * {@code gpuMemory}, a fractional replica's memory limit is its fraction of the device's memory.
 */
public final class ReplicaResources {
    /** GPU fractions are exact to a thousandth. */
    static final int MILLI = 1000;

    private final int cpus;
    private final int burstCpus;
    private final int gpuMilli;
    private final long gpuMemoryBytes;

    private ReplicaResources(int cpus, int burstCpus, int gpuMilli, long gpuMemoryBytes) {
        this.cpus = cpus;
        this.burstCpus = burstCpus;
        this.gpuMilli = gpuMilli;
        this.gpuMemoryBytes = gpuMemoryBytes;
    }

    /** One CPU per call, no GPU. */
    public static ReplicaResources defaults() {
        return new ReplicaResources(1, 1, 0, 0);
    }

    public static Builder builder() {
        return new Builder();
    }

    /** CPUs of the execution budget each model call holds while it runs (0: it never waits). */
    public int cpus() {
        return cpus;
    }

    /**
     * CPUs a model call may use when the budget has idle ones and nothing else waits (no call, no queued request): at least
     * {@link #cpus()}; equal to it unless {@link Builder#burstCpus} raised it.
     */
    public int burstCpus() {
        return burstCpus;
    }

    /** GPUs asked for: 0, a fraction below 1, or a whole number. */
    public double gpus() {
        return gpuMilli / (double) MILLI;
    }

    /** GPU memory asked for per device, or 0 for "the fraction's share" (whole GPUs: all of it). */
    public long gpuMemoryBytes() {
        return gpuMemoryBytes;
    }

    int gpuMilli() {
        return gpuMilli;
    }

    boolean fractionalGpu() {
        return gpuMilli > 0 && gpuMilli < MILLI;
    }

    int wholeGpus() {
        return gpuMilli >= MILLI ? gpuMilli / MILLI : 0;
    }

    @Override
    public String toString() {
        return cpus + " CPU" + (burstCpus > cpus ? " (up to " + burstCpus + " when idle)" : "") + (gpuMilli == 0 ? "" : ", " + formatGpus(gpuMilli) + " GPU")
                + (gpuMemoryBytes == 0 ? "" : ", " + formatBytes(gpuMemoryBytes) + " GPU memory");
    }

    static String formatGpus(int milli) {
        return milli % MILLI == 0 ? String.valueOf(milli / MILLI) : String.valueOf(milli / (double) MILLI);
    }

    static String formatBytes(long bytes) {
        double gib = bytes / (1024.0 * 1024 * 1024);
        return gib >= 1 ? String.format(Locale.ROOT, "%.1f GiB", gib)
                : String.format(Locale.ROOT, "%.0f MiB", bytes / (1024.0 * 1024));
    }

    /** Builds {@link ReplicaResources}; setters validate at once and name the field they reject. */
    public static final class Builder {
        private int cpus = 1;
        private int burstCpus;
        private int gpuMilli;
        private long gpuMemoryBytes;

        private Builder() {}

        /**
         * CPUs of the execution budget each model call holds while it runs, at least 0 (0: calls never wait,
         * for models that do not compute on this machine's CPUs). Default 1.
         */
        public Builder cpus(int cpus) {
            if (cpus < 0) {
                throw new IllegalArgumentException("cpus must not be negative, was " + cpus);
            }
            this.cpus = cpus;
            return this;
        }

        /**
         * CPUs a model call may borrow in all when the execution budget has idle ones as the call starts and
         * nothing else waits for them (no call, no request in any deployment's queue), for a model that finishes sooner with more threads (ONNX Runtime opens a second
         * session with this many intra-op threads; see {@link dev.sluice.batching.BatchCall#cpus()}). The call
         * keeps what it borrowed until it returns, so a call arriving meanwhile waits for it: worth it only where
         * more threads shorten a call a lot (a large convolutional model), and measured, not assumed. Default:
         * {@code cpus} (never borrows); at least {@code cpus}, checked at {@link #build()}.
         */
        public Builder burstCpus(int burstCpus) {
            if (burstCpus < 1) {
                throw new IllegalArgumentException("burstCpus must be at least 1, was " + burstCpus);
            }
            this.burstCpus = burstCpus;
            return this;
        }

        /**
         * GPUs per replica: 0, a fraction in (0, 1) with at most three decimals (shares one device), or a
         * whole number (that many devices to itself).
         */
        public Builder gpus(double gpus) {
            if (!(gpus >= 0) || Double.isInfinite(gpus)) {
                throw new IllegalArgumentException("gpus must be 0, a fraction below 1 or a whole number, was " + gpus);
            }
            if (gpus > 1 && gpus != Math.rint(gpus)) {
                throw new IllegalArgumentException("gpus above 1 must be a whole number (a replica gets whole devices"
                        + " or a share of one), was " + gpus);
            }
            if (gpus > 1024) {
                throw new IllegalArgumentException("gpus must be at most 1024, was " + gpus);
            }
            double milli = gpus * MILLI;
            if (Math.abs(milli - Math.rint(milli)) > 1e-6) {
                throw new IllegalArgumentException("gpus is exact to a thousandth, was " + gpus);
            }
            this.gpuMilli = (int) Math.rint(milli);
            return this;
        }

        /** GPU memory per device the replica needs, at least 0 (0: its fraction's share). Default 0. */
        public Builder gpuMemory(long bytes) {
            if (bytes < 0) {
                throw new IllegalArgumentException("gpuMemory must not be negative, was " + bytes);
            }
            this.gpuMemoryBytes = bytes;
            return this;
        }

        /** @throws IllegalArgumentException if GPU memory is asked for without a GPU */
        public ReplicaResources build() {
            if (gpuMemoryBytes > 0 && gpuMilli == 0) {
                throw new IllegalArgumentException("gpuMemory needs gpus > 0 (it is memory on the replica's GPU)");
            }
            if (burstCpus != 0 && burstCpus < cpus) {
                throw new IllegalArgumentException("burstCpus (" + burstCpus + ") must not be below cpus (" + cpus + ")");
            }
            return new ReplicaResources(cpus, Math.max(cpus, burstCpus), gpuMilli, gpuMemoryBytes);
        }
    }
}
