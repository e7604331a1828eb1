package dev.sluice.xgboost;

import static dev.sluice.xgboost.XgboostModels.FEATURES;
import static dev.sluice.xgboost.XgboostModels.ROWS;
import static dev.sluice.xgboost.XgboostModels.row;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.ModelContext;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import ml.dmlc.xgboost4j.java.Booster;
import ml.dmlc.xgboost4j.java.DMatrix;
import ml.dmlc.xgboost4j.java.XGBoost;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Loading XGBoost models, scoring rows in batches, and what each objective gives. */
class XgboostModelTest {
    @TempDir
    static Path dir;
    static Path binary;
    static Path binaryUbj;
    static Path unnamed;
    static Path softprob;
    static Path softmax;
    static Path regression;
    static final float[] DATA = XgboostModels.data();

    @BeforeAll
    static void train() {
        binary = XgboostModels.binary(dir, "fraud.json");
        binaryUbj = XgboostModels.binary(dir, "fraud.ubj");
        unnamed = XgboostModels.binaryUnnamed(dir, "unnamed.json");
        softprob = XgboostModels.multiClass(dir, "softprob.json", "multi:softprob");
        softmax = XgboostModels.multiClass(dir, "softmax.json", "multi:softmax");
        regression = XgboostModels.regression(dir, "regression.json");
    }

    private static XgboostModel open(Path file) throws IOException {
        return XgboostModel.builder(file).withMargin().withContributions().open(ModelContext.forTest("m"));
    }

    private static List<Features> rows(int from, int count) {
        List<Features> rows = new ArrayList<>();
        for (int i = from; i < from + count; i++) {
            rows.add(Features.of(row(DATA, i)));
        }
        return rows;
    }

    @Test
    void xgboostsJavaApiRunsWithoutScala() {
        // the module excludes xgboost4j's Scala libraries; every test here ran without them
        assertThrows(ClassNotFoundException.class, () -> Class.forName("scala.Product"));
    }

    @Test
    void readsTheObjectiveFeaturesAndOutputCountsFromTheModel() throws Exception {
        ModelInfo info = XgboostModel.builder(binary).info();
        assertEquals("binary:logistic", info.objective());
        assertEquals(FEATURES, info.featureNames());
        assertTrue(info.hasFeatureNames());
        assertEquals(4, info.featureCount());
        assertEquals(1, info.outputCount());
        assertEquals(1, info.groupCount());

        ModelInfo multi = XgboostModel.builder(softprob).info();
        assertEquals("multi:softprob", multi.objective());
        assertEquals(3, multi.outputCount());
        assertEquals(3, multi.groupCount());

        ModelInfo max = XgboostModel.builder(softmax).info();
        assertEquals(1, max.outputCount(), "multi:softmax gives the class index");
        assertEquals(3, max.groupCount(), "but a margin per class");
    }

    @Test
    void classifiersPredictAClassAndRegressionsDoNot() throws Exception {
        assertTrue(XgboostModel.builder(binary).info().predictsClass());
        assertTrue(XgboostModel.builder(softprob).info().predictsClass());
        assertTrue(XgboostModel.builder(softmax).info().predictsClass());
        assertFalse(XgboostModel.builder(regression).info().predictsClass());
    }

    @Test
    void aBuilderReadsItsModelOnceAndAgainWhenTheFeatureNamesChange() throws Exception {
        XgboostModel.Builder b = XgboostModel.builder(unnamed);
        ModelInfo first = b.info();
        assertSame(first, b.info(), "read once");
        assertEquals(List.of("f0", "f1", "f2", "f3"), first.featureNames());
        ModelInfo renamed = b.featureNames(List.of("a", "b", "c", "d")).info();
        assertEquals(List.of("a", "b", "c", "d"), renamed.featureNames());
    }

    @Test
    void aModelWithoutNamesHasXgboostsOwnNamesOrTheOnesGiven() throws Exception {
        ModelInfo own = XgboostModel.builder(unnamed).info();
        assertFalse(own.hasFeatureNames());
        assertEquals(List.of("f0", "f1", "f2", "f3"), own.featureNames());

        ModelInfo given = XgboostModel.builder(unnamed).featureNames(List.of("a", "b", "c", "d")).info();
        assertTrue(given.hasFeatureNames());
        assertEquals(List.of("a", "b", "c", "d"), given.featureNames());

        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> XgboostModel.builder(unnamed).featureNames(List.of("a", "b")).info());
        assertTrue(e.getMessage().contains("2 names") && e.getMessage().contains("4 features")
                && e.getMessage().contains("unnamed.json"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> XgboostModel.builder(unnamed).featureNames(List.of("a", "a")));
    }

