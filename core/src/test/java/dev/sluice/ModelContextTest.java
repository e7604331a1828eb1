package dev.sluice;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class ModelContextTest {
    private static final long GIB = 1024L * 1024 * 1024;

    @Test
    void aGpuReplicaSeesItsShareAndMemoryLimit() {
        GpuDevice gpu = new GpuDevice(1, "", "Test GPU", 16 * GIB);
        ResourcePool pool = new ResourcePool(Resources.builder().cpus(4).gpu(gpu).build());
        Placement p = pool.place(ReplicaResources.builder().cpus(2).gpus(0.25).build()).placement();
        ModelContext ctx = new ModelContext("recognizer", "recognizer#1", p);
        assertEquals(2, ctx.cpuThreads());
        assertEquals(gpu, ctx.gpu().orElseThrow().device());
        assertEquals(4 * GIB, ctx.gpuMemoryLimitBytes());
        assertEquals("2 CPU, 0.25 of gpu:1 (4.0 GiB)", p.toString());
    }

    @Test
    void aCpuReplicaHasNoGpuAndAtLeastOneThread() {
        ModelContext ctx = new ModelContext("ranker", "ranker#0", new Placement(0, List.of()));
        assertEquals(1, ctx.cpuThreads());
        assertTrue(ctx.gpu().isEmpty());
        assertEquals(0, ctx.gpuMemoryLimitBytes());
        assertEquals("ranker#0", ModelContext.forTest("ranker").replicaId());
    }
}
