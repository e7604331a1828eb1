package dev.sluice.batching;

import java.time.Duration;

/**
 * A request's deadline passed before any model was given it: no model saw it, so it may be sent again even
 * to a model that is not idempotent. A batcher or deployment raises it for a request still waiting in its
 * queue when its deadline passed; a pipeline raises it (as the cause of its {@code PipelineStepException})
 * for a step attempt that could not start before the request's deadline, whose input then reached no model
 * in that attempt, though earlier steps of the request, or earlier attempts of the step, may have run.
 *
 * <p>A pipeline step attempt that runs out of time while it runs fails with
 * {@code dev.sluice.pipeline.StepTimeoutException} instead: its work may have reached a model.
 *
 * <p>It carries no stack trace: it is raised on the batcher's own threads, where the stack says nothing about
 * the caller, and expiring many requests at once must stay cheap.
 */
public class DeadlineExceededException extends SluiceException {
    private static final long serialVersionUID = 1L;

    private final String source;
    private final Duration timeout;

    public DeadlineExceededException(String source, Duration timeout, String detail) {
        super("'" + source + "': deadline of " + format(timeout) + " exceeded " + detail, false);
        this.source = source;
        this.timeout = timeout;
    }

    static String format(Duration d) {
        long micros = d.toNanos() / 1000;
        return micros < 10_000 ? micros + " us" : d.toMillis() + " ms";
    }

    /** Name of the batcher or deployment the request was waiting in. */
    public String source() {
        return source;
    }

    /** The timeout the request was submitted with. */
    public Duration timeout() {
        return timeout;
    }
}
