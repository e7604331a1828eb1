package dev.sluice.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class OpenTelemetryTracesTest {

    @Test
    void eachRequestBecomesASpanWithOneChildPerStepAttempt() throws Exception {
        InMemorySpanExporter exporter = InMemorySpanExporter.create();
        try (SdkTracerProvider provider = SdkTracerProvider.builder()
                .addSpanProcessor(SimpleSpanProcessor.create(exporter)).build()) {
            int[] calls = {0};
            Pipeline.Builder<Integer> b = Pipeline.<Integer>builder("otel")
                    .onTrace(OpenTelemetryTraces.exporter(provider.get("test")));
            Ref<Integer> flaky = b.step("flaky").retry(RetryPolicy.attempts(2).noBackoff()).apply((Integer x) -> {
                if (calls[0]++ == 0) {
                    throw new IllegalStateException("first try fails");
                }
                return x + 1;
            }, b.input());
            Ref<String> out = b.step("format").apply((Integer x) -> "v" + x, flaky);
            Result<String> r = b.build(out).submit(1).get(10, TimeUnit.SECONDS);
            assertEquals("v2", r.value());

            List<SpanData> spans = exporter.getFinishedSpanItems();
            assertEquals(4, spans.size(), spans.toString());
            SpanData root = spans.stream().filter(s -> s.getName().equals("pipeline otel")).findFirst().orElseThrow();
            assertEquals("OK", root.getAttributes().get(AttributeKey.stringKey("sluice.outcome")));
            Map<String, List<SpanData>> byStep = spans.stream().filter(s -> s != root)
                    .collect(Collectors.groupingBy(SpanData::getName));
            assertEquals(2, byStep.get("flaky").size());
            for (SpanData s : spans) {
                if (s != root) {
                    assertEquals(root.getSpanId(), s.getParentSpanId(), "steps are children of the request");
                    assertEquals(root.getTraceId(), s.getTraceId());
                    assertTrue(s.getStartEpochNanos() >= root.getStartEpochNanos());
                    assertTrue(s.getEndEpochNanos() <= root.getEndEpochNanos());
                }
            }
            SpanData failed = byStep.get("flaky").stream()
                    .filter(s -> s.getAttributes().get(AttributeKey.longKey("sluice.attempt")) == 1).findFirst().orElseThrow();
            assertEquals(StatusCode.ERROR, failed.getStatus().getStatusCode());
            assertTrue(failed.getStatus().getDescription().contains("first try fails"));
        }
    }

    @Test
    void aFailedRequestIsAnErrorSpan() throws Exception {
        InMemorySpanExporter exporter = InMemorySpanExporter.create();
        try (SdkTracerProvider provider = SdkTracerProvider.builder()
                .addSpanProcessor(SimpleSpanProcessor.create(exporter)).build()) {
            Pipeline.Builder<Integer> b = Pipeline.<Integer>builder("bad")
                    .onTrace(OpenTelemetryTraces.exporter(provider.get("test")));
            Ref<Integer> s = b.step("boom").<Integer, Integer>apply((Integer x) -> {
                throw new IllegalStateException("boom");
            }, b.input());
            try {
                b.build(s).submit(1).get(10, TimeUnit.SECONDS);
            } catch (ExecutionException expected) {
                // the trace is exported all the same
            }
            SpanData root = exporter.getFinishedSpanItems().stream()
                    .filter(x -> x.getName().equals("pipeline bad")).findFirst().orElseThrow();
            assertEquals(StatusCode.ERROR, root.getStatus().getStatusCode());
        }
    }
}
