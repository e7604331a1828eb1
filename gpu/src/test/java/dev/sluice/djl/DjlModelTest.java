package dev.sluice.djl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.translate.Batchifier;
import ai.djl.translate.Translator;
import ai.djl.translate.TranslatorContext;
import dev.sluice.Deployment;
import dev.sluice.DeploymentHandle;
import dev.sluice.GpuDevice;
import dev.sluice.ModelContext;
import dev.sluice.Placement;
import dev.sluice.Resources;
import dev.sluice.Sluice;
import dev.sluice.batching.DynamicBatcher;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** DJL with its ONNX Runtime engine, on a tiny hand-written Identity model ([N, 4] FP32 in and out). */
class DjlModelTest {
    /** float[4] in, float[4] out; the STACK batchifier makes [n, 4] of a batch and splits the output back. */
    static final class Floats implements Translator<float[], float[]> {
        @Override
        public NDList processInput(TranslatorContext ctx, float[] input) {
            return new NDList(ctx.getNDManager().create(input));
        }

        @Override
        public float[] processOutput(TranslatorContext ctx, NDList list) {
            return list.singletonOrThrow().toFloatArray();
        }

        @Override
        public Batchifier getBatchifier() {
            return new JavaStack();
        }
    }

    /**
     * Stacks float arrays of one shape in Java along a new dimension 0, and splits along it: DJL's ONNX Runtime
     * engine is inference-only and its NDArray has no {@code stack}, so the standard {@code Batchifier.STACK}
     * fails on it.
     */
    static final class JavaStack implements Batchifier {
        @Override
        public NDList batchify(NDList[] inputs) {
            NDArray first = inputs[0].singletonOrThrow();
            int size = (int) first.size();
            float[] all = new float[inputs.length * size];
            for (int i = 0; i < inputs.length; i++) {
                System.arraycopy(inputs[i].singletonOrThrow().toFloatArray(), 0, all, i * size, size);
            }
            long[] shape = new long[first.getShape().dimension() + 1];
            shape[0] = inputs.length;
            System.arraycopy(first.getShape().getShape(), 0, shape, 1, shape.length - 1);
            return new NDList(first.getManager().create(all, new Shape(shape)));
        }

        @Override
        public NDList[] unbatchify(NDList batch) {
            NDArray out = batch.singletonOrThrow();
            int n = (int) out.getShape().get(0);
            int size = (int) (out.size() / n);
            Shape item = out.getShape().slice(1);
            float[] all = out.toFloatArray();
            NDList[] items = new NDList[n];
            for (int i = 0; i < n; i++) {
                items[i] = new NDList(out.getManager().create(java.util.Arrays.copyOfRange(all, i * size, (i + 1) * size), item));
            }
            return items;
        }

        @Override
        public NDList[] split(NDList list, int numOfSlices, boolean evenSplit) {
            throw new UnsupportedOperationException("not used for inference");
        }
    }

    /** A text line for the PaddleOCR recognizer: float[3 * 48 * WIDTH] in, its [T, classes] scores out (flat). */
    static final class Lines implements Translator<float[], float[]> {
        static final int WIDTH = 160;

        @Override
        public NDList processInput(TranslatorContext ctx, float[] pixels) {
            return new NDList(ctx.getNDManager().create(pixels, new Shape(3, 48, WIDTH)));
        }

        @Override
        public float[] processOutput(TranslatorContext ctx, NDList list) {
            return list.singletonOrThrow().toFloatArray();
        }

        @Override
        public Batchifier getBatchifier() {
            return new JavaStack();
        }
    }

