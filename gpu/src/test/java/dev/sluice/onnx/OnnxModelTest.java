package dev.sluice.onnx;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.Deployment;
import dev.sluice.DeploymentHandle;
import dev.sluice.ModelContext;
import dev.sluice.Resources;
import dev.sluice.Sluice;
import dev.sluice.batching.Dispatch;
import dev.sluice.batching.DynamicBatcher;
import dev.sluice.batching.InvalidInputException;
import dev.sluice.tensor.DataType;
import dev.sluice.tensor.Tensor;
import dev.sluice.tensor.TensorSpec;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The PaddleOCR models (fetched by scripts/fetch-models.sh during the build) through OnnxModel and Sluice. */
class OnnxModelTest {
    static final Path MODELS = Path.of(System.getenv().getOrDefault("SLUICE_MODEL_CACHE",
            System.getProperty("user.home") + "/.cache/sluice/models"), "ocr-models-1.4.2");
    static final Path DET = MODELS.resolve("ch_PP-OCRv4_det_infer.onnx");
    static final Path CLS = MODELS.resolve("ch_ppocr_mobile_v2.0_cls_infer.onnx");
    static final Path REC = MODELS.resolve("ch_PP-OCRv4_rec_infer.onnx");

    private static OnnxModel rec;
    private static String recIn;
    private static String recOut;

    @BeforeAll
    static void load() throws Exception {
        assertTrue(Files.exists(REC), "the build fetches the models into " + MODELS);
        rec = OnnxModel.builder(REC).open(ModelContext.forTest("rec"));
        recIn = rec.signature().inputs().get(0).name();
        recOut = rec.signature().outputs().get(0).name();
    }

    @AfterAll
    static void close() throws Exception {
        rec.close();
    }

    /** A text-line-sized image, [1, 3, 48, width], values in [-1, 1] as PaddleOCR normalizes them. */
    static Tensor line(Random rnd, int width) {
        float[] px = new float[3 * 48 * width];
        for (int i = 0; i < px.length; i++) {
            px[i] = rnd.nextFloat() * 2 - 1;
        }
        return Tensor.ofFloats(recIn, new long[] {1, 3, 48, width}, px);
    }

    @Test
    void theThreeModelsLoadAndDescribeTheirInputs() throws Exception {
        for (Path file : List.of(DET, CLS, REC)) {
            try (OnnxModel m = OnnxModel.builder(file).open(ModelContext.forTest("m"))) {
                assertEquals(1, m.signature().inputs().size(), file.toString());
                TensorSpec in = m.signature().inputs().get(0);
                assertEquals(DataType.FP32, in.type());
                assertEquals(4, in.shape().length);
                assertEquals(3, in.shape()[1], "three colour channels");
                assertTrue(m.signature().outputs().size() >= 1);
                assertEquals(m.signature(), OnnxModel.builder(file).signature(), "read without a replica, the same");
            }
        }
        assertEquals(48, rec.signature().inputs().get(0).shape()[2], "the recognizer reads lines 48 pixels high");
        assertEquals(-1, rec.signature().inputs().get(0).shape()[3], "of any width");
    }

