package dev.sluice.pipeline;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Context;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Bridges pipeline traces to OpenTelemetry: one span per request ({@code pipeline <name>}) with one child
 * per step attempt, at the times the trace recorded, with the trace's details as {@code sluice.*}
 * attributes and failed attempts marked as errors. Needs {@code io.opentelemetry:opentelemetry-api} on the
 * class path (an optional dependency of {@code sluice-core}); nothing uses it unless an application asks:
 *
 * <pre>{@code
 * Pipeline.<Image>builder("ocr").onTrace(OpenTelemetryTraces.exporter(openTelemetry.getTracer("sluice")))
 * }</pre>
 *
 * <p>Spans are made after the request ended (the trace is complete then), as children of the span that was
 * current when the exporter ran, or as roots.
 */
public final class OpenTelemetryTraces {
    private static final AttributeKey<List<Long>> BATCH_SIZES = AttributeKey.longArrayKey("sluice.batch_sizes");

    private OpenTelemetryTraces() {}

    /** A trace listener that turns every trace into spans of {@code tracer}. */
    public static Consumer<Trace> exporter(Tracer tracer) {
        Objects.requireNonNull(tracer, "tracer");
        return trace -> export(trace, tracer);
    }

    /** Turns one trace into spans of {@code tracer}. */
    public static void export(Trace trace, Tracer tracer) {
        long start = TimeUnit.SECONDS.toNanos(trace.startedAt().getEpochSecond()) + trace.startedAt().getNano();
        Span root = tracer.spanBuilder("pipeline " + trace.pipeline())
                .setStartTimestamp(start, TimeUnit.NANOSECONDS)
                .setAttribute("sluice.pipeline", trace.pipeline())
                .setAttribute("sluice.outcome", trace.outcome().name())
                .startSpan();
        if (trace.outcome() != Trace.Outcome.OK) {
            root.setStatus(StatusCode.ERROR, trace.outcome().label());
        }
        Context parent = Context.current().with(root);
        for (Trace.Span s : trace.spans()) {
            Span child = tracer.spanBuilder(s.step())
                    .setParent(parent)
                    .setStartTimestamp(start + s.startNanos(), TimeUnit.NANOSECONDS)
                    .setAttribute("sluice.step", s.step())
                    .setAttribute("sluice.attempt", s.attempt())
                    .setAttribute("sluice.outcome", s.outcome().name())
                    .startSpan();
            if (s.queueWaitNanos() >= 0) {
                child.setAttribute("sluice.queue_wait_ns", s.queueWaitNanos());
            }
            if (s.batchSize() > 0) {
                child.setAttribute("sluice.batch_size", s.batchSize());
            }
            if (s.replicas() != null) {
                child.setAttribute("sluice.replicas", s.replicas());
            }
            if (s.elements() > 0) {
                child.setAttribute("sluice.elements", s.elements());
            }
            if (s.elements() > 0 && !s.batchSizes().isEmpty()) {
                child.setAttribute(BATCH_SIZES, s.batchSizes().stream().map(Integer::longValue).toList());
            }
            if (s.note() != null) {
                child.setAttribute("sluice.note", s.note());
            }
            if (s.error() != null) {
                child.setStatus(StatusCode.ERROR, s.error());
            }
            child.end(start + s.startNanos() + s.durationNanos(), TimeUnit.NANOSECONDS);
        }
        root.end(start + trace.durationNanos(), TimeUnit.NANOSECONDS);
    }
}
