package dev.sluice.spring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import org.junit.jupiter.api.Test;
import org.springframework.boot.test.context.SpringBootTest;

/**
 * An application's own {@code spring.mvc.async.request-timeout} is left as it is (the starter sets the timeout
 * only when it is absent), here with no Sluice request timeout at all: what outlives it gets the endpoints'
 * 504, not Spring's bare 503.
 */
@SpringBootTest(classes = StuckModelApplication.class, webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = {"sluice.http.request-timeout=0", "spring.mvc.async.request-timeout=200ms"})
class SpringAsyncTimeoutHttpTest extends SluiceHttpTest {

    @Test
    void theApplicationsOwnAsyncTimeoutAppliesAndAnswers504() throws Exception {
        Http.Reply r = postWhileHeld(StuckModelApplication.TENSOR_GATE, "/v2/models/stuck/infer", vector(1, 2, 3, 4));
        assertThat(r.status()).isEqualTo(504);
        assertThat(r.error()).contains("spring.mvc.async.request-timeout");
        await().until(() -> idle("stuck"));
        assertThat(http.post("/v2/models/stuck/infer", vector(1, 1, 1, 1)).status()).isEqualTo(200);
    }
}
