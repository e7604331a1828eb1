package dev.sluice.spring;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.awaitility.Awaitility.await;

import dev.sluice.Sluice;
import dev.sluice.SluiceStatus;
import java.io.ByteArrayInputStream;
import java.net.http.HttpRequest;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.CsvSource;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.boot.web.server.reactive.context.ReactiveWebServerApplicationContext;
import org.springframework.context.ApplicationContext;

/** The same endpoints in a reactive (WebFlux) application, over real HTTP. */
@SpringBootTest(classes = ReactiveApplication.class, webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = {"spring.main.web-application-type=reactive", "sluice.http.max-request-size=64KB"})
class WebFluxHttpTest {
    @LocalServerPort
    int port;

    @Autowired
    Sluice sluice;

    @Autowired
    ApplicationContext context;

    Http http;

    @BeforeEach
    void client() {
        http = new Http(port);
    }

    @Test
    void theApplicationIsReactiveAndServesTheProtocol() throws Exception {
        assertInstanceOf(ReactiveWebServerApplicationContext.class, context);
        assertEquals(200, http.get("/v2/health/live").status());
        assertEquals(200, http.get("/v2/health/ready").status());
        Http.Reply metadata = http.get("/v2/models/doubler");
        assertEquals(200, metadata.status(), metadata.body());
        assertEquals("x", metadata.json().at("/inputs/0/name").asString());
        Http.Reply answer = http.post("/v2/models/doubler/infer", FakeModelsHttpTest.vector(1, 2, 3, 4));
        assertEquals(200, answer.status(), answer.body());
        assertEquals("[2.0,4.0,6.0,8.0]", answer.json().at("/outputs/0/data").toString());
    }

    @Test
    void concurrentClientsAreBatchedTogetherAndEachGetsItsOwnOutput() throws Exception {
        ReactiveApplication.BATCHES.clear();
        ReactiveApplication.GATE.close();
        List<CompletableFuture<Http.Reply>> replies = new ArrayList<>();
        try {
            replies.add(http.postAsync("/v2/models/doubler/infer", FakeModelsHttpTest.vector(1, 0, 0, 0)));
            awaitLoad(1, 0);
            for (int i = 2; i <= 6; i++) {
                replies.add(http.postAsync("/v2/models/doubler/infer", FakeModelsHttpTest.vector(i, 0, 0, 0)));
            }
            awaitLoad(1, 5);
        } finally {
            ReactiveApplication.GATE.open();
        }
        for (int i = 1; i <= 6; i++) {
            Http.Reply r = replies.get(i - 1).join();
            assertEquals(200, r.status(), r.body());
            assertEquals("[" + 2.0 * i + ",0.0,0.0,0.0]", r.json().at("/outputs/0/data").toString());
        }
        assertEquals(List.of(1, 5), ReactiveApplication.BATCHES);
    }

    private void awaitLoad(int running, int queued) {
        await().until(() -> {
            SluiceStatus.DeploymentStatus s = sluice.deployment("doubler").orElseThrow().status();
            return s.replicas().stream().mapToInt(SluiceStatus.ReplicaStatus::inFlight).sum() == running
                    && s.queueDepth() == queued;
        });
    }

    @Test
    void errorsAreTheServletStacksErrors() throws Exception {
        Http.Reply bad = http.post("/v2/models/doubler/infer", "{\"inputs\":[{\"name\":\"x\",\"shape\":[1,4],"
                + "\"datatype\":\"FP32\",\"data\":[1,2,3]}]}");
        assertEquals(400, bad.status());
        assertTrue(bad.error().contains("x"), bad.error());
        assertEquals(404, http.post("/v2/models/nothing/infer", "{}").status());
        Http.Reply get = http.get("/v2/models/doubler/infer");
        assertEquals(405, get.status());
        assertEquals("POST", get.header("Allow"));

        String big = FakeModelsHttpTest.vector(1, 2, 3, 4) + " ".repeat(70 * 1024);
        Http.Reply declared = http.post("/v2/models/doubler/infer", big);
        assertEquals(413, declared.status());
        assertTrue(declared.error().contains("sluice.http.max-request-size"), declared.error());
        Http.Reply chunked = http.send(http.request("/v2/models/doubler/infer").header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(big.getBytes()))).build());
        assertEquals(413, chunked.status(), "no length declared: counted while gathered");
        assertEquals(200, http.post("/v2/models/doubler/infer", FakeModelsHttpTest.vector(1, 1, 1, 1)).status(),
                "and the server goes on");
    }

    @Test
    void typedEndpointsWorkOnWebFluxToo() throws Exception {
        Http.Reply r = http.post("/sluice/lengths?trace=true", "\"reactive\"");
        assertEquals(200, r.status(), r.body());
        assertEquals(8, r.json().get("result").asInt());
        assertEquals("lengths", r.json().at("/trace/deployment").asString());
        assertEquals(400, http.post("/sluice/lengths", "{not json").status());
    }

    @ParameterizedTest(name = "?{0}: {1}")
    @MethodSource("dev.sluice.spring.TraceRuleCases#cases")
    void theTraceParameterFollowsTheStartersOneRule(String query, String expected) throws Exception {
        TraceRuleCases.check(http, "lengths", "\"abc\"", query, expected);
    }
}
