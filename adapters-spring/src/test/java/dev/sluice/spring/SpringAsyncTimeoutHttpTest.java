package dev.sluice.spring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.sluice.Sluice;
import dev.sluice.SluiceStatus;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;

/**
 * An application's own {@code spring.mvc.async.request-timeout} is left as it is (the starter sets the timeout
 * only when it is absent), here with no Sluice request timeout at all: what outlives it gets the endpoints'
 * 504, not Spring's bare 503.
 */
@SpringBootTest(classes = StuckModelApplication.class, webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = {"sluice.http.request-timeout=0", "spring.mvc.async.request-timeout=200ms"})
class SpringAsyncTimeoutHttpTest {
    @LocalServerPort
    int port;

    @Autowired
    Sluice sluice;

    @Test
    void theApplicationsOwnAsyncTimeoutAppliesAndAnswers504() throws Exception {
        Http http = new Http(port);
        StuckModelApplication.TENSOR_GATE.close();
        Http.Reply r;
        try {
            r = http.post("/v2/models/stuck/infer", FakeModelsHttpTest.vector(1, 2, 3, 4));
        } finally {
            StuckModelApplication.TENSOR_GATE.open();
        }
        assertThat(r.status()).isEqualTo(504);
        assertThat(r.error()).contains("spring.mvc.async.request-timeout");
        await().until(() -> {
            SluiceStatus.DeploymentStatus s = sluice.deployment("stuck").orElseThrow().status();
            return s.replicas().stream().mapToInt(SluiceStatus.ReplicaStatus::inFlight).sum() == 0;
        });
        assertThat(http.post("/v2/models/stuck/infer", FakeModelsHttpTest.vector(1, 1, 1, 1)).status()).isEqualTo(200);
    }
}
