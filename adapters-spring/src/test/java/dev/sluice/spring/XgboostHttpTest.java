package dev.sluice.spring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.sluice.ModelContext;
import dev.sluice.Sluice;
import dev.sluice.xgboost.Features;
import dev.sluice.xgboost.Prediction;
import dev.sluice.xgboost.XgboostModel;
import dev.sluice.xgboost.XgboostModels;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import tools.jackson.databind.JsonNode;

/**
 * XGBoost models declared in properties, served over real HTTP by the Open Inference Protocol: what each output
 * is, the outputs a client picks by name, a multi-class model's row of probabilities, and bad requests answered
 * 400 on their own. Run on both web stacks ({@link XgboostWebMvcHttpTest}, {@link XgboostWebFluxHttpTest}).
 *
 * <p>{@code fraud}: {@code binary:logistic} with {@code xgboost.outputs: margin}; {@code iris}: {@code multi:softprob}
 * of three classes with {@code class, margin, contributions}, written as a YAML list would be.
 */
abstract class XgboostHttpTest {
    static final int F = XgboostModels.FEATURES.size();
    static final float[] DATA = XgboostModels.data();

    @LocalServerPort
    int port;

    @Autowired
    Sluice sluice;

    Http http;

    static XgboostModel fraud;
    static XgboostModel iris;

    @DynamicPropertySource
    static void models(DynamicPropertyRegistry registry) {
        registry.add("sluice.models.fraud.path", () -> XgboostApplication.FRAUD.toString());
        registry.add("sluice.models.fraud.xgboost.outputs", () -> "margin");
        registry.add("sluice.models.iris.path", () -> XgboostApplication.IRIS.toString());
        registry.add("sluice.models.iris.xgboost.outputs[0]", () -> "class");
        registry.add("sluice.models.iris.xgboost.outputs[1]", () -> "margin");
        registry.add("sluice.models.iris.xgboost.outputs[2]", () -> "contributions");
    }

    /** The same models, called directly: what the HTTP answers must equal. */
    @BeforeAll
    static void direct() throws Exception {
        fraud = open(XgboostApplication.FRAUD);
        iris = open(XgboostApplication.IRIS);
    }

    private static XgboostModel open(Path file) throws Exception {
        return XgboostModel.builder(file).withMargin().withContributions().open(ModelContext.forTest("direct"));
    }

    @AfterAll
    static void close() {
        fraud.close();
        iris.close();
    }

    @BeforeEach
    void client() {
        http = new Http(port);
    }

    /** An inference request of these rows (FP32 [rows, 4]); {@code outputs} names the outputs asked for, if any. */
    static String request(List<float[]> rows, String... outputs) {
        String data = rows.stream().flatMap(r -> IntStream.range(0, r.length).mapToObj(i -> number(r[i])))
                .collect(Collectors.joining(","));
        String asked = outputs.length == 0 ? "" : ",\"outputs\":[" + java.util.Arrays.stream(outputs)
                .map(o -> "{\"name\":\"" + o + "\"}").collect(Collectors.joining(",")) + "]";
        return "{\"inputs\":[{\"name\":\"features\",\"datatype\":\"FP32\",\"shape\":[" + rows.size() + ","
                + (rows.isEmpty() ? F : rows.get(0).length) + "],\"data\":[" + data + "]}]" + asked + "}";
    }

    /** A float as JSON: NaN as the literal Python's json writes. */
    private static String number(float f) {
        return Float.isNaN(f) ? "NaN" : String.format(Locale.ROOT, "%s", f);
    }

    static List<float[]> rows(int from, int count) {
        List<float[]> rows = new ArrayList<>();
        for (int i = from; i < from + count; i++) {
            rows.add(XgboostModels.row(DATA, i));
        }
        return rows;
    }

    static float[] floats(JsonNode data) {
        float[] out = new float[data.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = (float) data.get(i).asDouble();
        }
        return out;
    }

    static Prediction predict(XgboostModel model, float[] row) throws Exception {
        return model.predict(List.of(Features.of(row))).get(0);
    }

