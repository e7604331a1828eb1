package dev.sluice;

import java.util.Objects;

/**
 * One GPU the runtime may place replicas on.
 *
 * @param index the device index the driver uses ({@code CUDA_VISIBLE_DEVICES} order), at least 0
 * @param uuid the driver's stable identifier, or the empty string when unknown
 * @param name the product name, for status and logs
 * @param memoryBytes total memory, more than 0
 */
public record GpuDevice(int index, String uuid, String name, long memoryBytes) {
    public GpuDevice {
        if (index < 0) {
            throw new IllegalArgumentException("index must not be negative, was " + index);
        }
        Objects.requireNonNull(uuid, "uuid");
        Objects.requireNonNull(name, "name");
        if (memoryBytes <= 0) {
            throw new IllegalArgumentException("memoryBytes must be positive, was " + memoryBytes);
        }
    }

    /** How status messages name this device: {@code gpu:<index>}. */
    public String label() {
        return "gpu:" + index;
    }
}