    @Test
    void aBatchOf16ThroughSluiceGivesWhatSixteenSingleCallsGive() throws Exception {
        long openBefore = OnnxModel.NATIVE_VALUES_OPEN.get();
        Random rnd = new Random(1);
        List<Tensor> images = new ArrayList<>();
        for (int i = 0; i < 16; i++) {
            images.add(line(rnd, 160));
        }
        List<float[]> single = new ArrayList<>();
        for (Tensor image : images) {
            single.add(rec.predict(List.of(Map.of(recIn, image))).get(0).get(recOut).toFloatArray());
        }
        try (Sluice sluice = Sluice.builder().resources(Resources.builder().cpus(2).build()).build()) {
            DeploymentHandle<Map<String, Tensor>, Map<String, Tensor>> h = sluice.deploy(
                    // The single calls copy their outputs out (no extent given); the deployment's replica, told the
                    // exact extent, has them written in place: the two paths must agree.
                    Deployment.<Map<String, Tensor>, Map<String, Tensor>>builder("rec", OnnxModel.builder(REC)
                                    .follow(recOut, 1, recIn, 3, w -> Math.max(1, (w + 3) / 8)).factory())
                            .batching(b -> b.maxBatchSize(16).maxDelay(Duration.ofMillis(200))
                                    .policy(dev.sluice.batching.BatchPolicy::fixed))
                            .build());
            h.awaitReady(Duration.ofSeconds(60));
            List<CompletableFuture<Map<String, Tensor>>> fs = new ArrayList<>();
            for (Tensor image : images) {
                fs.add(h.submit(Map.of(recIn, image)));
            }
            int largest = 0;
            for (int i = 0; i < 16; i++) {
                float[] batched = fs.get(i).get(60, TimeUnit.SECONDS).get(recOut).toFloatArray();
                assertEquals(single.get(i).length, batched.length);
                for (int j = 0; j < batched.length; j++) {
                    assertEquals(single.get(i)[j], batched[j], 1e-4, "image " + i + ", value " + j);
                }
                Dispatch d = DynamicBatcher.dispatchOf(fs.get(i));
                largest = Math.max(largest, d.batchSize());
            }
            assertTrue(largest > 1, "the requests were batched: largest batch " + largest);
        }
        assertEquals(openBefore, OnnxModel.NATIVE_VALUES_OPEN.get(), "every native value closed, on both paths");
    }

    @Test
    void aCallLentAnIdleCpuRunsOnTheWideSessionAndAnswersAsTheNarrowOneDoes() throws Exception {
        Tensor image = line(new Random(4), 200);
        float[] narrow = rec.predict(List.of(Map.of(recIn, image))).get(0).get(recOut).toFloatArray();
        List<OnnxModel> opened = new java.util.concurrent.CopyOnWriteArrayList<>();
        try (Sluice sluice = Sluice.builder().resources(Resources.builder().cpus(2).build()).build()) {
            DeploymentHandle<Map<String, Tensor>, Map<String, Tensor>> h = sluice.deploy(
                    Deployment.<Map<String, Tensor>, Map<String, Tensor>>builder("rec", ctx -> {
                        OnnxModel m = OnnxModel.builder(REC).open(ctx);
                        opened.add(m);
                        return m;
                    }).resources(r -> r.cpus(1).burstCpus(2)).build());
            h.awaitReady(Duration.ofSeconds(60));
            float[] wide = h.submit(Map.of(recIn, image)).get(60, TimeUnit.SECONDS).get(recOut).toFloatArray();
            assertEquals(1, opened.get(0).wideRuns(), "alone on two CPUs, the call was lent the second one");
            assertEquals(narrow.length, wide.length);
            for (int j = 0; j < wide.length; j++) {
                assertEquals(narrow[j], wide[j], 1e-4, "value " + j);
            }
        }
        assertTrue(opened.get(0).hasWideSession());
        assertFalse(rec.hasWideSession(), "a replica that never borrows has no wide session (no second copy)");
    }

    @Test
    void aMalformedRequestIsRefusedSayingWhyAndItsBatchNeighboursSucceed() throws Exception {
        Tensor wrongHeight = Tensor.ofFloats(recIn, new long[] {1, 3, 32, 100}, new float[3 * 32 * 100]);
        InvalidInputException e = assertThrows(InvalidInputException.class, () -> rec.validate(Map.of(recIn, wrongHeight)));
        assertTrue(e.getMessage().contains("dimension 2 of 32"), e.getMessage());
        assertTrue(e.getMessage().contains("the model takes 48"), e.getMessage());
        Tensor wrongType = Tensor.ofDoubles(recIn, new long[] {1, 3, 48, 10}, new double[3 * 48 * 10]);
        assertThrows(InvalidInputException.class, () -> rec.validate(Map.of(recIn, wrongType)));
        assertThrows(InvalidInputException.class, () -> rec.validate(Map.of("image", line(new Random(2), 10))));

        try (Sluice sluice = Sluice.builder().resources(Resources.builder().cpus(2).build()).build()) {
            DeploymentHandle<Map<String, Tensor>, Map<String, Tensor>> h = sluice.deploy(
                    Deployment.<Map<String, Tensor>, Map<String, Tensor>>builder("rec", OnnxModel.builder(REC).factory())
                            .batching(b -> b.maxBatchSize(8).maxDelay(Duration.ofMillis(100))
                                    .policy(dev.sluice.batching.BatchPolicy::fixed))
                            .build());
            h.awaitReady(Duration.ofSeconds(60));
            Random rnd = new Random(3);
            CompletableFuture<Map<String, Tensor>> good1 = h.submit(Map.of(recIn, line(rnd, 80)));
            CompletableFuture<Map<String, Tensor>> bad = h.submit(Map.of(recIn, wrongHeight));
            CompletableFuture<Map<String, Tensor>> good2 = h.submit(Map.of(recIn, line(rnd, 120)));
            ExecutionException failed = assertThrows(ExecutionException.class, () -> bad.get(60, TimeUnit.SECONDS));
            assertInstanceOf(InvalidInputException.class, failed.getCause());
            assertEquals(3, good1.get(60, TimeUnit.SECONDS).get(recOut).rank());
            assertEquals(3, good2.get(60, TimeUnit.SECONDS).get(recOut).rank());
        }
    }

