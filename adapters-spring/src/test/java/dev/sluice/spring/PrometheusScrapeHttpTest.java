package dev.sluice.spring;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.springframework.test.context.TestPropertySource;

/**
 * The runtime's metrics as a Prometheus server scrapes them from {@code /actuator/prometheus} (Micrometer's Prometheus
 * registry on the class path): the series names and labels the README documents, read from the text format, with
 * values that follow the requests.
 */
@TestPropertySource(properties = "management.endpoints.web.exposure.include=health,prometheus")
class PrometheusScrapeHttpTest extends FakeModelsHttpTest {

    @Test
    void theDocumentedSeriesAreScrapedWithTheirLabels() throws Exception {
        for (int i = 0; i < 3; i++) {
            assertEquals(200, http.post("/v2/models/doubler/infer", vector(i, 0, 0, 0)).status());
        }
        assertEquals(200, http.post("/sluice/receipts", "{\"customer\":\"p\",\"items\":[\"tea\"]}").status());
        Map<String, Double> s = scrape();
        String d = "{deployment=\"doubler\"}";
        String ok = "{deployment=\"doubler\",outcome=\"success\"}";
        assertTrue(s.get("sluice_request_latency_seconds_count" + ok) >= 3, "requests answered: " + s);
        assertEquals(s.get("sluice_request_latency_seconds_count" + ok),
                s.get("sluice_request_latency_seconds_bucket{deployment=\"doubler\",outcome=\"success\",le=\"+Inf\"}"),
                "histogram buckets, so quantiles can be taken across pods");
        assertNotNull(s.get("sluice_request_latency_seconds_bucket{deployment=\"doubler\",outcome=\"success\",le=\"0.001\"}"),
                "the smallest bucket is 1 ms");
        assertTrue(s.get("sluice_queue_wait_seconds_count" + d) >= 3);
        assertTrue(s.get("sluice_batch_size_count" + d) >= 1);
        assertEquals(0.0, s.get("sluice_queue_depth" + d));
        assertEquals(0.0, s.get("sluice_in_flight" + d));
        assertEquals(1.0, s.get("sluice_replicas" + d));
        assertTrue(s.get("sluice_budget_cpus") >= 1, "the budget's CPUs: " + s.get("sluice_budget_cpus"));
        assertEquals(0.0, s.get("sluice_budget_cpus_used"), "no model call runs between requests");
        assertEquals(0.0, s.get("sluice_budget_waiting"));
        assertNotNull(s.get("sluice_batch_target" + d));
        assertNotNull(s.get("sluice_queue_delay_bound_seconds" + d), "NaN until measured, but always scraped");
        assertNotNull(s.get("sluice_pipeline_capacity{pipeline=\"receipts\"}"));
        assertNotNull(s.get("sluice_pipeline_latency_bound_seconds{pipeline=\"receipts\"}"));
        assertEquals(0.0, s.get("sluice_pipeline_in_flight{pipeline=\"receipts\"}"));
        assertEquals(0.0, s.get("sluice_pipeline_refused_total{pipeline=\"receipts\"}"));
    }

    @Test
    void inFlightCountsTheRunningAndTheQueuedAndRejectionsCountByReason() throws Exception {
        FakeModelsApplication.SMALL_QUEUE_GATE.close();
        CompletableFuture<Http.Reply> running;
        CompletableFuture<Http.Reply> queued;
        Map<String, Double> held;
        try {
            running = http.postAsync("/v2/models/small-queue/infer", vector(1, 0, 0, 0));
            awaitLoad("small-queue", 1, 0);
            queued = http.postAsync("/v2/models/small-queue/infer", vector(2, 0, 0, 0));
            awaitLoad("small-queue", 1, 1);
            assertEquals(429, http.post("/v2/models/small-queue/infer", vector(3, 0, 0, 0)).status());
            held = scrape();
        } finally {
            FakeModelsApplication.SMALL_QUEUE_GATE.open();
        }
        assertEquals(200, running.join().status());
        assertEquals(200, queued.join().status());
        String d = "{deployment=\"small-queue\"}";
        assertEquals(2.0, held.get("sluice_in_flight" + d), "one running, one queued");
        assertEquals(1.0, held.get("sluice_queue_depth" + d));
        assertTrue(held.get("sluice_rejected_total{deployment=\"small-queue\",reason=\"overloaded\"}") >= 1, held.toString());
    }

    /** The scrape as series (name and labels as written, without the comment lines) to their values. */
    private Map<String, Double> scrape() throws Exception {
        Http.Reply r = http.get("/actuator/prometheus");
        assertEquals(200, r.status(), r.body());
        assertTrue(r.header("Content-Type").startsWith("text/plain"), "Prometheus's text format: " + r.header("Content-Type"));
        Map<String, Double> series = new HashMap<>();
        for (String line : r.body().split("\n")) {
            if (line.isBlank() || line.startsWith("#")) {
                continue;
            }
            int space = line.lastIndexOf(' ');
            String value = line.substring(space + 1);
            series.put(line.substring(0, space), value.equals("+Inf") ? Double.POSITIVE_INFINITY : Double.parseDouble(value));
        }
        return series;
    }
}
