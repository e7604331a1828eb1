package dev.sluice.spring.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sluice.batching.DeadlineExceededException;
import dev.sluice.batching.InvalidInputException;
import dev.sluice.batching.OverloadedException;
import dev.sluice.batching.ShutdownException;
import dev.sluice.pipeline.PipelineStepException;
import dev.sluice.pipeline.StepTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletionException;
import org.junit.jupiter.api.Test;
import org.springframework.http.ResponseEntity;
import tools.jackson.databind.json.JsonMapper;

/** The public mapping of Sluice's errors to HTTP answers, as an application's own controller gets them. */
class HttpErrorsTest {
    private static String error(ResponseEntity<byte[]> r) {
        return JsonMapper.builder().build().readTree(new String(r.getBody(), StandardCharsets.UTF_8)).get("error")
                .asString();
    }

    @Test
    void invalidInputIs400WithItsMessage() {
        ResponseEntity<byte[]> r = HttpErrors.response("model 'm'", new InvalidInputException("x is missing"));

        assertThat(r.getStatusCode().value()).isEqualTo(400);
        assertThat(error(r)).isEqualTo("x is missing");
        assertThat(r.getHeaders().getContentType()).hasToString("application/json");
    }

    @Test
    void overloadIs429WithRetryAfter() {
        ResponseEntity<byte[]> r = HttpErrors.response("model 'm'", new CompletionException(new OverloadedException("m", 8)));

        assertThat(r.getStatusCode().value()).isEqualTo(429);
        assertThat(r.getHeaders().getFirst("Retry-After")).isEqualTo("1");
    }

    @Test
    void aTimedRefusalSaysWhenThereIsRoomInWholeSecondsRoundedUp() {
        OverloadedException in2300ms = new OverloadedException("ocr", OverloadedException.Limit.EXPECTED_LATENCY,
                "too much work in flight", java.time.Duration.ofMillis(2300));
        OverloadedException soon = new OverloadedException("m", OverloadedException.Limit.QUEUE_DELAY,
                "queue too long", java.time.Duration.ofMillis(20));

        ResponseEntity<byte[]> later = HttpErrors.response("pipeline 'ocr'", new CompletionException(in2300ms));
        assertThat(later.getStatusCode().value()).isEqualTo(429);
        assertThat(later.getHeaders().getFirst("Retry-After")).isEqualTo("3");
        assertThat(error(later)).isEqualTo("'ocr' is overloaded: too much work in flight");
        assertThat(HttpErrors.response("m", soon).getHeaders().getFirst("Retry-After")).isEqualTo("1");
    }

    @Test
    void aDeadlineIs504AndShutdownOrCancellation503() {
        assertThat(HttpErrors.response("m", new DeadlineExceededException("m", java.time.Duration.ofMillis(5), "late")).getStatusCode().value()).isEqualTo(504);
        assertThat(HttpErrors.response("m", new ShutdownException("closing")).getStatusCode().value()).isEqualTo(503);
        assertThat(HttpErrors.response("m", new CancellationException()).getStatusCode().value()).isEqualTo(503);
    }

    @Test
    void aPipelineStepThatRanOutOfTimeIs504WithTheStepsMessage() {
        PipelineStepException failed = new PipelineStepException("ocr", "recognize", List.of(
                new StepTimeoutException("ocr", "recognize", 1, Duration.ofMillis(50), StepTimeoutException.Limit.STEP_TIMEOUT)));
        ResponseEntity<byte[]> r = HttpErrors.response("pipeline 'ocr'", new CompletionException(failed));

        assertThat(r.getStatusCode().value()).isEqualTo(504);
        assertThat(error(r)).contains("recognize");
    }

    @Test
    void anyOtherFailureIs500WithAnErrorIdAndNoStackTrace() {
        ResponseEntity<byte[]> r = HttpErrors.response("model 'm'", new IllegalStateException("secret detail"));

        assertThat(r.getStatusCode().value()).isEqualTo(500);
        assertThat(error(r)).matches("model 'm' failed on this request; error id [0-9a-f-]{36} .*");
        assertThat(new String(r.getBody(), StandardCharsets.UTF_8)).doesNotContain("secret detail", "at dev.sluice");
    }

    @Test
    void methodNotAllowedIs405WithAllow() {
        ResponseEntity<byte[]> r = HttpErrors.methodNotAllowed("GET", "/ocr", "POST");

        assertThat(r.getStatusCode().value()).isEqualTo(405);
        assertThat(r.getHeaders().getFirst("Allow")).isEqualTo("POST");
    }

    @Test
    void anErrorNeedsAnErrorStatus() {
        assertThatThrownBy(() -> HttpErrors.error(200, "fine")).isInstanceOf(IllegalArgumentException.class);
    }
}
