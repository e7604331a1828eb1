package dev.sluice.spring;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.http.HttpRequest;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.CsvSource;
import tools.jackson.databind.JsonNode;

/** {@code POST /sluice/{name}}: pipelines and object-typed deployments with Jackson-mapped inputs, over real HTTP. */
class TypedEndpointsHttpTest extends FakeModelsHttpTest {

    @Test
    void aPipelineTakesItsInputTypeAsJsonAndAnswersItsOutput() throws Exception {
        Http.Reply r = http.post("/sluice/receipts", "{\"customer\":\"ada\",\"items\":[\"tea\",\"scones\"]}");
        assertEquals(200, r.status(), r.body());
        assertEquals("application/json", r.header("Content-Type"));
        JsonNode receipt = r.json();
        assertEquals("ada", receipt.get("customer").asString());
        assertEquals(List.of(3, 6), List.of(receipt.get("lengths").get(0).asInt(), receipt.get("lengths").get(1).asInt()));
        assertEquals(9, receipt.get("letters").asInt());
    }

    @Test
    void withTraceTheAnswerCarriesTheRequestsTraceStepByStep() throws Exception {
        Http.Reply r = http.post("/sluice/receipts?trace=true", "{\"customer\":\"bo\",\"items\":[\"jam\"]}");
        assertEquals(200, r.status(), r.body());
        assertEquals(3, r.json().get("result").get("letters").asInt());
        String trace = r.json().get("trace").toString();
        for (String step : List.of("items", "measure", "total")) {
            assertTrue(trace.contains("\"" + step + "\""), "the trace names step " + step + ": " + trace);
        }
    }

    @Test
    void anObjectTypedDeploymentIsCalledDirectlyAndItsTraceIsTheBatchersDispatch() throws Exception {
        Http.Reply plain = http.post("/sluice/strings", "\"hello\"");
        assertEquals(200, plain.status(), plain.body());
        assertEquals("5", plain.body());
        Http.Reply traced = http.post("/sluice/strings?trace=true", "\"hi\"");
        assertEquals(2, traced.json().get("result").asInt());
        JsonNode dispatch = traced.json().get("trace");
        assertEquals("strings", dispatch.get("deployment").asString());
        assertEquals(1, dispatch.get("batchSize").asInt());
        assertTrue(dispatch.get("replica").asString().startsWith("strings#"), dispatch.toString());
        assertTrue(dispatch.get("queueWaitMs").asDouble() >= 0);
    }

    @Test
    void concurrentCallsOfAPipelineEachGetTheirOwnAnswer() throws Exception {
        List<CompletableFuture<Http.Reply>> replies = new ArrayList<>();
        for (int i = 0; i < 24; i++) {
            replies.add(http.postAsync("/sluice/receipts", "{\"customer\":\"c" + i + "\",\"items\":[\"" + "x".repeat(i + 1)
                    + "\",\"yy\"]}"));
        }
        for (int i = 0; i < replies.size(); i++) {
            Http.Reply r = replies.get(i).join();
            assertEquals(200, r.status(), r.body());
            assertEquals("c" + i, r.json().get("customer").asString(), "each caller gets its own receipt");
            assertEquals(i + 3, r.json().get("letters").asInt());
        }
    }

    @Test
    void badInputIs400NamingWhatWasWrong() throws Exception {
        Http.Reply malformed = http.post("/sluice/receipts", "{\"customer\":");
        assertEquals(400, malformed.status());
        assertTrue(malformed.error().startsWith("the request body is not Order as JSON"), malformed.error());

        Http.Reply wrongType = http.post("/sluice/receipts", "{\"customer\":\"a\",\"items\":{\"not\":\"a list\"}}");
        assertEquals(400, wrongType.status());
        assertTrue(wrongType.error().contains("List"), wrongType.error());

        Http.Reply empty = http.post("/sluice/receipts", "");
        assertEquals(400, empty.status());
        assertTrue(empty.error().contains("the request body is empty"), empty.error());

        Http.Reply refusedByAStep = http.post("/sluice/receipts?trace=true", "{\"customer\":\"a\",\"items\":[]}");
        assertEquals(400, refusedByAStep.status(), refusedByAStep.body());
        assertTrue(refusedByAStep.error().contains("an order needs at least one item"), refusedByAStep.error());
        assertTrue(refusedByAStep.json().get("trace").toString().contains("\"items\""), "the failed request's trace");
    }

    @Test
    void aFailingStepIs500WithAnErrorIdAndNoStackTrace() throws Exception {
        Http.Reply r = http.post("/sluice/receipts", "{\"customer\":\"crash\",\"items\":[\"a\"]}");
        assertEquals(500, r.status(), r.body());
        assertTrue(r.error().matches("pipeline 'receipts' failed on this request; error id [0-9a-f-]{36} .*"), r.error());
        assertFalse(r.body().contains("at dev.sluice"), "never a stack trace");
        assertFalse(r.body().contains("the till is broken"), "the cause stays in the log");
    }

    @Test
    void unknownNamesTensorModelsAndOtherMethodsAreRefused() throws Exception {
        Http.Reply unknown = http.post("/sluice/nothing", "{}");
        assertEquals(404, unknown.status());
        assertEquals("no pipeline or object-typed deployment named 'nothing'", unknown.error());

        Http.Reply tensor = http.post("/sluice/doubler", "{}");
        assertEquals(404, tensor.status());
        assertTrue(tensor.error().endsWith("'doubler' is a tensor model: POST /v2/models/doubler/infer"), tensor.error());

        Http.Reply get = http.get("/sluice/receipts");
        assertEquals(405, get.status());
        assertEquals("POST", get.header("Allow"));
    }

    @Test
    void aBodyOverTheLimitIs413BeforeItIsParsed() throws Exception {
        String big = "{\"customer\":\"" + "z".repeat(70 * 1024) + "\",\"items\":[\"a\"]}";
        Http.Reply r = http.send(http.request("/sluice/receipts").header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(big)).build());
        assertEquals(413, r.status());
        assertTrue(r.error().contains("sluice.http.max-request-size"), r.error());
    }

    @Test
    void aBodySentAsAFormAsCurlDashDDoesIsStillReadAsJson() throws Exception {
        for (String path : List.of("/sluice/receipts?trace=true", "/v2/models/doubler/infer")) {
            String body = path.startsWith("/sluice") ? "{\"customer\":\"cy\",\"items\":[\"a=b&c\"]}" : vector(1, 2, 3, 4);
            Http.Reply r = http.send(http.request(path).header("Content-Type", "application/x-www-form-urlencoded")
                    .POST(HttpRequest.BodyPublishers.ofString(body)).build());
            assertEquals(200, r.status(), path + ": " + r.body());
        }
        Http.Reply traced = http.send(http.request("/sluice/receipts?trace=true")
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString("{\"customer\":\"cy\",\"items\":[\"ab\"]}")).build());
        assertEquals(2, traced.json().at("/result/letters").asInt());
        assertTrue(traced.json().has("trace"), "the trace flag still read from the query: " + traced.body());
    }

    @ParameterizedTest(name = "?{0}: {1}")
    @MethodSource("dev.sluice.spring.TraceRuleCases#cases")
    void theTraceParameterFollowsTheStartersOneRule(String query, String expected) throws Exception {
        TraceRuleCases.check(http, "strings", "\"abc\"", query, expected);
    }
}
