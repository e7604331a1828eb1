package dev.sluice;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ReplicaResourcesTest {

    @ParameterizedTest(name = "gpus({0})")
    @ValueSource(doubles = {-0.25, 1.5, 2.25, 0.0001, Double.NaN, Double.POSITIVE_INFINITY})
    void nonsenseGpuCountsAreRejectedNamingTheField(double gpus) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ReplicaResources.builder().gpus(gpus));
        assertTrue(e.getMessage().startsWith("gpus "), e.getMessage());
    }

    @Test
    void fractionsWholeNumbersAndZeroAreAccepted() {
        for (double g : List.of(0.0, 0.001, 0.25, 0.5, 1.0, 2.0, 8.0)) {
            assertEquals(g, ReplicaResources.builder().gpus(g).build().gpus());
        }
    }

    @Test
    void negativeCpusAndMemoryAreRejectedNamingTheField() {
        assertTrue(assertThrows(IllegalArgumentException.class, () -> ReplicaResources.builder().cpus(-1))
                .getMessage().startsWith("cpus "));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> ReplicaResources.builder().gpuMemory(-1))
                .getMessage().startsWith("gpuMemory "));
    }

    @Test
    void gpuMemoryWithoutAGpuIsRejected() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ReplicaResources.builder().gpuMemory(1024).build());
        assertTrue(e.getMessage().startsWith("gpuMemory "), e.getMessage());
    }

    @Test
    void theDefaultIsOneCpuAndNoGpu() {
        ReplicaResources d = ReplicaResources.defaults();
        assertEquals(1, d.cpus());
        assertEquals(0.0, d.gpus());
        assertEquals("1 CPU", d.toString());
        assertEquals("1 CPU, 0.25 GPU, 2.0 GiB GPU memory",
                ReplicaResources.builder().gpus(0.25).gpuMemory(2L << 30).build().toString());
    }
}
