package dev.sluice.onnx;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.sluice.Deployment;
import dev.sluice.DeploymentHandle;
import dev.sluice.ModelContext;
import dev.sluice.Resources;
import dev.sluice.Sluice;
import dev.sluice.tensor.Tensor;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Every native value OnnxModel makes is closed: 100,000 requests through Sluice leave none open. */
class OnnxNativeMemoryTest {
    private static final int REQUESTS = 100_000;

    @Test
    void aTinyHandWrittenModelRuns() throws Exception {
        try (OnnxModel m = OnnxModel.builder(TinyOnnx.identity(4)).open(ModelContext.forTest("tiny"))) {
            assertEquals("x", m.signature().inputs().get(0).name());
            assertArrayEquals(new long[] {-1, 4}, m.signature().inputs().get(0).shape());
            Tensor in = Tensor.ofFloats("x", new long[] {1, 4}, 1, 2, 3, 4);
            assertArrayEquals(new float[] {1, 2, 3, 4}, m.predict(List.of(Map.of("x", in))).get(0).get("y").toFloatArray());
        }
    }

    @Test
    void openDimensionsArePaddedWithTheDeclaredValue() throws Exception {
        try (OnnxModel m = OnnxModel.builder(TinyOnnx.identityAnyWidth()).pad("x", 9).open(ModelContext.forTest("tiny"))) {
            List<Map<String, Tensor>> out = m.predict(List.of(
                    Map.of("x", Tensor.ofFloats("x", new long[] {1, 2}, 1, 2)),
                    Map.of("x", Tensor.ofFloats("x", new long[] {1, 4}, 3, 4, 5, 6))));
            // No follow(...) declared: each request gets its whole row of the padded output.
            assertArrayEquals(new float[] {1, 2, 9, 9}, out.get(0).get("y").toFloatArray());
            assertArrayEquals(new float[] {3, 4, 5, 6}, out.get(1).get("y").toFloatArray());
        }
    }

    @Test
    void noNativeValueIsLeftOpenAfter100kRequests() throws Exception {
        long before = OnnxModel.NATIVE_VALUES_OPEN.get();
        try (Sluice sluice = Sluice.builder().resources(Resources.builder().cpus(2).build()).build()) {
            DeploymentHandle<Map<String, Tensor>, Map<String, Tensor>> h = sluice.deploy(
                    Deployment.<Map<String, Tensor>, Map<String, Tensor>>builder("tiny",
                                    OnnxModel.builder(TinyOnnx.identity(4)).factory())
                            // windows of 2048 submitted at once: no bound on their expected queue wait
                            .replicas(2).batching(b -> b.maxBatchSize(64).queueCapacity(8192).unboundedQueueDelay())
                            .build());
            h.awaitReady(Duration.ofSeconds(30));
            List<CompletableFuture<Map<String, Tensor>>> window = new ArrayList<>();
            for (int i = 0; i < REQUESTS; i++) {
                float v = i;
                window.add(h.submit(Map.of("x", Tensor.ofFloats("x", new long[] {1, 4}, v, v + 1, v + 2, v + 3))));
                if (window.size() == 2048 || i == REQUESTS - 1) {
                    for (int j = 0; j < window.size(); j++) {
                        float[] y = window.get(j).get(30, TimeUnit.SECONDS).get("y").toFloatArray();
                        float first = i - window.size() + 1 + j;
                        assertEquals(first, y[0], "each request gets its own row back");
                    }
                    window.clear();
                }
            }
        }
        assertEquals(before, OnnxModel.NATIVE_VALUES_OPEN.get(), "native tensors and results all closed");
    }

    @Test
    void aModelWhoseOutputShapesAreKnownWritesThemInPlace() throws Exception {
        try (OnnxModel m = OnnxModel.builder(TinyOnnx.identity(4)).open(ModelContext.forTest("tiny"))) {
            List<Map<String, Tensor>> out = m.predict(List.of(
                    Map.of("x", Tensor.ofFloats("x", new long[] {1, 4}, 1, 2, 3, 4)),
                    Map.of("x", Tensor.ofFloats("x", new long[] {1, 4}, 5, 6, 7, 8))));
            assertArrayEquals(new float[] {5, 6, 7, 8}, out.get(1).get("y").toFloatArray());
            assertEquals(1, m.pinnedRuns(), "[-1, 4] is known for any batch: written in place");
        }
    }
}
