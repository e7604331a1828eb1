package dev.sluice.spring;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.Deployment;
import dev.sluice.Sluice;
import dev.sluice.tensor.Tensor;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.context.annotation.Bean;
import org.springframework.test.annotation.DirtiesContext;

/** A runtime that is shutting down answers 503, to the requests it held past the grace period and to new ones. */
@SpringBootTest(classes = OipShutdownTest.App.class, webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
@DirtiesContext
class OipShutdownTest {
    static final Gate GATE = new Gate();

    @SpringBootConfiguration
    @EnableAutoConfiguration
    static class App {
        @Bean
        Deployment<Map<String, Tensor>, Map<String, Tensor>> held() {
            return FakeTensorModels.doubler("held", GATE, FakeTensorModels.recorder(), 16);
        }
    }

    @LocalServerPort
    int port;

    @Autowired
    Sluice sluice;

    @Test
    void requestsCutOffByShutdownAndRequestsAfterItAre503() throws Exception {
        Http http = new Http(port);
        GATE.close();
        CompletableFuture<Http.Reply> cutOff = http.postAsync("/v2/models/held/infer", FakeModelsHttpTest.vector(1, 2, 3, 4));
        org.awaitility.Awaitility.await().until(() -> sluice.deployment("held").orElseThrow().status().replicas()
                .stream().anyMatch(r -> r.inFlight() == 1));
        Thread closer = new Thread(() -> sluice.close(Duration.ofMillis(100))); // the held batch outlives the grace
        closer.start();
        Http.Reply held;
        try {
            held = cutOff.join();
        } finally {
            GATE.open(); // let the replica thread end, so close() returns
        }
        closer.join();
        assertThat(held.status()).isEqualTo(503);
        assertThat(held.error()).contains("shutting down");

        Http.Reply after = http.post("/v2/models/held/infer", FakeModelsHttpTest.vector(1, 2, 3, 4));
        assertThat(after.status()).isEqualTo(503);
        assertThat(http.get("/v2/health/ready").status()).isEqualTo(400);
        assertThat(http.get("/v2/models/held/ready").status()).isEqualTo(400);
    }
}
