package dev.sluice.onnx;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.Deployment;
import dev.sluice.DeploymentHandle;
import dev.sluice.GpuDevice;
import dev.sluice.ModelContext;
import dev.sluice.Placement;
import dev.sluice.Resources;
import dev.sluice.Sluice;
import dev.sluice.SluiceStatus;
import dev.sluice.batching.ModelException;
import dev.sluice.tensor.Tensor;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The GPU path on a simulated inventory: this build carries ONNX Runtime's CPU jar, so a replica placed on a
 * GPU cannot load the CUDA provider. It must fail saying which jar to use, or run on CPU where allowed.
 */
class OnnxGpuPlacementTest {
    private static final GpuDevice GPU = new GpuDevice(0, "GPU-simulated-0", "Simulated A100", 40L << 30);
    private static final ModelContext ON_GPU = new ModelContext("tiny", "tiny#1",
            new Placement(1, List.of(new Placement.GpuShare(GPU, 0.5, 20L << 30))));

    @Test
    void aReplicaPlacedOnAGpuWithoutTheCudaProviderFailsNamingTheJarToUse() {
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> OnnxModel.builder(TinyOnnx.identity(2)).open(ON_GPU));
        assertTrue(e.getMessage().contains("tiny#1 was placed on gpu:0 (Simulated A100)"), e.getMessage());
        assertTrue(e.getMessage().contains("com.microsoft.onnxruntime:onnxruntime_gpu"), e.getMessage());
        assertTrue(e.getMessage().contains("allowCpuFallback"), e.getMessage());
    }

    @Test
    void withCpuFallbackAllowedItRunsOnCpu() throws Exception {
        try (OnnxModel m = OnnxModel.builder(TinyOnnx.identity(2)).allowCpuFallback().open(ON_GPU)) {
            Tensor in = Tensor.ofFloats("x", new long[] {1, 2}, 5, 6);
            assertArrayEquals(new float[] {5, 6}, m.predict(List.of(Map.of("x", in))).get(0).get("y").toFloatArray());
        }
    }

    @Test
    void inARuntimeTheFailureIsReportedInTheStatusAndRequestsFailClearly() throws Exception {
        try (Sluice sluice = Sluice.builder().resources(Resources.builder().cpus(2).gpu(GPU).build()).build()) {
            DeploymentHandle<Map<String, Tensor>, Map<String, Tensor>> h = sluice.deploy(
                    Deployment.<Map<String, Tensor>, Map<String, Tensor>>builder("tiny",
                                    OnnxModel.builder(TinyOnnx.identity(2)).factory())
                            .resources(r -> r.gpus(0.5)).startAttempts(1).build());
            ModelException e = assertThrows(ModelException.class, () -> h.awaitReady(Duration.ofSeconds(30)));
            assertInstanceOf(IllegalStateException.class, e.getCause());
            SluiceStatus.StartFailure failure = sluice.status().deployment("tiny").startFailure();
            assertTrue(failure.error().contains("onnxruntime_gpu"), failure.error());
            assertTrue(failure.stackTrace().contains("OnnxModel"), "the model's own stack trace");
            assertEquals(1.0, sluice.status().resources().gpus().get(0).free(), 1e-9, "its GPU share was given back");
        }
    }
}
