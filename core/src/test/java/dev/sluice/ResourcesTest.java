package dev.sluice;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class ResourcesTest {
    private static final long GIB = 1024L * 1024 * 1024;

    @Test
    void detectCountsThisMachinesProcessorsAndFindsNoGpuWithoutAnInventoryOnTheClassPath() {
        Resources r = Resources.detect();
        assertEquals(Runtime.getRuntime().availableProcessors(), r.cpus());
        assertEquals(List.of(), r.gpus());
    }

    @Test
    void gpusAreKeptInIndexOrder() {
        GpuDevice a = new GpuDevice(1, "", "B", GIB);
        GpuDevice b = new GpuDevice(0, "", "A", GIB);
        Resources r = Resources.builder().cpus(4).gpus(GpuInventory.of(a, b)).build();
        assertEquals(List.of(b, a), r.gpus());
        assertEquals("Resources[cpus=4, gpus=[gpu:0 A 1.0 GiB, gpu:1 B 1.0 GiB]]", r.toString());
    }

    @Test
    void twoGpusWithOneIndexAreRejected() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Resources.builder()
                .gpu(new GpuDevice(0, "", "A", GIB)).gpu(new GpuDevice(0, "", "B", GIB)).build());
        assertTrue(e.getMessage().startsWith("gpus: index 0"), e.getMessage());
    }

    @Test
    void nonsenseIsRejectedNamingTheField() {
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Resources.builder().cpus(0))
                .getMessage().startsWith("cpus "));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> new GpuDevice(-1, "", "x", GIB))
                .getMessage().startsWith("index "));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> new GpuDevice(0, "", "x", 0))
                .getMessage().startsWith("memoryBytes "));
    }
}