    /**
     * A line the recognizer reads as text: dark strokes on white (PaddleOCR scales pixels to [-1, 1]),
     * vertical bars and rings, like "1" and "0" in a plain font.
     */
    static Tensor strokes(int width, String pattern) {
        float[] px = new float[3 * 48 * width];
        java.util.Arrays.fill(px, 1f);
        int x0 = 8;
        for (char c : pattern.toCharArray()) {
            for (int y = 10; y < 38; y++) {
                for (int x = x0; x < x0 + 14 && x < width; x++) {
                    boolean ink;
                    if (c == '1') {
                        ink = x >= x0 + 5 && x < x0 + 9;
                    } else {
                        double dx = (x - (x0 + 7)) / 6.0;
                        double dy = (y - 24) / 13.0;
                        double r = Math.sqrt(dx * dx + dy * dy);
                        ink = r > 0.7 && r < 1.05;
                    }
                    if (ink) {
                        for (int ch = 0; ch < 3; ch++) {
                            px[(ch * 48 + y) * width + x] = -1f;
                        }
                    }
                }
            }
            x0 += 18;
        }
        return Tensor.ofFloats(recIn, new long[] {1, 3, 48, width}, px);
    }

    @Test
    void raggedWidthsArePaddedInABatchAndEachOutputCroppedToItsOwnWidth() throws Exception {
        Random rnd = new Random(4);
        Tensor wide = line(rnd, 320);
        // The recognizer gives floor((W + 3) / 8) time steps for a line W pixels wide; 100 = 4 mod 8 is where
        // a proportional crop (round(40 * 100 / 320) = 13) would be off by one.
        try (OnnxModel m = OnnxModel.builder(REC).follow(recOut, 1, recIn, 3, w -> Math.max(1, (w + 3) / 8))
                .open(ModelContext.forTest("rec"))) {
            for (int width : new int[] {100, 112, 36}) {
                Tensor narrow = strokes(width, "10110".substring(0, Math.min(5, (width - 8) / 18)));
                long alone = m.predict(List.of(Map.of(recIn, narrow))).get(0).get(recOut).dim(1);
                List<Map<String, Tensor>> both = m.predict(List.of(Map.of(recIn, narrow), Map.of(recIn, wide)));
                assertEquals(alone, both.get(0).get(recOut).dim(1), "width " + width + " keeps its own length");
                assertEquals(40, both.get(1).get(recOut).dim(1));
            }
            assertEquals(6, m.pinnedRuns(), "the exact extent let every output be written in place");
        }
    }

