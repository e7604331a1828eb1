package dev.sluice.xgboost;

import static dev.sluice.xgboost.XgboostModels.FEATURES;
import static dev.sluice.xgboost.XgboostModels.row;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static dev.sluice.batching.TestFutures.failureOf;

import dev.sluice.Deployment;
import dev.sluice.DeploymentHandle;
import dev.sluice.Model;
import dev.sluice.ModelContext;
import dev.sluice.Resources;
import dev.sluice.Sluice;
import dev.sluice.batching.InvalidInputException;
import dev.sluice.tensor.DataType;
import dev.sluice.tensor.Tensor;
import dev.sluice.tensor.TensorSignature;
import dev.sluice.tensor.TensorSpec;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The tensor form, as the Open Inference Protocol serves it. */
class XgboostTensorModelTest {
    @TempDir
    static Path dir;
    static Path binary;
    static Path softprob;
    static Path softmax;
    static Path regression;
    static final float[] DATA = XgboostModels.data();
    static final int F = FEATURES.size();

    @BeforeAll
    static void train() {
        binary = XgboostModels.binary(dir, "fraud.json");
        softprob = XgboostModels.multiClass(dir, "softprob.json", "multi:softprob");
        softmax = XgboostModels.multiClass(dir, "softmax.json", "multi:softmax");
        regression = XgboostModels.regression(dir, "regression.json");
    }

    private static Map<String, Tensor> rows(int from, int count) {
        return Map.of(XgboostModel.INPUT, Tensor.ofFloats(XgboostModel.INPUT, new long[] {count, F},
                Arrays.copyOfRange(DATA, from * F, (from + count) * F)));
    }

    @Test
    void theSignatureTakesFp32RowsAndGivesEachOutputAskedFor() throws Exception {
        TensorSignature plain = XgboostModel.builder(binary).signature();
        assertEquals(List.of(new TensorSpec("features", DataType.FP32, new long[] {-1, 4})), plain.inputs());
        assertEquals(List.of(new TensorSpec("prediction", DataType.FP32, new long[] {-1, 1})), plain.outputs());

        TensorSignature multi = XgboostModel.builder(softprob).withMargin().withContributions().signature();
        assertEquals(List.of(new TensorSpec("prediction", DataType.FP32, new long[] {-1, 3}),
                new TensorSpec("margin", DataType.FP32, new long[] {-1, 3}),
                new TensorSpec("contributions", DataType.FP32, new long[] {-1, 3, 5})), multi.outputs());
        TensorSignature binaryContribs = XgboostModel.builder(binary).withContributions().signature();
        assertEquals(new TensorSpec("contributions", DataType.FP32, new long[] {-1, 5}),
                binaryContribs.output("contributions").orElseThrow());
    }

    @Test
    void requestsOfSeveralRowsInOneBatchGetTheirOwnRowsScoredAsTheRowModelScoresThem() throws Exception {
        XgboostModel.Builder b = XgboostModel.builder(softprob).withMargin().withContributions();
        try (Model<Map<String, Tensor>, Map<String, Tensor>> tensors = b.tensorFactory().create(ModelContext.forTest("m"));
                XgboostModel rows = b.open(ModelContext.forTest("m"))) {
            List<Map<String, Tensor>> out = tensors.predict(List.of(rows(0, 3), rows(3, 0), rows(3, 5), rows(8, 1)));
            int[][] spans = {{0, 3}, {3, 0}, {3, 5}, {8, 1}};
            for (int r = 0; r < spans.length; r++) {
                Map<String, Tensor> answer = out.get(r);
                int count = spans[r][1];
                assertArrayEquals(new long[] {count, 3}, answer.get("prediction").shape());
                assertArrayEquals(new long[] {count, 3}, answer.get("margin").shape());
                assertArrayEquals(new long[] {count, 3, F + 1}, answer.get("contributions").shape());
                float[] values = answer.get("prediction").toFloatArray();
                float[] contributions = answer.get("contributions").toFloatArray();
                for (int i = 0; i < count; i++) {
                    Prediction p = rows.predict(List.of(Features.of(row(DATA, spans[r][0] + i)))).get(0);
                    assertArrayEquals(p.values(), Arrays.copyOfRange(values, i * 3, i * 3 + 3));
                    for (int g = 0; g < 3; g++) {
                        int at = (i * 3 + g) * (F + 1);
                        assertArrayEquals(p.contributions(g).values(), Arrays.copyOfRange(contributions, at, at + F));
                        assertEquals(p.contributions(g).bias(), contributions[at + F]);
                    }
                }
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"fraud.json", "softprob.json", "softmax.json"})
    void theClassOutputIsEachRowsPredictedClass(String file) throws Exception {
        XgboostModel.Builder b = XgboostModel.builder(dir.resolve(file)).withClass();
        assertEquals(new TensorSpec("class", DataType.INT64, new long[] {-1}), b.signature().output("class").orElseThrow());
        try (Model<Map<String, Tensor>, Map<String, Tensor>> tensors = b.tensorFactory().create(ModelContext.forTest("m"));
                XgboostModel rows = b.open(ModelContext.forTest("m"))) {
            List<Map<String, Tensor>> out = tensors.predict(List.of(rows(0, 40), rows(40, 1)));
            assertArrayEquals(new long[] {40}, out.get(0).get("class").shape());
            assertArrayEquals(new long[] {1}, out.get(1).get("class").shape());
            long[] classes = out.get(0).get("class").toLongArray();
            List<Features> features = new java.util.ArrayList<>();
            for (int i = 0; i < 40; i++) {
                features.add(Features.of(row(DATA, i)));
            }
            List<Prediction> expected = rows.predict(features);
            Set<Long> seen = new HashSet<>();
            for (int i = 0; i < 40; i++) {
                assertEquals(expected.get(i).predictedClass(), classes[i], "row " + i);
                seen.add(classes[i]);
            }
            assertTrue(seen.size() > 1, "more than one class predicted: " + seen);
            assertEquals(expected.size(), classes.length);
        }
    }

    @Test
    void aClassIsRefusedForAModelThatPredictsNoneNamingItsObjective() {
        XgboostModel.Builder b = XgboostModel.builder(regression).withClass();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, b::signature);
        assertTrue(e.getMessage().contains("output 'class'") && e.getMessage().contains("reg:squarederror"),
                e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> b.tensorFactory().create(ModelContext.forTest("m")));
        assertThrows(IllegalArgumentException.class, () -> b.tensorDeployment("r"));
    }

