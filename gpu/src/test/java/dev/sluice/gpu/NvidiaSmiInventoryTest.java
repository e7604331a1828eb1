package dev.sluice.gpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.GpuDevice;
import dev.sluice.GpuInventory;
import dev.sluice.Resources;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The nvidia-smi inventory on recorded outputs: one GPU, several, none, malformed, and CUDA_VISIBLE_DEVICES. */
class NvidiaSmiInventoryTest {
    private static final long MIB = 1024L * 1024;
    // Recorded shapes of `nvidia-smi --query-gpu=index,uuid,name,memory.total,memory.used --format=csv,noheader,nounits`.
    static final String ONE = "0, GPU-5a1c3e1e-7a2b-4c7e-9b1f-2d3c4e5f6a7b, NVIDIA H100 80GB HBM3, 81559, 0\n";
    static final String FOUR = """
            0, GPU-11111111-aaaa-4bbb-8ccc-000000000000, NVIDIA A10G, 23028, 1
            1, GPU-22222222-aaaa-4bbb-8ccc-000000000000, NVIDIA A10G, 23028, 0
            2, GPU-33333333-aaaa-4bbb-8ccc-000000000000, NVIDIA A10G, 23028, 14000
            3, GPU-44444444-aaaa-4bbb-8ccc-000000000000, NVIDIA A10G, 23028, 0
            """;

    private static NvidiaSmiInventory answering(String output, Map<String, String> env) {
        return new NvidiaSmiInventory(command -> {
            assertEquals(NvidiaSmiInventory.COMMAND, command);
            return output;
        }, env);
    }

    @Test
    void readsOneGpu() {
        List<GpuDevice> gpus = answering(ONE, Map.of()).devices();
        assertEquals(List.of(new GpuDevice(0, "GPU-5a1c3e1e-7a2b-4c7e-9b1f-2d3c4e5f6a7b", "NVIDIA H100 80GB HBM3",
                81559 * MIB)), gpus);
    }

    @Test
    void readsSeveralInIndexOrder() {
        List<GpuDevice> gpus = answering(FOUR, Map.of()).devices();
        assertEquals(4, gpus.size());
        assertEquals(List.of(0, 1, 2, 3), gpus.stream().map(GpuDevice::index).toList());
        assertEquals(23028 * MIB, gpus.get(2).memoryBytes(), "total memory, even when some is in use");
    }

    @Test
    void noOutputNoGpus() {
        assertEquals(List.of(), answering("", Map.of()).devices());
    }

    @Test
    void noDriverIsNoGpusNotAnError() {
        NvidiaSmiInventory missing = new NvidiaSmiInventory(command -> {
            throw new IOException("Cannot run program \"nvidia-smi\": error=2, No such file or directory");
        }, Map.of());
        assertEquals(List.of(), missing.devices());
        NvidiaSmiInventory failing = new NvidiaSmiInventory(command -> {
            throw new IOException("nvidia-smi exited with 9");
        }, Map.of());
        assertEquals(List.of(), failing.devices());
    }

    @Test
    void malformedLinesAreSkippedAndTheRestKept() {
        String mixed = """
                0, GPU-aaaa, Tesla T4, 15360, 0
                NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver
                1, GPU-bbbb, Tesla T4, [N/A], 0
                2, GPU-cccc, Tesla T4, 15360
                3, GPU-dddd, Tesla T4, 15360, 0
                """;
        List<GpuDevice> gpus = answering(mixed, Map.of()).devices();
        assertEquals(List.of("GPU-aaaa", "GPU-dddd"), gpus.stream().map(GpuDevice::uuid).toList());
    }

    @Test
    void cudaVisibleDevicesPicksOrdersAndRenumbers() {
        List<GpuDevice> gpus = answering(FOUR, Map.of("CUDA_VISIBLE_DEVICES", "2,0")).devices();
        assertEquals(List.of(0, 1), gpus.stream().map(GpuDevice::index).toList());
        assertEquals(List.of("GPU-33333333-aaaa-4bbb-8ccc-000000000000", "GPU-11111111-aaaa-4bbb-8ccc-000000000000"),
                gpus.stream().map(GpuDevice::uuid).toList());
    }

    @Test
    void cudaVisibleDevicesTakesUuidPrefixes() {
        List<GpuDevice> byUuid = answering(FOUR, Map.of("CUDA_VISIBLE_DEVICES", "GPU-4444, gpu-22222222")).devices();
        assertEquals(List.of("GPU-44444444-aaaa-4bbb-8ccc-000000000000", "GPU-22222222-aaaa-4bbb-8ccc-000000000000"),
                byUuid.stream().map(GpuDevice::uuid).toList());
        assertEquals(List.of(), answering(FOUR, Map.of("CUDA_VISIBLE_DEVICES", "GPU-")).devices(), "ambiguous prefix");
    }

    @Test
    void cudaVisibleDevicesStopsAtTheFirstEntryThatNamesNothing() {
        assertEquals(1, answering(FOUR, Map.of("CUDA_VISIBLE_DEVICES", "1,7,2")).devices().size());
        assertEquals(List.of(), answering(FOUR, Map.of("CUDA_VISIBLE_DEVICES", "")).devices(), "empty hides all");
        assertEquals(List.of(), answering(FOUR, Map.of("CUDA_VISIBLE_DEVICES", "-1")).devices());
        assertEquals(1, answering(FOUR, Map.of("CUDA_VISIBLE_DEVICES", "3,3")).devices().size(), "a repeat ends it");
    }

    @Test
    void itIsTheInventoryResourcesDetectUses() {
        GpuInventory discovered = GpuInventory.discovered();
        assertInstanceOf(NvidiaSmiInventory.class, discovered);
        // This machine may or may not have GPUs; either way detection does not throw and CPUs are counted.
        Resources detected = Resources.detect();
        assertTrue(detected.cpus() >= 1);
        assertEquals(discovered.devices().size(), detected.gpus().size());
    }
}
