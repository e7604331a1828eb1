package dev.sluice.pipeline;

import dev.sluice.batching.SluiceException;
import java.util.List;

/**
 * A pipeline step failed for good: it failed on every attempt its {@link RetryPolicy} allowed (or on one
 * that must not be retried) and had no fallback. Names the step and the attempts made; the
 * {@linkplain #getCause() cause} is the last attempt's failure and {@link #causes()} has every attempt's.
 * {@link #trace()} is the request's whole trace, so the failure is explained by this exception alone.
 */
public class PipelineStepException extends SluiceException {
    private static final long serialVersionUID = 1L;

    private final String pipeline;
    private final String step;
    private final int attempts;
    private final transient List<Throwable> causes;
    private transient volatile Trace trace;

    public PipelineStepException(String pipeline, String step, List<Throwable> causes) {
        super("pipeline '" + pipeline + "': step '" + step + "' failed after " + causes.size() + " attempt"
                + (causes.size() == 1 ? "" : "s") + ": " + causes.get(causes.size() - 1), causes.get(causes.size() - 1));
        this.pipeline = pipeline;
        this.step = step;
        this.attempts = causes.size();
        this.causes = List.copyOf(causes);
        for (int i = 0; i < causes.size() - 1; i++) {
            addSuppressed(causes.get(i));
        }
    }

    public String pipeline() {
        return pipeline;
    }

    public String step() {
        return step;
    }

    public int attempts() {
        return attempts;
    }

    /** Each attempt's failure, in order. */
    public List<Throwable> causes() {
        return causes;
    }

    /** The request's trace up to the failure (set before the pipeline's future fails). */
    public Trace trace() {
        return trace;
    }

    void trace(Trace t) {
        this.trace = t;
    }
}
