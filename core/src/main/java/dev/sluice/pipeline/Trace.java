package dev.sluice.pipeline;

import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * How one pipeline request went: one span per step and attempt, in the order they started, with when it
 * started (from the request's start), how long it took, and for steps that called a deployment how long the
 * request queued, the batch it joined and the replica that ran it. Answers "why was this slow, or why did it
 * fail?" from the result alone. Immutable; {@link #toString()} is a compact text timeline, {@link #toJson()}
 * the same as JSON.
 *
 * @param pipeline the pipeline's name
 * @param startedAt when the request was submitted, by the wall clock (for exporting the spans elsewhere)
 * @param durationNanos from submit to the result
 * @param outcome {@link Outcome#OK OK}, {@link Outcome#FAILED FAILED} or {@link Outcome#CANCELLED CANCELLED}
 * @param spans every step attempt, and the steps that never ran (outcome {@link Outcome#NOT_RUN NOT_RUN})
 */
public record Trace(String pipeline, Instant startedAt, long durationNanos, Outcome outcome, List<Span> spans) {
    public Trace {
        Objects.requireNonNull(pipeline, "pipeline");
        Objects.requireNonNull(startedAt, "startedAt");
        Objects.requireNonNull(outcome, "outcome");
        spans = List.copyOf(spans);
    }

    /**
     * How a request or one step attempt ended. {@link #toJson()} writes the constant's name; the text timeline
     * writes its {@link #label()}.
     */
    public enum Outcome {
        /** Succeeded. */
        OK("ok"),
        /** Failed (a request: some step failed for good). */
        FAILED("failed"),
        /** A step attempt that its step's timeout or the request's deadline ended while it ran. */
        TIMED_OUT("timed out"),
        /** Cancelled: the caller cancelled the request, or another step's failure stopped it. */
        CANCELLED("cancelled"),
        /** A step attempt that failed for good, after which the step's fallback value was used. */
        FALLBACK("fallback"),
        /** A step that never started: an input failed or the request stopped first. */
        NOT_RUN("not run");

        private final String label;

        Outcome(String label) {
            this.label = label;
        }

        /** Lower-case words, for people: {@code ok}, {@code timed out}, {@code not run}, ... */
        public String label() {
            return label;
        }
    }

    /**
     * One attempt of one step.
     *
     * @param step the step's name
     * @param attempt 1 for the first attempt; 0 for a step that never ran
     * @param startNanos from the request's start
     * @param durationNanos the attempt's duration (0 for a step that never ran)
     * @param outcome how the attempt ended; {@link Outcome#NOT_RUN NOT_RUN} for a step that never ran
     * @param error the failure, as {@code Class: message}, or null
     * @param queueWaitNanos for a deployment call: how long it queued (a fan-out's longest), else -1
     * @param batchSize for a deployment call: the size of the batch it joined (a fan-out's largest), else 0
     * @param batchSizes for a deployment call: the size of the batch it joined; for a fan-out, the size of the
     *     batch each element sent by this attempt joined, in element order, leaving out elements that reached
     *     no model (expired, cancelled, refused, or done by an earlier attempt); else empty
     * @param replicas for a deployment call: the replica(s) that ran it, else null
     * @param elements for a fan-out: how many elements its input list has, else 0
     * @param note for a routing step: which branch ran and why; else null
     * @param chosenBatchSize for a deployment call: the most inputs its deployment's batch policy let the batch
     *     take (what the learned cost curve chose; a fan-out's largest), so a batch smaller than that was small
     *     only because fewer requests waited; else 0
     * @param budgetWaitNanos for a deployment call: of its queue wait, how long its batch waited for CPUs of
     *     the runtime's execution budget (a fan-out's longest); else -1
     * @param cpus for a deployment call: the most CPUs a call that ran it had from the budget (more than its
     *     deployment's {@code cpus} when it borrowed idle ones); else 0
     */
    public record Span(String step, int attempt, long startNanos, long durationNanos, Outcome outcome, String error,
            long queueWaitNanos, int batchSize, List<Integer> batchSizes, String replicas, int elements, String note,
            int chosenBatchSize, long budgetWaitNanos, int cpus) {
        public Span {
            Objects.requireNonNull(step, "step");
            Objects.requireNonNull(outcome, "outcome");
            batchSizes = batchSizes == null ? List.of() : List.copyOf(batchSizes);
        }

        /** A span without what the batcher chose and the budget gave (a step that is not a deployment call). */
        public Span(String step, int attempt, long startNanos, long durationNanos, Outcome outcome, String error,
                long queueWaitNanos, int batchSize, List<Integer> batchSizes, String replicas, int elements, String note) {
            this(step, attempt, startNanos, durationNanos, outcome, error, queueWaitNanos, batchSize, batchSizes, replicas,
                    elements, note, 0, -1, 0);
        }
    }

    /** The spans of one step, in attempt order. */
    public List<Span> spansOf(String step) {
        return spans.stream().filter(s -> s.step().equals(step)).toList();
    }

    /** A compact timeline: one line for the request, one per span. */
    @Override
    public String toString() {
        int width = 4;
        for (Span s : spans) {
            width = Math.max(width, s.step().length() + (s.attempt() > 1 ? 3 + digits(s.attempt()) : 0));
        }
        StringBuilder b = new StringBuilder();
        b.append(pipeline).append(' ').append(ms(durationNanos)).append(' ').append(outcome.label());
        for (Span s : spans) {
            String name = s.attempt() > 1 ? s.step() + " #" + s.attempt() : s.step();
            b.append('\n').append("  ").append(name).append(" ".repeat(width - name.length() + 1));
            if (s.attempt() == 0) { // never ran: no times to show
                b.append(String.format(Locale.ROOT, " %-9s %-10s %s", "", "", s.outcome().label()));
            } else {
                b.append(String.format(Locale.ROOT, "+%-9s %-10s %s", ms(s.startNanos()), ms(s.durationNanos()),
                        s.outcome().label()));
            }
            StringBuilder detail = new StringBuilder();
            if (s.elements() > 0) {
                detail.append("x").append(s.elements());
            }
            boolean fanOut = s.elements() > 0;
            if (s.queueWaitNanos() >= 0) {
                detail.append(detail.length() > 0 ? ", " : "").append(fanOut ? "longest queue " : "queue ")
                        .append(ms(s.queueWaitNanos()));
                if (s.budgetWaitNanos() > 0) {
                    detail.append(" (").append(ms(s.budgetWaitNanos())).append(" of it waiting for CPUs)");
                }
            }
            if (fanOut && !s.batchSizes().isEmpty()) {
                detail.append(detail.length() > 0 ? ", " : "").append("batch sizes per element ").append(s.batchSizes());
            } else if (s.batchSize() > 0) {
                detail.append(detail.length() > 0 ? ", " : "").append("batch ").append(s.batchSize());
            }
            if (s.chosenBatchSize() > 0 && s.chosenBatchSize() != s.batchSize()) {
                detail.append(" (policy's size ").append(s.chosenBatchSize()).append(')');
            }
            if (s.cpus() > 1) {
                detail.append(", ").append(s.cpus()).append(" CPUs");
            }
            if (s.replicas() != null) { // a remote call may have no queue or batch before it
                detail.append(detail.length() > 0 ? ", " : "").append(s.replicas());
            }
            if (s.note() != null) {
                detail.append(detail.length() > 0 ? ", " : "").append(s.note());
            }
            if (s.error() != null) {
                detail.append(detail.length() > 0 ? ", " : "").append(s.error());
            }
            if (detail.length() > 0) {
                b.append("  ").append(detail);
            }
        }
        return b.toString();
    }

    /** The trace as a JSON object (field names as in the records; times in nanoseconds). */
    public String toJson() {
        StringBuilder b = new StringBuilder("{\"pipeline\":").append(quote(pipeline))
                .append(",\"startedAt\":").append(quote(startedAt.toString()))
                .append(",\"durationNanos\":").append(durationNanos)
                .append(",\"outcome\":").append(quote(outcome.name())).append(",\"spans\":[");
        for (int i = 0; i < spans.size(); i++) {
            Span s = spans.get(i);
            b.append(i == 0 ? "" : ",").append("{\"step\":").append(quote(s.step()))
                    .append(",\"attempt\":").append(s.attempt())
                    .append(",\"startNanos\":").append(s.startNanos())
                    .append(",\"durationNanos\":").append(s.durationNanos())
                    .append(",\"outcome\":").append(quote(s.outcome().name()))
                    .append(",\"error\":").append(quote(s.error()))
                    .append(",\"queueWaitNanos\":").append(s.queueWaitNanos())
                    .append(",\"batchSize\":").append(s.batchSize())
                    .append(",\"batchSizes\":").append(s.batchSizes().toString().replace(" ", ""))
                    .append(",\"replicas\":").append(quote(s.replicas()))
                    .append(",\"elements\":").append(s.elements())
                    .append(",\"note\":").append(quote(s.note()))
                    .append(",\"chosenBatchSize\":").append(s.chosenBatchSize())
                    .append(",\"budgetWaitNanos\":").append(s.budgetWaitNanos())
                    .append(",\"cpus\":").append(s.cpus()).append('}');
        }
        return b.append("]}").toString();
    }

    private static int digits(int n) {
        return Integer.toString(n).length();
    }

    static String ms(long nanos) {
        return String.format(Locale.ROOT, "%.1f ms", nanos / 1e6);
    }

    static String quote(String s) {
        if (s == null) {
            return "null";
        }
        StringBuilder b = new StringBuilder(s.length() + 2).append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                case '\r' -> b.append("\\r");
                case '\t' -> b.append("\\t");
                default -> {
                    if (c < 0x20) {
                        b.append(String.format(Locale.ROOT, "\\u%04x", (int) c));
                    } else {
                        b.append(c);
                    }
                }
            }
        }
        return b.append('"').toString();
    }
}