    @Test
    void theMetadataSaysWhatEachOutputIs() throws Exception {
        Http.Reply r = http.get("/v2/models/iris");
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        JsonNode m = r.json();
        assertThat(m.get("platform").asString()).isEqualTo("xgboost");
        assertThat(m.at("/inputs/0").toString())
                .isEqualTo("{\"name\":\"features\",\"datatype\":\"FP32\",\"shape\":[-1,4]}");
        assertThat(m.get("outputs").toString()).isEqualTo("["
                + "{\"name\":\"prediction\",\"datatype\":\"FP32\",\"shape\":[-1,3]},"
                + "{\"name\":\"class\",\"datatype\":\"INT64\",\"shape\":[-1]},"
                + "{\"name\":\"margin\",\"datatype\":\"FP32\",\"shape\":[-1,3]},"
                + "{\"name\":\"contributions\",\"datatype\":\"FP32\",\"shape\":[-1,3,5]}]");
        assertThat(http.get("/v2/models/fraud").json().get("outputs").toString()).isEqualTo("["
                + "{\"name\":\"prediction\",\"datatype\":\"FP32\",\"shape\":[-1,1]},"
                + "{\"name\":\"margin\",\"datatype\":\"FP32\",\"shape\":[-1,1]}]");
    }

    @Test
    void aMultiClassModelGivesOneRowOfClassProbabilitiesPerRequestAndItsClass() throws Exception {
        for (int i = 0; i < 12; i++) {
            float[] row = XgboostModels.row(DATA, i);
            Http.Reply r = http.post("/v2/models/iris/infer", request(List.of(row), "prediction", "class"));
            assertThat(r.status()).as(r.body()).isEqualTo(200);
            JsonNode probabilities = r.json().at("/outputs/0");
            assertThat(probabilities.get("name").asString()).isEqualTo("prediction");
            assertThat(probabilities.get("shape").toString()).isEqualTo("[1,3]");
            float[] p = floats(probabilities.get("data"));
            assertThat(p[0] + p[1] + p[2]).isCloseTo(1f, org.assertj.core.data.Offset.offset(1e-5f));
            Prediction expected = predict(iris, row);
            assertThat(p).containsExactly(expected.values());
            JsonNode predicted = r.json().at("/outputs/1");
            assertThat(predicted.get("shape").toString()).isEqualTo("[1]");
            assertThat(predicted.get("datatype").asString()).isEqualTo("INT64");
            assertThat(predicted.at("/data/0").asInt()).isEqualTo(expected.predictedClass());
        }
    }

    @Test
    void aClientPicksOutputsByNameAndGetsWhatTheModelGivesInJava() throws Exception {
        List<float[]> two = rows(20, 2);
        Http.Reply contributions = http.post("/v2/models/iris/infer", request(two, "contributions"));
        assertThat(contributions.status()).as(contributions.body()).isEqualTo(200);
        assertThat(contributions.json().get("outputs").size()).isEqualTo(1);
        JsonNode c = contributions.json().at("/outputs/0");
        assertThat(c.get("shape").toString()).isEqualTo("[2,3,5]");
        float[] got = floats(c.get("data"));
        for (int row = 0; row < 2; row++) {
            Prediction p = predict(iris, two.get(row));
            for (int g = 0; g < 3; g++) {
                int at = (row * 3 + g) * (F + 1);
                assertThat(java.util.Arrays.copyOfRange(got, at, at + F)).containsExactly(p.contributions(g).values());
                assertThat(got[at + F]).isEqualTo(p.contributions(g).bias());
            }
        }

        Http.Reply margin = http.post("/v2/models/fraud/infer", request(two, "margin"));
        assertThat(margin.json().get("outputs").size()).isEqualTo(1);
        assertThat(margin.json().at("/outputs/0/shape").toString()).isEqualTo("[2,1]");
        assertThat(floats(margin.json().at("/outputs/0/data")))
                .containsExactly(predict(fraud, two.get(0)).margin()[0], predict(fraud, two.get(1)).margin()[0]);

        Http.Reply all = http.post("/v2/models/iris/infer", request(two));
        List<String> names = new ArrayList<>();
        all.json().get("outputs").forEach(o -> names.add(o.get("name").asString()));
        assertThat(names).containsExactly("prediction", "class", "margin", "contributions");

        Http.Reply notServed = http.post("/v2/models/fraud/infer", request(two, "contributions"));
        assertThat(notServed.status()).isEqualTo(400);
        assertThat(notServed.error()).contains("output 'contributions' is not one of the model's [prediction, margin]");
    }

