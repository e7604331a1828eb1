package dev.sluice.pipeline;

import dev.sluice.batching.DeadlineExceededException;
import dev.sluice.batching.SluiceException;
import java.time.Duration;
import java.util.Objects;

/**
 * An attempt of a pipeline step ran out of time while it ran: the step's own timeout, or the request's
 * deadline, passed before its work finished. The attempt's work is then cancelled (deployment requests still
 * queued are withdrawn), but whatever it had already started may have run: a model may have seen its input.
 * Contrast {@link DeadlineExceededException}, which says no model saw the request.
 *
 * <p>A step timeout is retried like any other failure under the step's {@link RetryPolicy}; a passed request
 * deadline is never retried. A pipeline's future fails with {@link PipelineStepException} whose cause is this.
 * It carries no stack trace: it is raised on a timer thread, where the stack says nothing.
 */
public class StepTimeoutException extends SluiceException {
    private static final long serialVersionUID = 1L;

    /** Which limit ended the attempt. */
    public enum Limit {
        /** The step's own {@code timeout}, per attempt. */
        STEP_TIMEOUT,
        /** The deadline the request was submitted with, which bounds every step under it. */
        REQUEST_DEADLINE
    }

    private final String pipeline;
    private final String step;
    private final int attempt;
    private final Duration timeout;
    private final Limit limit;

    /**
     * @param attempt which attempt of the step (1 for the first)
     * @param timeout the limit that passed: the step's timeout, or the deadline the request was submitted with
     */
    public StepTimeoutException(String pipeline, String step, int attempt, Duration timeout, Limit limit) {
        super("pipeline '" + pipeline + "': attempt " + attempt + " of step '" + step + "' was still running when "
                + (limit == Limit.STEP_TIMEOUT ? "the step's timeout" : "the request's deadline") + " of "
                + format(timeout) + " passed; it was cancelled", false);
        this.pipeline = pipeline;
        this.step = step;
        this.attempt = attempt;
        this.timeout = Objects.requireNonNull(timeout, "timeout");
        this.limit = Objects.requireNonNull(limit, "limit");
    }

    private static String format(Duration d) {
        long micros = d.toNanos() / 1000;
        return micros < 10_000 ? micros + " us" : d.toMillis() + " ms";
    }

    public String pipeline() {
        return pipeline;
    }

    public String step() {
        return step;
    }

    /** Which attempt of the step ran out of time (1 for the first). */
    public int attempt() {
        return attempt;
    }

    /** The limit that passed: the step's timeout, or the deadline the request was submitted with. */
    public Duration timeout() {
        return timeout;
    }

    public Limit limit() {
        return limit;
    }
}