    /** As the OCR example's classifier requests are: one row per window of a long line. */
    @Test
    void requestsOfSeveralRowsHaveTheirOutputsWrittenInPlaceOneRowEach() throws Exception {
        Random rnd = new Random(6);
        try (OnnxModel m = OnnxModel.builder(CLS).open(ModelContext.forTest("cls"))) {
            String in = m.signature().inputs().get(0).name();
            String out = m.signature().outputs().get(0).name();
            float[] px = new float[3 * 3 * 48 * 192];
            for (int i = 0; i < px.length; i++) {
                px[i] = rnd.nextFloat() * 2 - 1;
            }
            int row = 3 * 48 * 192;
            Tensor three = Tensor.ofFloats(in, new long[] {3, 3, 48, 192}, px);
            Tensor one = Tensor.ofFloats(in, new long[] {1, 3, 48, 192}, Arrays.copyOfRange(px, row, 2 * row));
            List<Map<String, Tensor>> both = m.predict(List.of(Map.of(in, three), Map.of(in, one)));
            assertArrayEquals(new long[] {3, 2}, both.get(0).get(out).shape());
            assertArrayEquals(new long[] {1, 2}, both.get(1).get(out).shape());
            float[] alone = m.predict(List.of(Map.of(in, one))).get(0).get(out).toFloatArray();
            float[] second = Arrays.copyOfRange(both.get(0).get(out).toFloatArray(), 2, 4);
            assertArrayEquals(alone, second, 1e-5f, "each row is its own");
            assertTrue(m.pinsOutputs(), "the batch's outputs were predicted as [4, 2], its rows, not [2, 2]");
            assertEquals(2, m.pinnedRuns());
        }
    }

    @Test
    void aWrongFollowExtentTurnsOffWritingOutputsInPlaceAndTheBatchIsStillAnswered() throws Exception {
        Random rnd = new Random(5);
        long before = OnnxModel.NATIVE_VALUES_OPEN.get();
        try (OnnxModel m = OnnxModel.builder(REC).follow(recOut, 1, recIn, 3, w -> w / 16) // half the real steps
                .open(ModelContext.forTest("rec"))) {
            assertTrue(m.pinsOutputs());
            List<Map<String, Tensor>> out = m.predict(List.of(Map.of(recIn, line(rnd, 160)), Map.of(recIn, line(rnd, 320))));
            assertFalse(m.pinsOutputs(), "the pinned run failed on the predicted [2, 20, classes]; the model gave 40 steps");
            assertEquals(0, m.pinnedRuns());
            assertEquals(10, out.get(0).get(recOut).dim(1), "cropped as the (wrong) extent says: 160 / 16");
            assertEquals(20, out.get(1).get(recOut).dim(1));
            assertEquals(2, m.predict(List.of(Map.of(recIn, line(rnd, 64)), Map.of(recIn, line(rnd, 96)))).size(),
                    "later batches copy their outputs");
        }
        assertEquals(before, OnnxModel.NATIVE_VALUES_OPEN.get(), "no native value left open by the failed run");
    }

    @Test
    void aLinePaddedInABatchDecodesToTheSameText() throws Exception {
        // Zero padding (grey after PaddleOCR's scaling), as PaddleOCR pads its own batches. The recognizer mixes
        // the whole line, so padding can change a reading: with this drawing at 100 px beside 320 px the first
        // glyph changes; at 112 px it does not. Batching lines of similar widths keeps the padding small.
        Tensor narrow = strokes(112, "10110");
        Tensor wide = line(new Random(4), 320);
        try (OnnxModel m = OnnxModel.builder(REC).follow(recOut, 1, recIn, 3, w -> Math.max(1, (w + 3) / 8))
                .open(ModelContext.forTest("rec"))) {
            List<Integer> soloText = greedy(m.predict(List.of(Map.of(recIn, narrow))).get(0).get(recOut));
            List<Map<String, Tensor>> both = m.predict(List.of(Map.of(recIn, narrow), Map.of(recIn, wide)));
            assertEquals(soloText, greedy(both.get(0).get(recOut)), "the decoded characters are unchanged by padding");
            // The strokes look like "10110"; this recognizer reads them as "l0ll0" (a plain 1 is an l to it).
            assertEquals(5, soloText.size(), "five characters read: " + text(soloText));
        }
    }

    static String text(List<Integer> classes) throws java.io.IOException {
        List<String> keys = Files.readAllLines(MODELS.resolve("ppocr_keys_v1.txt"));
        StringBuilder b = new StringBuilder();
        for (int c : classes) {
            b.append(c - 1 < keys.size() ? keys.get(c - 1) : " ");
        }
        return b.toString();
    }

