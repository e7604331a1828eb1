package dev.sluice;

import java.util.List;
import java.util.ServiceLoader;

/**
 * Where the runtime learns which GPUs exist. The {@code sluice-gpu} module provides one that asks the
 * driver; tests and machines without GPUs use {@link #of} and {@link #none}.
 *
 * <p>Implementations must not throw when there is no GPU or no driver: they return an empty list.
 */
@FunctionalInterface
public interface GpuInventory {

    /** The GPUs visible to this process, in index order; empty when there are none. */
    List<GpuDevice> devices();

    /** An inventory with no GPUs. */
    static GpuInventory none() {
        return List::of;
    }

    /** A fixed, hand-written inventory (tests, or a deployment that pins its devices). */
    static GpuInventory of(GpuDevice... devices) {
        List<GpuDevice> list = List.of(devices);
        return () -> list;
    }

    /**
     * The first inventory registered as a {@link ServiceLoader} provider of this interface (the
     * {@code sluice-gpu} module registers one), or {@link #none()} when there is none on the class path.
     */
    static GpuInventory discovered() {
        return ServiceLoader.load(GpuInventory.class).findFirst().orElseGet(GpuInventory::none);
    }
}
