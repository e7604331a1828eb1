package dev.sluice.xgboost;

import static dev.sluice.xgboost.XgboostModels.FEATURES;
import static dev.sluice.xgboost.XgboostModels.row;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The tensor form, as the Open Inference Protocol serves it. */
class XgboostTensorModelTest {
    @TempDir
    static Path dir;
    static Path binary;
    static Path softprob;
    static final float[] DATA = XgboostModels.data();
    static final int F = FEATURES.size();

    @BeforeAll
    static void train() {
        binary = XgboostModels.binary(dir, "fraud.json");
        softprob = XgboostModels.multiClass(dir, "softprob.json", "multi:softprob");
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
