package dev.sluice;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;

class ResourcePoolTest {
    private static final long GIB = 1024L * 1024 * 1024;
    private static final GpuDevice GPU0 = new GpuDevice(0, "GPU-a", "Test GPU", 16 * GIB);
    private static final GpuDevice GPU1 = new GpuDevice(1, "GPU-b", "Test GPU", 16 * GIB);

    private static ReplicaResources req(UnaryOperator<ReplicaResources.Builder> b) {
        return b.apply(ReplicaResources.builder()).build();
    }

    private static ResourcePool pool(int cpus, GpuDevice... gpus) {
        return new ResourcePool(Resources.builder().cpus(cpus).gpus(GpuInventory.of(gpus)).build());
    }

    @Test
    void fractionsShareOneGpuUntilItIsFull() {
        ResourcePool pool = pool(8, GPU0, GPU1);
        for (int i = 0; i < 4; i++) {
            Placement p = pool.place(req(r -> r.cpus(1).gpus(0.25))).placement();
            assertEquals(List.of(GPU0), p.gpus().stream().map(Placement.GpuShare::device).toList(),
                    "packed onto the first GPU before the second");
            assertEquals(0.25, p.gpus().get(0).fraction());
            assertEquals(4 * GIB, p.gpus().get(0).memoryBytes(), "a quarter of the GPU's memory");
        }
        assertArrayEquals(new int[] {0, 1000}, pool.freeGpuMilli());
        assertEquals(GPU1, pool.place(req(r -> r.gpus(0.25))).placement().gpus().get(0).device());
    }

    @Test
    void aFractionGoesToTheTightestGpuItFits() {
        ResourcePool pool = pool(8, GPU0, GPU1);
        pool.place(req(r -> r.gpus(0.5)));                 // gpu:0 half used
        pool.place(req(r -> r.gpus(0.75)));                // does not fit on gpu:0: goes to gpu:1 (0.25 left)
        Placement p = pool.place(req(r -> r.gpus(0.25))).placement();
        assertEquals(GPU1, p.gpus().get(0).device(), "best fit: the GPU with 0.25 free, not the one with 0.5");
    }

    @Test
    void aReplicaNeedingTwoGpusGetsTwoWholeOnes() {
        ResourcePool pool = pool(8, GPU0, GPU1, new GpuDevice(2, "", "Other", 8 * GIB));
        pool.place(req(r -> r.gpus(0.1)));                 // gpu:0 partly used
        Placement p = pool.place(req(r -> r.gpus(2))).placement();
        assertEquals(List.of("gpu:1", "gpu:2"), p.gpus().stream().map(g -> g.device().label()).toList());
        assertTrue(p.gpus().stream().allMatch(g -> g.fraction() == 1.0 && g.memoryBytes() == g.device().memoryBytes()));
    }

    @Test
    void whatDoesNotFitStaysPendingWithAReasonNamingWhatIsFree() {
        ResourcePool pool = pool(8, GPU0, GPU1);
        pool.place(req(r -> r.gpus(0.75)));
        pool.place(req(r -> r.gpus(0.5)));
        pool.place(req(r -> r.gpus(0.25)));                // best fit: takes the last 0.25 of gpu:0
        ResourcePool.Outcome o = pool.place(req(r -> r.gpus(0.75)));
        assertFalse(o.placed());
        assertNull(o.placement());
        assertEquals("needs 0.75 GPU, largest free fraction is 0.5 on gpu:1", o.pendingReason());
    }

    @Test
    void cpusAreNotPlacedSoAnyNumberOfReplicasFitsAndEachPlacementSaysItsCpusPerCall() {
        ResourcePool pool = pool(2);
        for (int i = 0; i < 6; i++) {
            Placement p = pool.place(req(r -> r.cpus(2))).placement();
            assertEquals(2, p.cpus(), "the CPUs each call holds of the budget (and the model's threads)");
        }
        assertNull(pool.neverFits(req(r -> r.cpus(2))));
        assertEquals("resources.cpus: each model call needs 3 CPUs of the execution budget, the runtime has 2",
                pool.neverFits(req(r -> r.cpus(3))));
    }

    @Test
    void pendingReasonsForWholeGpusMemoryAndNoGpu() {
        assertEquals("needs 0.5 GPU, but the runtime has no GPUs", pool(2).place(req(r -> r.gpus(0.5))).pendingReason());
        assertEquals("needs 3 whole GPUs, the runtime has 2", pool(8, GPU0, GPU1).place(req(r -> r.gpus(3))).pendingReason());

        ResourcePool pool = pool(8, GPU0, GPU1);
        pool.place(req(r -> r.gpus(0.1)));
        assertEquals("needs 2 whole GPUs, 1 fully free (gpu:1)", pool.place(req(r -> r.gpus(2))).pendingReason());

        ResourcePool memory = pool(8, GPU0);
        memory.place(req(r -> r.gpus(0.25).gpuMemory(12 * GIB)));
        assertEquals("needs 0.25 GPU with 8.0 GiB memory, gpu:0 has 0.75 free but only 4.0 GiB memory free",
                memory.place(req(r -> r.gpus(0.25).gpuMemory(8 * GIB))).pendingReason());
    }

    @Test
    void releasedResourcesPlaceWhatWasPending() {
        ResourcePool pool = pool(2, GPU0);
        Placement first = pool.place(req(r -> r.cpus(1).gpus(1))).placement();
        ReplicaResources second = req(r -> r.cpus(1).gpus(0.5));
        assertFalse(pool.place(second).placed());
        pool.release(first);
        assertArrayEquals(new int[] {1000}, pool.freeGpuMilli());
        assertTrue(pool.place(second).placed());
        assertArrayEquals(new int[] {500}, pool.freeGpuMilli());
    }

    @Test
    void aRefusedRequestTakesNothing() {
        ResourcePool pool = pool(4, GPU0);
        pool.place(req(r -> r.cpus(1).gpus(0.75)));
        assertFalse(pool.place(req(r -> r.cpus(2).gpus(0.5))).placed());
        assertArrayEquals(new int[] {250}, pool.freeGpuMilli());
    }

    @Test
    void releasingAPlacementFromAnotherPoolFails() {
        Placement foreign = pool(2, GPU1).place(req(r -> r.gpus(0.5))).placement();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> pool(2, GPU0).release(foreign));
        assertTrue(e.getMessage().contains("gpu:1"), e.getMessage());
    }
}
