package dev.sluice.spring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.context.SpringBootTest;

/**
 * {@code sluice.http.request-timeout} on Spring MVC: a request queued past it ends with Sluice's own 504 and
 * never reaches a model; a call that runs past it and the grace ends with the endpoints' 504 for the web
 * server's asynchronous timeout, which the starter set from it (the servlet container's default is 30 s, past
 * these tests' gates).
 */
@SpringBootTest(classes = StuckModelApplication.class, webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = "sluice.http.request-timeout=300ms")
class RequestTimeoutHttpTest extends SluiceHttpTest {

    @Test
    void aQueuedRequestTimesOutWithSluicesDeadlineAndAHeldOneWithTheAsyncTimeoutBoth504() throws Exception {
        StuckModelApplication.TENSOR_BATCHES.clear(); // the other test class's context shares the application
        StuckModelApplication.TENSOR_GATE.close();
        CompletableFuture<Http.Reply> held;
        CompletableFuture<Http.Reply> queued;
        try {
            held = http.postAsync("/v2/models/stuck/infer", vector(1, 2, 3, 4));
            awaitLoad("stuck", 1, 0); // the only replica holds the first request
            queued = http.postAsync("/v2/models/stuck/infer", vector(5, 6, 7, 8));

            Http.Reply q = queued.join();
            assertThat(q.status()).isEqualTo(504);
            assertThat(q.error()).contains("deadline");

            Http.Reply h = held.join();
            assertThat(h.status()).isEqualTo(504);
            assertThat(h.error()).contains("asynchronous request timeout")
                    .contains("sluice.http.request-timeout plus 1 s");
            assertThat(h.header("Content-Type")).startsWith("application/json");
        } finally {
            StuckModelApplication.TENSOR_GATE.open();
        }
        // The held call ends once the gate opens; the queued request, withdrawn at its deadline, never ran.
        await().until(() -> !StuckModelApplication.TENSOR_BATCHES.isEmpty() && idle("stuck"));
        assertThat(StuckModelApplication.TENSOR_BATCHES).containsExactly(1);

        Http.Reply after = http.post("/v2/models/stuck/infer", vector(1, 1, 1, 1));
        assertThat(after.status()).isEqualTo(200);
    }

    @Test
    void aTypedCallHeldPastTheTimeoutGets504NotSpringsBare503() throws Exception {
        Http.Reply r = postWhileHeld(StuckModelApplication.TYPED_GATE, "/sluice/stuck-typed", "\"abc\"");
        assertThat(r.status()).isEqualTo(504);
        assertThat(r.error()).contains("asynchronous request timeout");
        await().until(() -> StuckModelApplication.TYPED_SEEN.contains("abc") && idle("stuck-typed"));
        assertThat(http.post("/sluice/stuck-typed", "\"abcd\"").body()).isEqualTo("4");
    }
}
