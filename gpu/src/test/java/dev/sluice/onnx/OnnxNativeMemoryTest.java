package dev.sluice.onnx;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

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
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
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

    private static List<Map<String, Tensor>> batch(int n, float from) {
        List<Map<String, Tensor>> b = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            float v = from + 4 * i;
            b.add(Map.of("x", Tensor.ofFloats("x", new long[] {1, 4}, v, v + 1, v + 2, v + 3)));
        }
        return b;
    }

    @Test
    void outputsHandedBackAreNotTouchedWhenTheNextBatchesReuseTheReplicasBuffers() throws Exception {
        try (OnnxModel m = OnnxModel.builder(TinyOnnx.identity(4)).open(ModelContext.forTest("tiny"))) {
            List<Map<String, Tensor>> first = m.predict(batch(3, 0));
            m.predict(batch(3, 1000)); // the same kept input and output buffers, other values
            m.predict(batch(2, 2000));
            m.predict(batch(1, 3000));
            for (int i = 0; i < 3; i++) {
                Tensor y = first.get(i).get("y");
                assertArrayEquals(new float[] {4 * i, 4 * i + 1, 4 * i + 2, 4 * i + 3}, y.toFloatArray());
                assertFalse(y.data().isDirect(), "a copy on the Java heap, not the replica's native buffer");
            }
            assertEquals(4, m.pinnedRuns(), "written in place every time, into the kept buffers");
        }
    }

    @Test
    void concurrentCallsOnOneModelNeverShareABuffer() throws Exception {
        try (OnnxModel m = OnnxModel.builder(TinyOnnx.identity(4)).open(ModelContext.forTest("tiny"))) {
            ExecutorService pool = Executors.newFixedThreadPool(4);
            try {
                List<Future<?>> fs = new ArrayList<>();
                for (int t = 0; t < 4; t++) {
                    int thread = t;
                    fs.add(pool.submit(() -> {
                        for (int k = 0; k < 500; k++) {
                            int n = 1 + (k % 5);
                            float from = (thread * 1000 + k) * 100f;
                            List<Map<String, Tensor>> out = m.predict(batch(n, from));
                            for (int i = 0; i < n; i++) {
                                assertEquals(from + 4 * i, out.get(i).get("y").toFloatArray()[0], "thread " + thread
                                        + ", call " + k + ", request " + i);
                            }
                        }
                        return null;
                    }));
                }
                for (Future<?> f : fs) {
                    f.get(120, TimeUnit.SECONDS);
                }
            } finally {
                pool.shutdownNow();
            }
        }
    }
}
