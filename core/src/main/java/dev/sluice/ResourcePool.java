package dev.sluice;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Hands out GPU shares (and GPU memory) of a {@link Resources} to replicas, and takes them back. CPUs are not
 * placed: a replica holds none while it waits; each of its model calls holds CPU tokens of the runtime's
 * {@link ExecutionBudget} while it runs. A placement still says how many CPUs each call asks for.
 *
 * <p>Fractional requests are packed best-fit: onto the GPU with the least free share that still fits,
 * so that whole devices stay free for replicas that need them. A request that does not fit gets a
 * reason that says what it needs and what is free, for the status ("needs 0.5 GPU, largest free fraction
 * is 0.25 on gpu:1"). GPU shares are counted in thousandths, so packing is exact.
 *
 * <p>Thread-safe: all methods are synchronized (placement is rare and cheap).
 */
final class ResourcePool {
    private final Resources resources;
    private final List<GpuDevice> gpus;
    private final int[] freeMilli;
    private final long[] freeMemory;

    ResourcePool(Resources resources) {
        this.resources = Objects.requireNonNull(resources, "resources");
        this.gpus = resources.gpus();
        this.freeMilli = new int[gpus.size()];
        this.freeMemory = new long[gpus.size()];
        for (int i = 0; i < gpus.size(); i++) {
            freeMilli[i] = ReplicaResources.MILLI;
            freeMemory[i] = gpus.get(i).memoryBytes();
        }
    }

    /** The result of asking for a placement: a placement, or the reason there is none now. */
    record Outcome(Placement placement, String pendingReason) {
        boolean placed() {
            return placement != null;
        }
    }

    synchronized Outcome place(ReplicaResources request) {
        Objects.requireNonNull(request, "request");
        if (request.gpuMilli() == 0) {
            return new Outcome(new Placement(request.cpus(), request.burstCpus(), List.of()), null);
        }
        if (gpus.isEmpty()) {
            return pending("needs " + ReplicaResources.formatGpus(request.gpuMilli()) + " GPU, but the runtime has no GPUs");
        }
        return request.fractionalGpu() ? placeFraction(request) : placeWhole(request);
    }

    private Outcome placeFraction(ReplicaResources request) {
        int milli = request.gpuMilli();
        int best = -1;
        int largestFree = -1;
        int largestAt = -1;
        for (int i = 0; i < gpus.size(); i++) {
            if (freeMilli[i] > largestFree) {
                largestFree = freeMilli[i];
                largestAt = i;
            }
            if (freeMilli[i] >= milli && freeMemory[i] >= memoryFor(request, i)
                    && (best < 0 || freeMilli[i] < freeMilli[best])) {
                best = i;
            }
        }
        String needs = "needs " + ReplicaResources.formatGpus(milli) + " GPU";
        if (best < 0) {
            if (largestFree < milli) {
                return pending(needs + (largestFree == 0 ? ", every GPU is fully taken"
                        : ", largest free fraction is " + ReplicaResources.formatGpus(largestFree) + " on "
                                + gpus.get(largestAt).label()));
            }
            int roomiest = roomiestWithShare(milli);
            return pending(needs + " with " + ReplicaResources.formatBytes(memoryFor(request, roomiest)) + " memory, "
                    + gpus.get(roomiest).label() + " has " + ReplicaResources.formatGpus(freeMilli[roomiest])
                    + " free but only " + ReplicaResources.formatBytes(freeMemory[roomiest]) + " memory free");
        }
        long memory = memoryFor(request, best);
        freeMilli[best] -= milli;
        freeMemory[best] -= memory;
        return new Outcome(new Placement(request.cpus(), request.burstCpus(), List.of(new Placement.GpuShare(gpus.get(best),
                milli / (double) ReplicaResources.MILLI, memory))), null);
    }

    /** Among GPUs with at least {@code milli} free, the one with the most free memory. */
    private int roomiestWithShare(int milli) {
        int at = -1;
        for (int i = 0; i < gpus.size(); i++) {
            if (freeMilli[i] >= milli && (at < 0 || freeMemory[i] > freeMemory[at])) {
                at = i;
            }
        }
        return at;
    }

    private Outcome placeWhole(ReplicaResources request) {
        int n = request.wholeGpus();
        String needs = "needs " + n + " whole GPU" + (n == 1 ? "" : "s");
        if (n > gpus.size()) {
            return pending(needs + ", the runtime has " + gpus.size());
        }
        List<Integer> free = new ArrayList<>();
        List<String> freeLabels = new ArrayList<>();
        for (int i = 0; i < gpus.size(); i++) {
            boolean whole = freeMilli[i] == ReplicaResources.MILLI && freeMemory[i] == gpus.get(i).memoryBytes();
            if (whole) {
                freeLabels.add(gpus.get(i).label());
                if (gpus.get(i).memoryBytes() >= request.gpuMemoryBytes()) {
                    free.add(i);
                }
            }
        }
        if (free.size() < n) {
            String what = freeLabels.isEmpty() ? "none is fully free"
                    : freeLabels.size() + " fully free (" + String.join(", ", freeLabels) + ")";
            if (request.gpuMemoryBytes() > 0 && free.size() < freeLabels.size()) {
                what += ", " + (freeLabels.size() - free.size()) + " of them with less than "
                        + ReplicaResources.formatBytes(request.gpuMemoryBytes()) + " memory";
            }
            return pending(needs + ", " + what);
        }
        List<Placement.GpuShare> shares = new ArrayList<>(n);
        for (int k = 0; k < n; k++) {
            int i = free.get(k);
            shares.add(new Placement.GpuShare(gpus.get(i), 1.0, gpus.get(i).memoryBytes()));
            freeMilli[i] = 0;
            freeMemory[i] = 0;
        }
        return new Outcome(new Placement(request.cpus(), request.burstCpus(), shares), null);
    }

    private long memoryFor(ReplicaResources request, int gpu) {
        if (request.gpuMemoryBytes() > 0) {
            return request.gpuMemoryBytes();
        }
        return Math.multiplyExact(gpus.get(gpu).memoryBytes(), (long) request.gpuMilli()) / ReplicaResources.MILLI;
    }

    /** Gives a placement's GPU shares back. */
    synchronized void release(Placement placement) {
        for (Placement.GpuShare share : placement.gpus()) {
            int i = gpus.indexOf(share.device());
            if (i < 0) {
                throw new IllegalArgumentException("placement holds " + share.device().label() + ", not in this pool");
            }
            freeMilli[i] += (int) Math.round(share.fraction() * ReplicaResources.MILLI);
            freeMemory[i] += share.memoryBytes();
        }
    }

    /**
     * Why {@code request} could never be placed, even on an empty pool (so it would stay pending forever),
     * naming the field; or null if it fits an empty pool.
     */
    String neverFits(ReplicaResources request) {
        if (request.cpus() > resources.cpus()) {
            return "resources.cpus: each model call needs " + request.cpus() + " CPUs of the execution budget, "
                    + "the runtime has " + resources.cpus();
        }
        if (request.gpuMilli() == 0) {
            return null;
        }
        if (gpus.isEmpty()) {
            return "resources.gpus: each replica needs " + ReplicaResources.formatGpus(request.gpuMilli())
                    + " GPU, the runtime has no GPUs";
        }
        if (request.wholeGpus() > gpus.size()) {
            return "resources.gpus: each replica needs " + request.wholeGpus() + " GPUs, the runtime has " + gpus.size();
        }
        long largest = gpus.stream().mapToLong(GpuDevice::memoryBytes).max().orElse(0);
        if (request.gpuMemoryBytes() > largest) {
            return "resources.gpuMemory: each replica needs " + ReplicaResources.formatBytes(request.gpuMemoryBytes())
                    + " on a GPU, the largest GPU has " + ReplicaResources.formatBytes(largest);
        }
        return null;
    }

    /** Free share of each GPU, in thousandths, in device order. */
    synchronized int[] freeGpuMilli() {
        return freeMilli.clone();
    }

    private static Outcome pending(String reason) {
        return new Outcome(null, reason);
    }
}