    @Test
    void scoresWhatXgboostItselfScores() throws Exception {
        Booster reference = XGBoost.loadModel(binary.toString());
        DMatrix all = new DMatrix(DATA, ROWS, FEATURES.size(), Float.NaN);
        float[][] expected = reference.predict(all);
        float[][] expectedMargin = reference.predict(all, true);
        all.dispose();
        reference.dispose();
        try (XgboostModel model = open(binary)) {
            List<Prediction> got = model.predict(rows(0, ROWS));
            for (int i = 0; i < ROWS; i++) {
                assertArrayEquals(expected[i], got.get(i).values(), "row " + i);
                assertArrayEquals(expectedMargin[i], got.get(i).margin(), "row " + i);
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"fraud.json", "softprob.json", "softmax.json", "regression.json"})
    void batchedPredictionsEqualOneByOnePredictionsExactly(String file) throws Exception {
        try (XgboostModel model = open(dir.resolve(file))) {
            List<Prediction> alone = new ArrayList<>();
            for (Features f : rows(0, ROWS)) {
                alone.add(model.predict(List.of(f)).get(0));
            }
            for (int size : new int[] {2, 3, 16, 64, 100, ROWS}) {
                for (int from = 0; from + size <= ROWS; from += size) {
                    List<Prediction> batch = model.predict(rows(from, size));
                    for (int i = 0; i < size; i++) {
                        Prediction one = alone.get(from + i);
                        Prediction many = batch.get(i);
                        String where = file + ": row " + (from + i) + " in a batch of " + size;
                        assertArrayEquals(one.values(), many.values(), where);
                        assertArrayEquals(one.margin(), many.margin(), where);
                        for (int g = 0; g < model.info().groupCount(); g++) {
                            assertArrayEquals(one.contributions(g).values(), many.contributions(g).values(), where);
                            assertEquals(one.contributions(g).bias(), many.contributions(g).bias(), where);
                        }
                    }
                }
            }
        }
    }

    @Test
    void ubjsonAndJsonOfOneModelScoreAlike() throws Exception {
        try (XgboostModel json = open(binary); XgboostModel ubj = open(binaryUbj)) {
            assertEquals(json.info().featureNames(), ubj.info().featureNames());
            List<Prediction> a = json.predict(rows(0, 50));
            List<Prediction> b = ubj.predict(rows(0, 50));
            for (int i = 0; i < 50; i++) {
                assertArrayEquals(a.get(i).values(), b.get(i).values());
            }
        }
    }

    @Test
    void aModelInMemoryLoadsLikeItsFile() throws Exception {
        try (XgboostModel file = open(binary);
                XgboostModel bytes = XgboostModel.builder(Files.readAllBytes(binary)).open(ModelContext.forTest("m"))) {
            assertArrayEquals(file.predict(rows(0, 1)).get(0).values(), bytes.predict(rows(0, 1)).get(0).values());
        }
    }

    @Test
    void namedFeaturesScoreAsTheRowInTheModelsOrder() throws Exception {
        try (XgboostModel model = open(binary)) {
            Map<String, Float> named = new HashMap<>();
            named.put("age", 0.3f);
            named.put("amount", 1.5f);
            named.put("distance", -0.2f);
            named.put("hour", 2f);
            Prediction byName = model.predict(List.of(Features.named(named))).get(0);
            Prediction inOrder = model.predict(List.of(Features.of(1.5f, 2f, -0.2f, 0.3f))).get(0);
            assertArrayEquals(inOrder.values(), byName.values());
        }
    }

    @Test
    void aMissingValueIsNanOrALeftOutNameAndChangesTheScore() throws Exception {
        try (XgboostModel model = open(binary)) {
            Prediction nan = model.predict(List.of(Features.of(Float.NaN, 2f, -0.2f, 0.3f))).get(0);
            Prediction leftOut = model.predict(List.of(Features.named(Map.of("hour", 2f, "distance", -0.2f,
                    "age", 0.3f)))).get(0);
            Map<String, Double> withNull = new HashMap<>(Map.of("hour", 2.0, "distance", -0.2, "age", 0.3));
            withNull.put("amount", null);
            Prediction nullValue = model.predict(List.of(Features.named(withNull))).get(0);
            assertArrayEquals(nan.values(), leftOut.values());
            assertArrayEquals(nan.values(), nullValue.values());
            Prediction present = model.predict(List.of(Features.of(1.5f, 2f, -0.2f, 0.3f))).get(0);
            assertNotEquals(present.value(), nan.value(), "amount matters to this model, so missing is not 1.5");
        }
    }

    @Test
    void binaryLogisticGivesTheProbabilityOfItsMargin() throws Exception {
        try (XgboostModel model = open(binary)) {
            for (Prediction p : model.predict(rows(0, 40))) {
                float margin = p.margin()[0];
                assertEquals(1 / (1 + Math.exp(-margin)), p.value(), 1e-6);
                assertEquals(p.value() > 0.5f ? 1 : 0, p.predictedClass());
            }
        }
    }

    @Test
    void multiSoftprobGivesAProbabilityPerClassAndTheMostProbableClass() throws Exception {
        try (XgboostModel prob = open(softprob); XgboostModel max = open(softmax)) {
            List<Prediction> probs = prob.predict(rows(0, 60));
            List<Prediction> classes = max.predict(rows(0, 60));
            int[] seen = new int[3];
            for (int i = 0; i < 60; i++) {
                float[] p = probs.get(i).values();
                assertEquals(3, p.length);
                assertEquals(1.0, p[0] + p[1] + p[2], 1e-5);
                int best = probs.get(i).predictedClass();
                assertTrue(p[best] >= p[0] && p[best] >= p[1] && p[best] >= p[2]);
                assertEquals(best, classes.get(i).predictedClass(), "softmax and softprob agree, row " + i);
                assertEquals(3, classes.get(i).margin().length);
                seen[best]++;
            }
            assertTrue(seen[0] > 0 && seen[1] > 0 && seen[2] > 0, "every class predicted: " + Arrays.toString(seen));
            assertThrows(IllegalStateException.class, () -> probs.get(0).value());
        }
    }

    @Test
    void aRegressionGivesItsValueWhichIsItsMarginAndNoClass() throws Exception {
        try (XgboostModel model = open(regression)) {
            for (Prediction p : model.predict(rows(0, 20))) {
                assertEquals(p.margin()[0], p.value());
                IllegalStateException e = assertThrows(IllegalStateException.class, p::predictedClass);
                assertTrue(e.getMessage().contains("reg:squarederror"), e.getMessage());
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"fraud.json", "softprob.json", "regression.json"})
    void contributionsSumToTheMarginOfEachGroup(String file) throws Exception {
        try (XgboostModel model = open(dir.resolve(file))) {
            for (Prediction p : model.predict(rows(0, 50))) {
                float[] margin = p.margin();
                for (int g = 0; g < margin.length; g++) {
                    Contributions c = p.contributions(g);
                    assertEquals(FEATURES.size(), c.values().length);
                    assertEquals(margin[g], c.sum(), 1e-4 * Math.max(1, Math.abs(margin[g])), file + " group " + g);
                }
            }
        }
    }

    @Test
    void topContributionsAreTheLargestEitherWay() throws Exception {
        try (XgboostModel model = open(binary)) {
            Contributions c = model.predict(List.of(Features.of(2.5f, -1.5f, 0.1f, 0.2f))).get(0).contributions();
            List<FeatureContribution> top = c.top(2);
            assertEquals(2, top.size());
            assertTrue(Math.abs(top.get(0).value()) >= Math.abs(top.get(1).value()));
            for (String f : FEATURES) {
                if (!f.equals(top.get(0).feature()) && !f.equals(top.get(1).feature())) {
                    assertTrue(Math.abs(c.value(f)) <= Math.abs(top.get(1).value()), f);
                }
            }
            assertEquals(c.value(top.get(0).feature()), top.get(0).value());
            assertThrows(IllegalArgumentException.class, () -> c.value("colour"));
        }
    }

    @Test
    void outputsNotAskedForAreNotComputedAndSaySo() throws Exception {
        try (XgboostModel model = XgboostModel.builder(binary).open(ModelContext.forTest("m"))) {
            Prediction p = model.predict(rows(0, 1)).get(0);
            assertTrue(assertThrows(IllegalStateException.class, p::margin).getMessage().contains("withMargin()"));
            assertTrue(assertThrows(IllegalStateException.class, p::contributions).getMessage()
                    .contains("withContributions()"));
        }
    }
}
