package dev.sluice.spring;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.test.context.TestPropertySource;
import tools.jackson.databind.JsonNode;

/** Health per deployment, the read-only {@code sluice} endpoint and the Micrometer metrics, over real HTTP. */
@TestPropertySource(properties = {"management.endpoints.web.exposure.include=health,sluice,metrics",
        "management.endpoint.health.show-details=always"})
class ActuatorHttpTest extends FakeModelsHttpTest {
    @org.springframework.beans.factory.annotation.Autowired
    SluicePipelines pipelines;

    @Test
    void healthHasOneComponentPerDeploymentUpOnceItsReplicasRun() throws Exception {
        sluice.deployment("doubler").orElseThrow().awaitReady(Duration.ofSeconds(30));
        JsonNode health = http.get("/actuator/health").json();
        JsonNode doubler = health.at("/components/sluice/components/doubler");
        assertEquals("UP", doubler.get("status").asString(), health.toString());
        assertEquals(1, doubler.at("/details/running").asInt());
        assertEquals("SERVING", doubler.at("/details/state").asString());
        assertTrue(health.at("/components/sluice/components").has("strings"), "every deployment, typed ones too");
    }

    @Test
    void theSluiceEndpointShowsTheStatusSnapshotReadOnly() throws Exception {
        Http.Reply all = http.get("/actuator/sluice");
        assertEquals(200, all.status(), all.body());
        assertTrue(all.json().get("deployments").toString().contains("\"name\":\"doubler\""), all.body());
        assertTrue(all.json().at("/resources/cpus").asInt() > 0, all.body());
        Http.Reply one = http.get("/actuator/sluice/doubler");
        assertEquals("doubler", one.json().get("name").asString());
        assertTrue(one.json().at("/costCurve/targetBatchSize").asInt() >= 1, "the measured cost curve: " + one.body());
        assertTrue(one.json().at("/costCurve/points").isArray(), one.body());
        assertEquals(404, http.get("/actuator/sluice/nothing").status());
        assertEquals(405, http.post("/actuator/sluice", "{}").status(), "nothing can be changed there");
    }

    @Test
    void metricsAreTaggedByDeployment() throws Exception {
        for (int i = 0; i < 3; i++) {
            assertEquals(200, http.post("/v2/models/doubler/infer", vector(i, 0, 0, 0)).status());
        }
        assertTrue(measurement("sluice.batch.size", "doubler", "COUNT") >= 1);
        assertTrue(measurement("sluice.queue.wait", "doubler", "COUNT") >= 3);
        assertTrue(measurement("sluice.request.latency", "doubler", "COUNT") >= 3);
        assertEquals(1.0, measurement("sluice.replicas", "doubler", "VALUE"));
        assertEquals(0.0, measurement("sluice.queue.depth", "doubler", "VALUE"));
        int target = sluice.deployment("doubler").orElseThrow().status().costCurve().targetBatchSize();
        assertEquals(target, measurement("sluice.batch.target", "doubler", "VALUE"), "the status's target");
    }

    @Test
    void aRefusedRequestCountsAsRejectedWithItsReason() throws Exception {
        FakeModelsApplication.SMALL_QUEUE_GATE.close();
        CompletableFuture<Http.Reply> running;
        CompletableFuture<Http.Reply> queued;
        try {
            running = http.postAsync("/v2/models/small-queue/infer", vector(1, 0, 0, 0));
            awaitLoad("small-queue", 1, 0);
            queued = http.postAsync("/v2/models/small-queue/infer", vector(2, 0, 0, 0));
            awaitLoad("small-queue", 1, 1);
            assertEquals(429, http.post("/v2/models/small-queue/infer", vector(3, 0, 0, 0)).status());
        } finally {
            FakeModelsApplication.SMALL_QUEUE_GATE.open();
        }
        assertEquals(200, running.join().status());
        assertEquals(200, queued.join().status());
        Http.Reply rejected = http.get("/actuator/metrics/sluice.rejected?tag=deployment:small-queue&tag=reason:overloaded");
        assertEquals(200, rejected.status(), rejected.body());
        assertTrue(value(rejected.json(), "COUNT") >= 1, rejected.body());
    }

    @Test
    void pipelinesShowTheirAdmission() throws Exception {
        for (int i = 0; i < 5; i++) {
            assertEquals(200, http.post("/sluice/receipts", "{\"customer\":\"m" + i + "\",\"items\":[\"tea\"]}").status());
        }
        dev.sluice.pipeline.Pipeline.AdmissionStatus admission = pipelines.get("receipts").orElseThrow().admission();
        assertEquals(admission.inFlight(), pipelineMeasurement("sluice.pipeline.in.flight", "VALUE"));
        assertEquals(0.0, pipelineMeasurement("sluice.pipeline.refused", "COUNT"));
        assertEquals(admission.workPerSecond(), pipelineMeasurement("sluice.pipeline.capacity", "VALUE"), 1e9);
        // Five requests one after another, each alone: the idle latency is measured, so the bound is known.
        assertTrue(pipelineMeasurement("sluice.pipeline.latency.bound", "VALUE") > 0, admission.toString());
    }

    private double pipelineMeasurement(String metric, String statistic) throws Exception {
        Http.Reply r = http.get("/actuator/metrics/" + metric + "?tag=pipeline:receipts");
        assertEquals(200, r.status(), metric + ": " + r.body());
        return value(r.json(), statistic);
    }

    private double measurement(String metric, String deployment, String statistic) throws Exception {
        Http.Reply r = http.get("/actuator/metrics/" + metric + "?tag=deployment:" + deployment);
        assertEquals(200, r.status(), metric + ": " + r.body());
        return value(r.json(), statistic);
    }

    private static double value(JsonNode metric, String statistic) {
        for (JsonNode m : metric.get("measurements")) {
            if (m.get("statistic").asString().equals(statistic)) {
                return m.get("value").asDouble();
            }
        }
        throw new AssertionError("no " + statistic + " in " + metric);
    }
}