    @Test
    void aTensorDeploymentRefusesBadRequestsBeforeTheyQueueNamingWhatWasWrong() throws Exception {
        Sluice sluice = Sluice.builder().resources(Resources.builder().cpus(1).build()).build();
        try {
            DeploymentHandle<Map<String, Tensor>, Map<String, Tensor>> h = sluice.deploy(
                    XgboostModel.builder(binary).withMargin().tensorDeployment("fraud").build());
            assertEquals(List.of("prediction", "margin"), h.deployment().signature().orElseThrow().outputNames());

            CompletableFuture<Map<String, Tensor>> narrow = h.submit(Map.of("features",
                    Tensor.ofFloats("features", new long[] {1, 3}, 1f, 2f, 3f)));
            assertTrue(narrow.isCompletedExceptionally(), "refused on the caller's thread, never queued");
            assertEquals("input 'features' has rows of 3 values; the model takes 4 features [amount, hour, distance,"
                    + " age] (NaN for a missing one)", failureOf(narrow).getMessage());

            float[] data = new float[3 * F];
            data[2 * F + 1] = Float.NEGATIVE_INFINITY;
            CompletableFuture<Map<String, Tensor>> infinite = h.submit(Map.of("features",
                    Tensor.ofFloats("features", new long[] {3, F}, data)));
            assertTrue(infinite.isCompletedExceptionally(), "refused on the caller's thread, never queued");
            assertTrue(failureOf(infinite).getMessage().contains("input 'features' row 2: feature 'hour' (index 1) is"
                    + " -Infinity"), failureOf(infinite).getMessage());

            CompletableFuture<Map<String, Tensor>> fp64 = h.submit(Map.of("features",
                    Tensor.ofDoubles("features", new long[] {1, 4}, 1, 2, 3, 4)));
            assertTrue(failureOf(fp64).getMessage().contains("is FP64, the model takes FP32"), "the signature's check");

            float[] missing = {Float.NaN, 1f, Float.NaN, 0.5f};
            Map<String, Tensor> answer = h.submit(Map.of("features", Tensor.ofFloats("features", new long[] {1, F},
                    missing))).get(10, TimeUnit.SECONDS);
            try (XgboostModel direct = XgboostModel.builder(binary).withMargin().open(ModelContext.forTest("d"))) {
                Prediction p = direct.predict(List.of(Features.of(missing))).get(0);
                assertArrayEquals(p.values(), answer.get("prediction").toFloatArray(), "NaN is a missing value");
                assertArrayEquals(p.margin(), answer.get("margin").toFloatArray());
            }
        } finally {
            sluice.close(Duration.ofSeconds(5));
        }
    }

    @Test
    void anInfiniteValueIsRefusedNamingItsRowAndFeature() throws Exception {
        float[] data = new float[2 * F];
        data[F + 2] = Float.POSITIVE_INFINITY;
        try (Model<Map<String, Tensor>, Map<String, Tensor>> m = XgboostModel.builder(binary).tensorFactory()
                .create(ModelContext.forTest("m"))) {
            InvalidInputException e = assertThrows(InvalidInputException.class, () -> m.predict(List.of(
                    Map.of("features", Tensor.ofFloats("features", new long[] {2, F}, data)))));
            assertTrue(e.getMessage().contains("row 1: feature 'distance' (index 2) is Infinity"), e.getMessage());
            InvalidInputException width = assertThrows(InvalidInputException.class, () -> m.predict(List.of(
                    Map.of("features", Tensor.ofFloats("features", new long[] {1, 3}, 1f, 2f, 3f)))));
            assertTrue(width.getMessage().contains("input 'features' has dimension 1 of 3"), width.getMessage());
        }
    }

    @Test
    void aTensorDeploymentChecksRequestsAgainstItsSignatureBeforeTheyQueue() throws Exception {
        XgboostModel.Builder b = XgboostModel.builder(binary);
        Sluice sluice = Sluice.builder().resources(Resources.builder().cpus(1).build()).build();
        try {
            DeploymentHandle<Map<String, Tensor>, Map<String, Tensor>> h = sluice.deploy(
                    Deployment.builder("fraud", b.tensorFactory()).signature(b.signature()).build());
            Map<String, Tensor> answer = h.submit(rows(0, 2)).get(10, TimeUnit.SECONDS);
            assertArrayEquals(new long[] {2, 1}, answer.get("prediction").shape());
            assertTrue(h.submit(Map.of("features", Tensor.ofDoubles("features", new long[] {1, 4}, 1, 2, 3, 4)))
                    .isCompletedExceptionally(), "FP64 refused at submit");
        } finally {
            sluice.close(Duration.ofSeconds(5));
        }
    }
}