    @Test
    void thePaddleOcrRecognizerThroughDjlInBatchesGivesWhatOnnxModelGivesOneByOne() throws Exception {
        Path rec = dev.sluice.onnx.TestModels.recognizer();
        assertTrue(Files.exists(rec), "the build fetches the models: " + rec);
        ai.djl.engine.Engine.getEngine("OnnxRuntime"); // DJL must create the OrtEnvironment (see below)
        java.util.Random rnd = new java.util.Random(7);
        List<float[]> lines = new ArrayList<>();
        for (int i = 0; i < 12; i++) {
            float[] px = new float[3 * 48 * Lines.WIDTH];
            for (int j = 0; j < px.length; j++) {
                px[j] = rnd.nextFloat() * 2 - 1;
            }
            lines.add(px);
        }
        List<float[]> expected = new ArrayList<>();
        try (dev.sluice.onnx.OnnxModel onnx = dev.sluice.onnx.OnnxModel.builder(rec).open(ModelContext.forTest("rec"))) {
            String in = onnx.signature().inputs().get(0).name();
            for (float[] px : lines) {
                dev.sluice.tensor.Tensor t = dev.sluice.tensor.Tensor.ofFloats(in, new long[] {1, 3, 48, Lines.WIDTH}, px);
                expected.add(onnx.predict(List.of(java.util.Map.of(in, t))).get(0).values().iterator().next().toFloatArray());
            }
        }
        try (Sluice sluice = Sluice.builder().resources(Resources.builder().cpus(1).build()).build()) {
            DeploymentHandle<float[], float[]> h = sluice.deploy(Deployment.<float[], float[]>builder("rec-djl",
                            DjlModel.builder(rec, float[].class, float[].class, new Lines()).engine("OnnxRuntime").factory())
                    .batching(b -> b.maxBatchSize(8).maxDelay(Duration.ofMillis(200))
                            .policy(dev.sluice.batching.BatchPolicy::fixed))
                    .build());
            h.awaitReady(Duration.ofSeconds(60));
            List<CompletableFuture<float[]>> fs = new ArrayList<>();
            lines.forEach(px -> fs.add(h.submit(px)));
            int largest = 0;
            for (int i = 0; i < fs.size(); i++) {
                float[] got = fs.get(i).get(60, TimeUnit.SECONDS);
                assertEquals(expected.get(i).length, got.length, "line " + i);
                for (int j = 0; j < got.length; j++) {
                    assertEquals(expected.get(i)[j], got[j], 1e-4, "line " + i + ", score " + j);
                }
                largest = Math.max(largest, DynamicBatcher.dispatchOf(fs.get(i)).batchSize());
            }
            assertEquals(8, largest, "the recognizer ran a full batch through the predictor");
        }
    }

    private static Path tinyModel(Path dir) throws Exception {
        Path file = dir.resolve("tiny.onnx");
        Files.write(file, dev.sluice.onnx.TestModels.identity(4));
        return file;
    }

    @Test
    void aDeploymentOfDjlModelsBatchesThroughThePredictor(@TempDir Path dir) throws Exception {
        Path file = tinyModel(dir);
        try (Sluice sluice = Sluice.builder().resources(Resources.builder().cpus(2).build()).build()) {
            DeploymentHandle<float[], float[]> h = sluice.deploy(Deployment.<float[], float[]>builder("djl",
                            DjlModel.builder(file, float[].class, float[].class, new Floats()).engine("OnnxRuntime").factory())
                    // 500 submitted at once: no bound on the expected queue wait, which would refuse part of them
                    .replicas(2).maxOngoingBatchesPerReplica(2).batching(b -> b.maxBatchSize(16).unboundedQueueDelay())
                    .build());
            h.awaitReady(Duration.ofSeconds(60));
            List<CompletableFuture<float[]>> fs = new ArrayList<>();
            for (int i = 0; i < 500; i++) {
                fs.add(h.submit(new float[] {i, i + 1, i + 2, i + 3}));
            }
            int largest = 0;
            for (int i = 0; i < fs.size(); i++) {
                assertArrayEquals(new float[] {i, i + 1, i + 2, i + 3}, fs.get(i).get(30, TimeUnit.SECONDS));
                largest = Math.max(largest, DynamicBatcher.dispatchOf(fs.get(i)).batchSize());
            }
            assertTrue(largest > 1, "the predictor ran batches: largest " + largest);
        }
    }

    @Test
    void oneJvmRunsDjlAndOnnxModelWhenDjlStartsTheOnnxRuntimeEnvironment(@TempDir Path dir) throws Exception {
        ai.djl.engine.Engine.getEngine("OnnxRuntime"); // creates the process's OrtEnvironment, as DJL requires
        try (dev.sluice.onnx.OnnxModel onnx = dev.sluice.onnx.OnnxModel.builder(tinyModel(dir))
                        .open(ModelContext.forTest("onnx"));
                DjlModel<float[], float[]> djl = DjlModel.builder(tinyModel(dir), float[].class, float[].class, new Floats())
                        .engine("OnnxRuntime").open(ModelContext.forTest("djl"))) {
            dev.sluice.tensor.Tensor in = dev.sluice.tensor.Tensor.ofFloats("x", new long[] {1, 4}, 1, 2, 3, 4);
            assertArrayEquals(new float[] {1, 2, 3, 4},
                    onnx.predict(List.of(java.util.Map.of("x", in))).get(0).get("y").toFloatArray());
            assertArrayEquals(new float[] {5, 6, 7, 8}, djl.predict(List.of(new float[] {5, 6, 7, 8})).get(0));
        }
    }

    @Test
    void aReplicaUsesTheDeviceOfItsPlacement() {
        assertEquals(Device.cpu(), DjlModel.device(ModelContext.forTest("x").placement()));
        GpuDevice gpu = new GpuDevice(3, "GPU-simulated", "Simulated", 16L << 30);
        Placement onGpu = new Placement(1, List.of(new Placement.GpuShare(gpu, 1.0, 16L << 30)));
        assertEquals(Device.gpu(3), DjlModel.device(onGpu));
    }
}
