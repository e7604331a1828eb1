package dev.sluice.xgboost;

import static dev.sluice.batching.Eventually.eventually;
import static dev.sluice.batching.TestFutures.failureOf;
import static dev.sluice.xgboost.XgboostModels.row;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.Deployment;
import dev.sluice.DeploymentHandle;
import dev.sluice.Model;
import dev.sluice.ModelContext;
import dev.sluice.Resources;
import dev.sluice.Sluice;
import dev.sluice.batching.BatchPolicy;
import dev.sluice.batching.InvalidInputException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Rows that do not fit the model, and files that are not models: each a clear error, never a neighbour's. */
class XgboostBadInputTest {
    @TempDir
    static Path dir;
    static Path model;
    static XgboostModel direct;
    static final float[] DATA = XgboostModels.data();

    @BeforeAll
    static void load() throws IOException {
        model = XgboostModels.binary(dir, "fraud.json");
        direct = XgboostModel.builder(model).open(ModelContext.forTest("fraud"));
    }

    @AfterAll
    static void close() {
        direct.close();
    }

    private static InvalidInputException refused(Features row) {
        InvalidInputException e = assertThrows(InvalidInputException.class, () -> direct.predict(List.of(row)));
        InvalidInputException checked = assertThrows(InvalidInputException.class, () -> direct.info().validate(row));
        assertEquals(e.getMessage(), checked.getMessage(), "validate says what predict says");
        return e;
    }

    @Test
    void aRowOfTheWrongLengthSaysBothLengthsAndTheFeatures() {
        String m = refused(Features.of(1f, 2f, 3f)).getMessage();
        assertTrue(m.contains("a row of 3 values") && m.contains("takes 4 features [amount, hour, distance, age]"), m);
        assertTrue(refused(Features.of(1f, 2f, 3f, 4f, 5f)).getMessage().contains("a row of 5 values"));
    }

    @Test
    void anUnknownFeatureNameIsNamedWithTheModelsFeatures() {
        String m = refused(Features.named(Map.of("amount", 1, "colour", 3))).getMessage();
        assertTrue(m.contains("feature 'colour' is not one of the model's 4 features [amount, hour, distance, age]"), m);
    }

    @Test
    void infinityIsRefusedNamingTheFeatureAndNanIsMissing() throws Exception {
        String m = refused(Features.of(1f, Float.POSITIVE_INFINITY, 0f, 0f)).getMessage();
        assertTrue(m.contains("feature 'hour' (index 1) is Infinity"), m);
        String named = refused(Features.named(Map.of("age", Double.NEGATIVE_INFINITY))).getMessage();
        assertTrue(named.contains("feature 'age' (index 3) is -Infinity"), named);
        assertEquals(1, direct.predict(List.of(Features.of(Float.NaN, Float.NaN, Float.NaN, Float.NaN))).size());
    }

    @Test
    void aNullRowIsRefused() {
        assertThrows(InvalidInputException.class, () -> direct.predict(Arrays.asList((Features) null)));
    }

    @Test
    void aLongFeatureListIsCutShortInMessages() {
        ModelInfo info = new ModelInfo("binary:logistic", manyNames(30), true, 1, 1);
        String m = assertThrows(InvalidInputException.class, () -> info.validate(Features.of(1f))).getMessage();
        assertTrue(m.contains("x19, ... (30 in all)]") && !m.contains("x20"), m);
    }