    /** CTC greedy decoding: the best class per time step, repeats collapsed, blanks (class 0) dropped. */
    static List<Integer> greedy(Tensor logits) {
        int steps = (int) logits.dim(1);
        int classes = (int) logits.dim(2);
        float[] v = logits.toFloatArray();
        List<Integer> out = new ArrayList<>();
        int previous = -1;
        for (int t = 0; t < steps; t++) {
            int best = 0;
            for (int c = 1; c < classes; c++) {
                if (v[t * classes + c] > v[t * classes + best]) {
                    best = c;
                }
            }
            if (best != 0 && best != previous) {
                out.add(best);
            }
            previous = best;
        }
        return out;
    }

    @Test
    void aRunWhoseCallersAllGaveUpIsTerminatedAndTheSessionServesTheNextBatch() throws Exception {
        java.util.concurrent.CountDownLatch started = new java.util.concurrent.CountDownLatch(1);
        List<String> outcomes = new java.util.concurrent.CopyOnWriteArrayList<>();
        DynamicBatcher<Map<String, Tensor>, Map<String, Tensor>> b = DynamicBatcher.<Map<String, Tensor>,
                Map<String, Tensor>>builder(batch -> {
                    started.countDown();
                    return rec.predict(batch);
                })
                .name("rec").maxBatchSize(32).policy(dev.sluice.batching.BatchPolicy.fixed())
                .maxDelay(Duration.ofSeconds(10)).isolateFailures(false)
                .observer(new dev.sluice.batching.BatchObserver() {
                    @Override
                    public void onBatch(String batcher, int size, long[] waits, long nanos, Throwable failure) {
                        outcomes.add(size + ": " + (failure == null ? "ran to its end" : failure));
                    }
                }).build();
        try {
            Random rnd = new Random(3);
            List<CompletableFuture<Map<String, Tensor>>> fs = new ArrayList<>();
            for (int i = 0; i < 32; i++) {
                fs.add(b.submit(Map.of(recIn, line(rnd, 2400)))); // a long run: 32 lines 2400 pixels wide
            }
            assertTrue(started.await(30, TimeUnit.SECONDS));
            fs.forEach(f -> f.cancel(true));
            Map<String, Tensor> next = b.submit(Map.of(recIn, line(rnd, 160))).get(60, TimeUnit.SECONDS);
            assertEquals(20, next.get(recOut).dim(1), "160 pixels read in 20 time steps");
            assertEquals(2, outcomes.size(), String.valueOf(outcomes));
            assertTrue(outcomes.get(0).startsWith("32: ai.onnxruntime.OrtException")
                    && outcomes.get(0).toLowerCase(java.util.Locale.ROOT).contains("terminate"), outcomes.get(0));
            assertEquals("1: ran to its end", outcomes.get(1));
        } finally {
            b.close(Duration.ofSeconds(60));
        }
    }

    @Test
    void withMaxPaddingARaggedBatchRunsAsRunsOfSimilarWidthsInItsOwnOrder() throws Exception {
        Random rnd = new Random(6);
        List<Tensor> lines = List.of(line(rnd, 160), line(rnd, 960), line(rnd, 160), line(rnd, 960), line(rnd, 160));
        try (OnnxModel m = OnnxModel.builder(REC).follow(recOut, 1, recIn, 3, w -> Math.max(1, (w + 3) / 8))
                .maxPadding(0.25).open(ModelContext.forTest("rec"))) {
            List<Map<String, Tensor>> batch = lines.stream().map(t -> Map.of(recIn, t)).toList();
            List<Map<String, Tensor>> out = m.predict(batch);
            assertEquals(2, m.pinnedRuns(), "the 160 px lines in one run, the 960 px ones in another");
            for (int i : new int[] {0, 2, 4, 1, 3}) {
                float[] alone = rec.predict(List.of(batch.get(i))).get(0).get(recOut).toFloatArray();
                float[] got = out.get(i).get(recOut).toFloatArray();
                assertEquals(alone.length, got.length, "line " + i + " answered in its place");
                for (int j = 0; j < got.length; j++) {
                    assertEquals(alone[j], got[j], 1e-4, "line " + i + ", value " + j + ": not padded");
                }
            }
        }
        assertThrows(IllegalArgumentException.class, () -> OnnxModel.builder(REC).maxPadding(-0.1));
        assertThrows(IllegalArgumentException.class, () -> OnnxModel.builder(REC).maxPadding(Double.NaN));
    }
}
