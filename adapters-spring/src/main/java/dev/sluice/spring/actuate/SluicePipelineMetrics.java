package dev.sluice.spring.actuate;

import dev.sluice.pipeline.Pipeline;
import dev.sluice.spring.SluicePipelines;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.time.Duration;
import java.util.Objects;

/**
 * The admission of every pipeline bean in Micrometer, tagged with its {@code pipeline}:
 * <ul>
 *   <li>{@code sluice.pipeline.in.flight} (gauge): requests submitted and not yet ended
 *   <li>{@code sluice.pipeline.capacity} (gauge): the rate at which it can finish work, work units per second
 *       (requests per second unless the pipeline weighs them): what it finished while busy, over the share of the
 *       runtime's CPU budget held meanwhile; 0 until measured
 *   <li>{@code sluice.pipeline.latency.bound} (gauge, seconds): the latency a new request may expect before it
 *       is refused; NaN while there is none (not yet measured, or switched off)
 *   <li>{@code sluice.pipeline.refused} (counter): requests refused for their expected latency (429)
 * </ul>
 * They read {@link Pipeline#admission()} when scraped.
 */
public final class SluicePipelineMetrics implements MeterBinder {
    private final SluicePipelines pipelines;

    /** @param pipelines the application's pipelines, as the starter collected them */
    public SluicePipelineMetrics(SluicePipelines pipelines) {
        this.pipelines = Objects.requireNonNull(pipelines, "pipelines");
    }

    @Override
    public void bindTo(MeterRegistry registry) {
        pipelines.all().forEach((name, p) -> {
            Gauge.builder("sluice.pipeline.in.flight", p, q -> q.admission().inFlight()).tag("pipeline", name)
                    .description("Pipeline requests submitted and not yet ended").register(registry);
            Gauge.builder("sluice.pipeline.capacity", p, q -> q.admission().workPerSecond()).tag("pipeline", name)
                    .description("Work the pipeline can finish per second, as measured").register(registry);
            Gauge.builder("sluice.pipeline.latency.bound", p, SluicePipelineMetrics::boundSeconds).tag("pipeline", name)
                    .baseUnit("seconds").description("Expected latency past which a new request is refused")
                    .register(registry);
            FunctionCounter.builder("sluice.pipeline.refused", p, q -> q.admission().refused()).tag("pipeline", name)
                    .description("Requests refused for their expected latency").register(registry);
        });
    }

    private static double boundSeconds(Pipeline<?, ?> p) {
        Duration bound = p.admission().latencyBound();
        return bound == null ? Double.NaN : bound.toNanos() / 1e9;
    }
}