    private static List<String> manyNames(int n) {
        List<String> names = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            names.add("x" + i);
        }
        return names;
    }

    // ---------------------------------------------------------------- files that are not models

    @ParameterizedTest
    @ValueSource(strings = {"text", "empty", "blank", "png", "truncated", "jsonNotAModel", "array"})
    void aFileThatIsNotAModelFailsAtLoadNamingTheFile(String kind) throws Exception {
        Path file = dir.resolve(kind + ".json");
        byte[] real = Files.readAllBytes(model);
        Files.write(file, switch (kind) {
            case "text" -> "amount,hour\n1,2\n".getBytes(StandardCharsets.UTF_8);
            case "empty" -> new byte[0];
            case "blank" -> "  \n".getBytes(StandardCharsets.UTF_8);
            case "png" -> new byte[] {(byte) 0x89, 'P', 'N', 'G', 13, 10, 26, 10};
            case "truncated" -> Arrays.copyOf(real, real.length / 2);
            case "jsonNotAModel" -> "{\"amount\": 1}".getBytes(StandardCharsets.UTF_8);
            case "array" -> "[1, 2]".getBytes(StandardCharsets.UTF_8);
            default -> throw new IllegalArgumentException(kind);
        });
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> XgboostModel.builder(file).open(ModelContext.forTest("m")));
        assertTrue(e.getMessage().startsWith(file.toString()) && e.getMessage().contains("not an XGBoost model"),
                e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> XgboostModel.builder(file).info());
    }

    @Test
    void aMissingFileFailsNamingIt() {
        Path file = dir.resolve("nowhere.json");
        IOException e = assertThrows(IOException.class, () -> XgboostModel.builder(file).open(ModelContext.forTest("m")));
        assertTrue(e.getMessage().contains(file.toString()), e.getMessage());
    }

    // ---------------------------------------------------------------- in a real runtime

    /** Holds the first batch until released, so the next requests queue up and form one batch; records batches. */
    static final class HeldFirstBatch implements Model<Features, Prediction> {
        final XgboostModel model;
        final CountDownLatch entered = new CountDownLatch(1);
        final CountDownLatch release = new CountDownLatch(1);
        final List<List<Features>> batches = new CopyOnWriteArrayList<>();

        HeldFirstBatch(XgboostModel model) {
            this.model = model;
        }

        @Override
        public List<Prediction> predict(List<Features> batch) throws Exception {
            batches.add(List.copyOf(batch));
            if (entered.getCount() > 0) {
                entered.countDown();
                assertTrue(release.await(10, TimeUnit.SECONDS), "released");
            }
            return model.predict(batch);
        }

        @Override
        public void close() {
            model.close();
        }
    }

    @Test
    void badRowsInABatchFailAloneAndTheirNeighboursAreScored() throws Exception {
        CopyOnWriteArrayList<HeldFirstBatch> models = new CopyOnWriteArrayList<>();
        XgboostModel.Builder fraud = XgboostModel.builder(model);
        Sluice sluice = Sluice.builder().resources(Resources.builder().cpus(2).build()).build();
        try {
            DeploymentHandle<Features, Prediction> h = sluice.deploy(Deployment.<Features, Prediction>builder("fraud",
                    ctx -> {
                        HeldFirstBatch m = new HeldFirstBatch(fraud.open(ctx));
                        models.add(m);
                        return m;
                    }).batching(b -> b.maxBatchSize(64).policy(BatchPolicy::eager)).build());
            h.awaitReady(Duration.ofSeconds(10));
            CompletableFuture<Prediction> first = h.submit(Features.of(row(DATA, 0)));
            HeldFirstBatch held = models.get(0);
            assertTrue(held.entered.await(10, TimeUnit.SECONDS), "the first batch reached the model");

            List<Features> rows = new ArrayList<>();
            for (int i = 1; i <= 20; i++) {
                rows.add(Features.of(row(DATA, i)));
            }
            rows.set(3, Features.of(1f, 2f));                                   // wrong length
            rows.set(9, Features.named(Map.of("amount", 1, "colour", 2)));      // unknown name
            rows.set(15, Features.of(0f, Float.NEGATIVE_INFINITY, 0f, 0f));    // infinite
            List<CompletableFuture<Prediction>> fs = new ArrayList<>();
            for (Features r : rows) {
                fs.add(h.submit(r));
            }
            eventually("all 20 queued", () -> h.status().queueDepth() == 20);
            held.release.countDown();

            assertEquals(1, first.get(10, TimeUnit.SECONDS).values().length);
            for (int i = 0; i < rows.size(); i++) {
                if (i == 3 || i == 9 || i == 15) {
                    Throwable t = failureOf(fs.get(i));
                    assertInstanceOf(InvalidInputException.class, t, "row " + i);
                    String expected = i == 3 ? "a row of 2 values" : i == 9 ? "feature 'colour'" : "-Infinity";
                    assertTrue(t.getMessage().contains(expected), t.getMessage());
                } else {
                    assertArrayEquals(direct.predict(List.of(rows.get(i))).get(0).values(),
                            fs.get(i).get(10, TimeUnit.SECONDS).values(), "row " + i);
                }
            }
            // every future has ended, so every batch was recorded
            assertTrue(held.batches.stream().anyMatch(b -> b.size() == 20),
                    "the 20 rows reached the model as one batch: " + held.batches.stream().map(List::size).toList());
        } finally {
            sluice.close(Duration.ofSeconds(5));
        }
    }

    @Test
    void withTheValidatorBadRowsAreRefusedAtSubmitAndNeverReachTheModel() throws Exception {
        CopyOnWriteArrayList<List<Features>> seen = new CopyOnWriteArrayList<>();
        XgboostModel.Builder fraud = XgboostModel.builder(model);
        ModelInfo info = fraud.info();
        Sluice sluice = Sluice.builder().resources(Resources.builder().cpus(2).build()).build();
        try {
            DeploymentHandle<Features, Prediction> h = sluice.deploy(Deployment.<Features, Prediction>builder("fraud",
                    ctx -> {
                        XgboostModel m = fraud.open(ctx);
                        return new Model<Features, Prediction>() {
                            @Override
                            public List<Prediction> predict(List<Features> batch) throws Exception {
                                seen.add(List.copyOf(batch));
                                return m.predict(batch);
                            }

                            @Override
                            public void close() {
                                m.close();
                            }
                        };
                    }).validator(info::validate).build());
            Features bad = Features.of(1f, 2f);
            CompletableFuture<Prediction> refused = h.submit(bad);
            assertTrue(refused.isCompletedExceptionally(), "refused on the caller's thread");
            assertTrue(failureOf(refused).getMessage().contains("a row of 2 values"));
            assertEquals(1, h.submit(Features.of(row(DATA, 1))).get(10, TimeUnit.SECONDS).values().length);
            assertTrue(seen.stream().flatMap(List::stream).noneMatch(bad::equals));
        } finally {
            sluice.close(Duration.ofSeconds(5));
        }
    }
}
