package dev.sluice.pipeline;

import java.util.Objects;

/**
 * What a pipeline produced for one request: its output and the {@link Trace} of how it got there.
 *
 * @param value the pipeline's output
 * @param trace one span per step and attempt
 * @param <T> the output type
 */
public record Result<T>(T value, Trace trace) {
    public Result {
        Objects.requireNonNull(trace, "trace");
    }
}
