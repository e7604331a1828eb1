package dev.sluice.spring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;

/** Requests of many HTTP clients share batches, and each runtime error maps to its status. */
@ExtendWith(OutputCaptureExtension.class)
class OipErrorsTest extends FakeModelsHttpTest {

    @Test
    void concurrentHttpRequestsAreBatchedTogetherAndEachGetsItsOwnOutput() throws Exception {
        FakeModelsApplication.BATCHED_GATE.close();
        List<CompletableFuture<Http.Reply>> replies = new ArrayList<>();
        try {
            replies.add(http.postAsync("/v2/models/batched/infer", vector(1, 0, 0, 0)));
            awaitLoad("batched", 1, 0); // the first request holds the only replica
            for (int i = 2; i <= 5; i++) {
                replies.add(http.postAsync("/v2/models/batched/infer", vector(i, 0, 0, 0)));
            }
            awaitLoad("batched", 1, 4); // four clients' requests wait together
        } finally {
            FakeModelsApplication.BATCHED_GATE.open();
        }
        for (int i = 1; i <= 5; i++) {
            Http.Reply r = replies.get(i - 1).join();
            assertThat(r.status()).isEqualTo(200);
            assertThat(r.json().at("/outputs/0/data").toString()).isEqualTo("[" + 2.0 * i + ",0.0,0.0,0.0]");
        }
        assertThat(FakeModelsApplication.BATCHES).containsExactly(1, 4);
    }

    @Test
    void aRequestTheQueueWouldKeepTooLongIs429WithRetryAfterAndTheAdmittedRequestsStillSucceed() throws Exception {
        for (int i = 0; i < 2; i++) { // two calls: the batcher has measured what one costs (at least 5 ms)
            assertThat(http.post("/v2/models/delayed/infer", vector(1, 0, 0, 0)).status()).isEqualTo(200);
        }
        FakeModelsApplication.DELAYED_GATE.close();
        List<CompletableFuture<Http.Reply>> admitted = new ArrayList<>();
        Http.Reply refused = null;
        try {
            admitted.add(http.postAsync("/v2/models/delayed/infer", vector(1, 0, 0, 0)));
            awaitLoad("delayed", 1, 0);
            // Each one queued adds at least 5 ms to the wait of the next: by the fifth ahead, past the 20 ms bound.
            for (int i = 1; i <= 5 && refused == null; i++) {
                CompletableFuture<Http.Reply> reply = http.postAsync("/v2/models/delayed/infer", vector(i, 0, 0, 0));
                int queued = i;
                await().until(() -> reply.isDone() || sluice.deployment("delayed").orElseThrow().status().queueDepth() == queued);
                if (reply.isDone()) {
                    refused = reply.join();
                } else {
                    admitted.add(reply);
                }
            }
        } finally {
            FakeModelsApplication.DELAYED_GATE.open();
        }
        assertThat(refused).as("refused for its expected wait").isNotNull();
        assertThat(refused.status()).isEqualTo(429);
        assertThat(refused.header("Retry-After")).isEqualTo("1");
        assertThat(refused.error()).contains("'delayed' is overloaded")
                .contains("longer than the maxQueueDelay of 20.0 ms");
        for (CompletableFuture<Http.Reply> r : admitted) {
            assertThat(r.join().status()).isEqualTo(200);
        }
        assertThat(sluice.deployment("delayed").orElseThrow().status().queueDelay().refused()).isEqualTo(1);
    }

    @Test
    void aFullQueueIs429WithRetryAfterAndTheAdmittedRequestsStillSucceed() throws Exception {
        FakeModelsApplication.SMALL_QUEUE_GATE.close();
        CompletableFuture<Http.Reply> running;
        CompletableFuture<Http.Reply> queued;
        Http.Reply refused;
        try {
            running = http.postAsync("/v2/models/small-queue/infer", vector(1, 0, 0, 0));
            awaitLoad("small-queue", 1, 0);
            queued = http.postAsync("/v2/models/small-queue/infer", vector(2, 0, 0, 0));
            awaitLoad("small-queue", 1, 1); // capacity 1: full

            refused = http.post("/v2/models/small-queue/infer", vector(3, 0, 0, 0));
        } finally {
            FakeModelsApplication.SMALL_QUEUE_GATE.open();
        }
        assertThat(refused.status()).isEqualTo(429);
        assertThat(refused.header("Retry-After")).isEqualTo("1");
        assertThat(refused.error()).contains("'small-queue' is overloaded");
        assertThat(running.join().status()).isEqualTo(200);
        assertThat(queued.join().status()).isEqualTo(200);
    }

    @Test
    void aRequestPastItsTimeoutIs504AndNeverReachesTheModel() throws Exception {
        FakeModelsApplication.SLOW_GATE.close();
        CompletableFuture<Http.Reply> running;
        Http.Reply late;
        try {
            running = http.postAsync("/v2/models/slow/infer", vector(1, 0, 0, 0));
            awaitLoad("slow", 1, 0);

            late = http.post("/v2/models/slow/infer",
                    vector(2, 0, 0, 0).replace("{\"inputs\"", "{\"parameters\":{\"timeout_ms\":50},\"inputs\""));
        } finally {
            FakeModelsApplication.SLOW_GATE.open();
        }
        assertThat(late.status()).isEqualTo(504);
        assertThat(late.error()).contains("'slow'", "deadline of 50 ms exceeded");
        assertThat(running.join().status()).isEqualTo(200);
    }

    @Test
    void aModelFailureIs500WithAnErrorIdThatIsLoggedAndNoStackTrace(CapturedOutput log) throws Exception {
        CompletableFuture<Http.Reply> failing = http.postAsync("/v2/models/doubler/infer", vector(-1, 0, 0, 0));
        CompletableFuture<Http.Reply> fine = http.postAsync("/v2/models/doubler/infer", vector(1, 0, 0, 0));

        Http.Reply r = failing.join();
        assertThat(r.status()).isEqualTo(500);
        Matcher id = Pattern.compile("error id ([0-9a-f-]{36})").matcher(r.error());
        assertThat(id.find()).as(r.error()).isTrue();
        assertThat(r.body()).doesNotContain("negative input", "Exception", "\tat ");
        assertThat(log.getOut() + log.getErr()).contains("error id " + id.group(1), "negative input");
        assertThat(fine.join().status()).isEqualTo(200); // its batch neighbour is unaffected
    }
}