    @Test
    void nanIsAMissingValueAndInfinitiesAndWrongRowsAre400NamingWhatWasWrong() throws Exception {
        float[] missing = {Float.NaN, 0.5f, Float.NaN, -1f};
        Http.Reply ok = http.post("/v2/models/fraud/infer", request(List.of(missing), "prediction"));
        assertThat(ok.status()).as(ok.body()).isEqualTo(200);
        assertThat(floats(ok.json().at("/outputs/0/data"))).containsExactly(predict(fraud, missing).values());

        Http.Reply narrow = http.post("/v2/models/fraud/infer", request(List.of(new float[] {1, 2, 3})));
        assertThat(narrow.status()).isEqualTo(400);
        assertThat(narrow.error()).isEqualTo("input 'features' has rows of 3 values; the model takes 4 features"
                + " [amount, hour, distance, age] (NaN for a missing one)");

        Http.Reply infinite = http.post("/v2/models/fraud/infer",
                request(List.of(new float[] {1, 2, 3, 4})).replace("[1.0,2.0,3.0,4.0]", "[1.0,-Infinity,3.0,4.0]"));
        assertThat(infinite.status()).isEqualTo(400);
        assertThat(infinite.error()).contains("input 'features'", "element 1 is -Infinity",
                "must be NaN or a finite number within the range of FP32");

        Http.Reply beyondFloat = http.post("/v2/models/fraud/infer",
                request(List.of(new float[] {1, 2, 3, 4})).replace("[1.0,2.0,3.0,4.0]", "[1.0,2.0,1e39,4.0]"));
        assertThat(beyondFloat.status()).isEqualTo(400);
        assertThat(beyondFloat.error()).contains("element 2 is 1e39");
    }

    @Test
    void badRequestsAre400AtOnceWhileTheirNeighboursWaitAndTheNeighboursAreScored() throws Exception {
        XgboostApplication.HOG_GATE.close();
        List<CompletableFuture<Http.Reply>> good = new ArrayList<>();
        List<Http.Reply> bad = new ArrayList<>();
        CompletableFuture<Http.Reply> hog;
        try {
            // hog's call holds the runtime's only CPU: fraud's calls wait for it, so its requests wait together
            hog = http.postAsync("/v2/models/hog/infer", FakeModelsHttpTest.vector(1, 2, 3, 4));
            await().until(() -> sluice.status().resources().cpusInUse() == 1);
            // fraud's first request: its batch (of one) is claimed and waits for the CPU
            good.add(http.postAsync("/v2/models/fraud/infer", request(rows(0, 1))));
            await().until(() -> sluice.status().resources().callsWaiting() == 1);
            for (int i = 1; i < 8; i++) {
                good.add(http.postAsync("/v2/models/fraud/infer", request(rows(i, 1 + i % 3))));
            }
            await().until(() -> queued("fraud") == 7); // they wait together for the next batch

            bad.add(http.post("/v2/models/fraud/infer", request(List.of(new float[] {1, 2, 3}))));
            bad.add(http.post("/v2/models/fraud/infer",
                    request(List.of(new float[] {1, 2, 3, 4})).replace("[1.0,2.0,3.0,4.0]", "[Infinity,2.0,3.0,4.0]")));
            bad.add(http.post("/v2/models/fraud/infer", request(List.of(new float[] {1, 2, 3, 4}, new float[] {5, 6}))));
            assertThat(queued("fraud")).as("the bad requests never joined the waiting ones").isEqualTo(7);
            assertThat(sluice.status().resources().callsWaiting()).isEqualTo(1);
        } finally {
            XgboostApplication.HOG_GATE.open();
        }
        assertThat(bad).allSatisfy(r -> assertThat(r.status()).as(r.body()).isEqualTo(400));
        assertThat(bad.get(0).error()).contains("rows of 3 values");
        assertThat(bad.get(1).error()).contains("element 0 is Infinity");
        assertThat(hog.join().status()).isEqualTo(200);
        for (int i = 0; i < good.size(); i++) {
            Http.Reply r = good.get(i).join();
            assertThat(r.status()).as(r.body()).isEqualTo(200);
            List<float[]> sent = i == 0 ? rows(0, 1) : rows(i, 1 + i % 3);
            assertThat(r.json().at("/outputs/0/shape").toString()).isEqualTo("[" + sent.size() + ",1]");
            float[] scores = floats(r.json().at("/outputs/0/data"));
            for (int k = 0; k < sent.size(); k++) {
                assertThat(scores[k]).as("request %d row %d", i, k).isEqualTo(predict(fraud, sent.get(k)).value());
            }
        }
    }

    /** Requests in {@code deployment}'s queue. */
    private int queued(String deployment) {
        return sluice.deployment(deployment).orElseThrow().status().queueDepth();
    }
}
