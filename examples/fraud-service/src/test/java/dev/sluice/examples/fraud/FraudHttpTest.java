package dev.sluice.examples.fraud;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.ModelContext;
import dev.sluice.pipeline.Pipeline;
import dev.sluice.pipeline.Result;
import dev.sluice.xgboost.Prediction;
import dev.sluice.xgboost.XgboostModel;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** The service over HTTP: scores with their reasons, missing fields, bad payments, and batching that changes nothing. */
@SpringBootTest(classes = FraudApplication.class, webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
class FraudHttpTest {
    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final HttpClient CLIENT = HttpClient.newHttpClient();

    @LocalServerPort
    int port;

    @Autowired
    Pipeline<Transaction, FraudScore> fraud;

    private HttpResponse<String> post(String body) throws IOException, InterruptedException {
        return CLIENT.send(HttpRequest.newBuilder(URI.create("http://localhost:" + port + "/sluice/fraud"))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private JsonNode score(String body) throws IOException, InterruptedException {
        HttpResponse<String> r = post(body);
        assertEquals(200, r.statusCode(), r.body());
        return JSON.readTree(r.body());
    }

    @Test
    void aSuspiciousPaymentIsFlaggedWithTheFeaturesThatRaisedItsScore() throws Exception {
        JsonNode s = score(FraudSelfCheck.SUSPICIOUS);
        assertTrue(s.get("score").asDouble() > 0.9, s.toString());
        assertTrue(s.get("flagged").asBoolean());
        JsonNode reasons = s.get("reasons");
        assertEquals(3, reasons.size(), s.toString());
        double previous = Double.MAX_VALUE;
        for (JsonNode r : reasons) {
            double c = r.get("contribution").asDouble();
            assertTrue(Math.abs(c) <= previous, "largest first: " + reasons);
            previous = Math.abs(c);
            assertTrue(Transactions.FEATURES.contains(r.get("feature").asString()));
        }
        assertTrue(reasons.get(0).get("contribution").asDouble() > 0, "the top reason raised the score: " + reasons);
    }

    @Test
    void anOrdinaryPaymentIsNotFlagged() throws Exception {
        JsonNode s = score(FraudSelfCheck.ORDINARY);
        assertTrue(s.get("score").asDouble() < 0.05, s.toString());
        assertFalse(s.get("flagged").asBoolean());
    }

    @Test
    void fieldsLeftOutAreMissingValuesAndShowAsNullInTheReasons() throws Exception {
        JsonNode s = score("{\"amount\": 2500.0, \"hour\": 2}");
        assertTrue(s.get("score").asDouble() > 0 && s.get("score").asDouble() < 1, s.toString());
        boolean nullSeen = false;
        for (JsonNode r : s.get("reasons")) {
            String feature = r.get("feature").asString();
            assertEquals(feature.equals("amount") || feature.equals("hour"), !r.get("value").isNull(), s.toString());
            nullSeen |= r.get("value").isNull();
        }
        assertTrue(nullSeen, "a field left out moved the score and shows as null: " + s);
    }

    @Test
    void aBadPaymentIs400NamingTheFieldAndTheServiceServesOn() throws Exception {
        String[][] cases = {
            {"{\"amount\": 10.0, \"hour\": 31}", "hour must be between 0 and 23, was 31"},
            {"{\"hour\": 3}", "amount is required"},
            {"{\"amount\": -5}", "amount must be between 0 and"},
            {"{\"amount\": 10, \"merchantRisk\": 1.5}", "merchant_risk must be between 0 and 1, was 1.5"},
            {"{\"amount\": ", ""},
        };
        for (String[] c : cases) {
            HttpResponse<String> r = post(c[0]);
            assertEquals(400, r.statusCode(), c[0] + " -> " + r.body());
            assertTrue(r.body().contains(c[1]), c[0] + " -> " + r.body());
        }
        assertEquals(200, post(FraudSelfCheck.ORDINARY).statusCode());
    }

    @Test
    void concurrentPaymentsAreScoredInBatchesExactlyAsTheModelScoresThemOneByOne() throws Exception {
        List<Transactions.Labelled> payments = Transactions.draw(99, 300);
        List<CompletableFuture<Result<FraudScore>>> answers = new ArrayList<>();
        for (Transactions.Labelled p : payments) {
            answers.add(fraud.submit(p.transaction()));
        }
        int largestBatch = 0;
        try (XgboostModel alone = XgboostModel.builder(FraudScoring.builtModel()).withContributions()
                .open(ModelContext.forTest("alone"))) {
            for (int i = 0; i < payments.size(); i++) {
                Result<FraudScore> r = answers.get(i).get(30, TimeUnit.SECONDS);
                Prediction one = alone.predict(List.of(payments.get(i).transaction().features())).get(0);
                assertEquals(FraudScoring.explain(payments.get(i).transaction(), one, 0.5), r.value(), "payment " + i);
                largestBatch = Math.max(largestBatch, r.trace().spans().stream()
                        .mapToInt(s -> s.batchSize()).max().orElse(0));
            }
        }
        assertTrue(largestBatch > 1, "300 payments submitted at once shared batches; largest " + largestBatch);
    }

    @Test
    void theSelfCheckPasses() throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        boolean ok = FraudSelfCheck.check(URI.create("http://localhost:" + port + "/"),
                new PrintStream(bytes, true, StandardCharsets.UTF_8));
        String out = bytes.toString(StandardCharsets.UTF_8);
        assertTrue(ok, out);
        assertTrue(out.contains("self-check ok") && out.contains("trace: fraud"), out);
    }
}
