package dev.sluice.pipeline;

import dev.sluice.batching.DeadlineExceededException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One request through a pipeline; it is also the future handed to the caller. Each step's output is a
 * future; a step starts when the futures of its inputs have completed (so a step shared by two later ones,
 * as in a diamond, runs once), and its attempts run one after another until one succeeds, the retry policy
 * gives up, or the run stops.
 *
 * <p>The common case costs little: a step whose inputs are already there starts at once on the same thread,
 * an attempt whose work finished synchronously is handled without relay futures, and only steps with their
 * own timeout arm a timer (the request's deadline is one timer for the whole request).
 */
final class PipelineRun<I, O> extends CompletableFuture<Result<O>> {
    /** A step's output for one request, with what is kept across the step's attempts. */
    static final class StepState extends CompletableFuture<Object> {
        Object memo;
        boolean[] flags;
        volatile boolean started;
        /** The attempt running now, so a stop or the deadline can end it. */
        volatile Attempt current;
    }

    private final Pipeline<I, O> pipeline;
    /** The run's work weight, and whether it was admitted with nothing else in flight (for the admission). */
    final long work;
    final boolean admittedAlone;
    final long startedAt;
    private final Instant startedAtWall = Instant.now();
    private final long deadline;
    private final Duration deadlineGiven;
    private final CompletableFuture<?>[] outputs;
    private final StepState[] states;
    private final AtomicInteger stepsLeft;
    private final List<Trace.Span> spans = new ArrayList<>();
    private final AtomicBoolean released = new AtomicBoolean();
    /** The request's deadline timer, armed when a step first waits for something (null until then). */
    private Runnable deadlineTimer;
    private boolean deadlineArmed;
    /** Why the run stopped early (the first step failure, or the caller's cancellation), or null. */
    private volatile Throwable stopped;

    PipelineRun(Pipeline<I, O> pipeline, Duration deadline, long startedAt, long work, boolean admittedAlone) {
        this.pipeline = pipeline;
        this.work = work;
        this.admittedAlone = admittedAlone;
        this.startedAt = startedAt;
        this.deadlineGiven = deadline;
        long d = Long.MAX_VALUE;
        if (deadline != null) {
            long nanos = deadline.toNanos();
            d = startedAt + nanos < startedAt ? Long.MAX_VALUE : startedAt + nanos;
        }
        this.deadline = d;
        int n = pipeline.nodes.size();
        this.outputs = new CompletableFuture<?>[n];
        this.states = new StepState[n];
        this.stepsLeft = new AtomicInteger(n - 1);
    }

    Executor executor() {
        return pipeline.executor;
    }

    /** How long ago the request was submitted, on the pipeline's ticker. */
    long ageNanos() {
        return Math.max(0, pipeline.ticker.read() - startedAt);
    }

    long remainingNanos() {
        return deadline == Long.MAX_VALUE ? Long.MAX_VALUE : deadline - pipeline.ticker.read();
    }

    void start(I input) {
        List<Pipeline.Node> nodes = pipeline.nodes;
        outputs[0] = CompletableFuture.completedFuture(input);
        for (int k = 1; k < nodes.size(); k++) {
            StepState state = new StepState();
            states[k] = state;
            outputs[k] = state;
        }
        for (int k = 1; k < nodes.size(); k++) {
            int[] deps = nodes.get(k).deps;
            int index = k;
            if (deps.length == 1) {
                CompletableFuture<?> in = outputs[deps[0]];
                if (in.isDone()) {
                    inputsDone(index, in);
                } else {
                    in.whenComplete((v, e) -> inputsDone(index, in));
                }
                continue;
            }
            CompletableFuture<?>[] in = new CompletableFuture<?>[deps.length];
            boolean allDone = true;
            for (int i = 0; i < deps.length; i++) {
                in[i] = outputs[deps[i]];
                allDone &= in[i].isDone();
            }
            if (allDone) {
                inputsDone(index, null);
            } else {
                CompletableFuture.allOf(in).whenComplete((v, e) -> inputsDone(index, null));
            }
        }
    }

    /** The step's inputs have completed: run it, or pass on the first input's failure. */
    private void inputsDone(int k, CompletableFuture<?> single) {
        Pipeline.Node node = pipeline.nodes.get(k);
        if (single != null && node.assemble == Pipeline.Node.SINGLE) {
            if (single.isCompletedExceptionally()) {
                end(k, null, failureOf(single)); // its input failed: this step never runs
            } else {
                attempt(k, single.join(), 1, null);
            }
            return;
        }
        Object[] values = new Object[node.deps.length];
        for (int i = 0; i < values.length; i++) {
            CompletableFuture<?> dep = single != null ? single : outputs[node.deps[i]];
            if (dep.isCompletedExceptionally()) {
                end(k, null, failureOf(dep)); // an input failed: this step never runs
                return;
            }
            values[i] = dep.join();
        }
        Object input;
        try {
            input = node.assemble.apply(values);
        } catch (RuntimeException e) {
            List<Throwable> failures = new ArrayList<>(1);
            failures.add(e);
            fail(k, failures);
            return;
        }
        attempt(k, input, 1, null);
    }

    private void attempt(int k, Object input, int number, List<Throwable> failures) {
        Pipeline.Node node = pipeline.nodes.get(k);
        Throwable stop = stopped;
        if (stop != null) {
            end(k, null, stop);
            return;
        }
        long now = pipeline.ticker.read();
        if (deadline != Long.MAX_VALUE && deadline - now <= 0) {
            failures = add(failures, tooLateToStart(node, number));
            fail(k, failures);
            return;
        }
        StepState state = states[k];
        state.started = true;
        if (node.inline != null) { // a quick function: called here, nothing to wait for or cancel
            Object value = null;
            Throwable error = null;
            try {
                value = node.inline.apply(input);
            } catch (Throwable t) {
                error = t;
            }
            ended(k, input, number, now, null, failures, value, error);
            return;
        }
        Attempt attempt = new Attempt(this, state, number, now);
        state.current = attempt;
        if (stopped != null) { // a stop that missed the check above cancels it here
            attempt.cancel();
        }
        CompletableFuture<Object> started;
        try {
            started = node.body.start(input, attempt);
        } catch (Throwable t) {
            started = CompletableFuture.failedFuture(t);
        }
        if (started.isDone()) { // finished on this thread: no relay, no timer
            attemptEnded(k, input, attempt, failures, started);
            return;
        }
        armDeadline();
        CompletableFuture<Object> result = attempt.result();
        Runnable timer = node.timeoutNanos == Long.MAX_VALUE ? null
                : pipeline.scheduler.schedule(() -> {
                    attempt.endedByTimer = true;
                    if (result.completeExceptionally(new StepTimeoutException(pipeline.name, node.name, number,
                            Duration.ofNanos(node.timeoutNanos), StepTimeoutException.Limit.STEP_TIMEOUT))) {
                        attempt.cancel();
                    }
                }, node.timeoutNanos);
        List<Throwable> soFar = failures;
        started.whenComplete((v, e) -> {
            if (e == null) {
                result.complete(v);
            } else {
                result.completeExceptionally(unwrap(e));
            }
        });
        result.whenComplete((v, e) -> {
            if (timer != null) {
                timer.run();
            }
            attemptEnded(k, input, attempt, soFar, result);
        });
    }

    /** An attempt's future is done. */
    private void attemptEnded(int k, Object input, Attempt attempt, List<Throwable> failures,
            CompletableFuture<Object> done) {
        StepState state = states[k];
        if (state.current == attempt) {
            state.current = null;
        }
        if (done.isCompletedExceptionally()) {
            ended(k, input, attempt.number, attempt.startedAt, attempt, failures, null, failureOf(done));
        } else {
            ended(k, input, attempt.number, attempt.startedAt, attempt, failures, done.join(), null);
        }
    }

    /**
     * An attempt is over: record its span, then complete the step, retry or fail it.
     *
     * @param attempt the attempt, or null for an inline function (which has no dispatches to report)
     */
    private void ended(int k, Object input, int number, long attemptStart, Attempt attempt, List<Throwable> failures,
            Object value, Throwable error) {
        Pipeline.Node node = pipeline.nodes.get(k);
        long end = pipeline.ticker.read();
        long startedNanos = attemptStart - startedAt;
        if (error == null) {
            span(attempt == null ? inlineSpan(node, number, startedNanos, end - attemptStart, Trace.Outcome.OK, null)
                    : attempt.span(node.name, startedNanos, end - attemptStart, Trace.Outcome.OK, null));
            end(k, value, null);
            return;
        }
        Throwable cause = unwrap(error);
        failures = add(failures, cause);
        boolean timedOut = cause instanceof StepTimeoutException && attempt != null && attempt.endedByTimer;
        boolean cancelled = cause instanceof CancellationException;
        boolean retry = number < node.retry.attempts() && node.retry.retries(cause) && stopped == null
                && remainingNanos() > 0;
        boolean fallback = !retry && node.fallback != null && stopped == null && !cancelled;
        Trace.Outcome outcome = fallback ? Trace.Outcome.FALLBACK : timedOut ? Trace.Outcome.TIMED_OUT
                : cancelled ? Trace.Outcome.CANCELLED : Trace.Outcome.FAILED;
        span(attempt == null ? inlineSpan(node, number, startedNanos, end - attemptStart, outcome, cause)
                : attempt.span(node.name, startedNanos, end - attemptStart, outcome, cause));
        if (retry) {
            long wait = Math.min(node.retry.backoffNanos(number + 1), Math.max(0, remainingNanos()));
            int next = number + 1;
            List<Throwable> soFar = failures;
            if (wait <= 0) {
                attempt(k, input, next, soFar);
            } else {
                pipeline.scheduler.schedule(() -> attempt(k, input, next, soFar), wait);
            }
            return;
        }
        if (fallback) {
            Object instead;
            try {
                instead = node.fallback.apply(cause);
            } catch (RuntimeException f) {
                failures.add(f);
                fail(k, failures);
                return;
            }
            end(k, instead, null);
            return;
        }
        fail(k, failures);
    }

    private static Trace.Span inlineSpan(Pipeline.Node node, int number, long start, long duration,
            Trace.Outcome outcome, Throwable error) {
        return new Trace.Span(node.name, number, start, duration, outcome, error == null ? null : error.toString(),
                -1, 0, List.of(), null, 0, null);
    }

    private static List<Throwable> add(List<Throwable> failures, Throwable t) {
        List<Throwable> list = failures == null ? new ArrayList<>(2) : failures;
        list.add(t);
        return list;
    }

    /**
     * Arms the request's deadline timer, once, when a step first waits for work on another thread: a request
     * whose steps all finish on the submitting thread never touches the scheduler (each attempt checks the
     * deadline when it starts).
     */
    private void armDeadline() {
        if (deadline == Long.MAX_VALUE) {
            return;
        }
        synchronized (this) {
            if (deadlineArmed) {
                return;
            }
            deadlineArmed = true;
        }
        Runnable cancel = pipeline.scheduler.schedule(this::deadlinePassed, deadline - pipeline.ticker.read());
        synchronized (this) {
            deadlineTimer = cancel;
        }
    }

    /**
     * The request's deadline passed: the attempts still running fail with {@link StepTimeoutException} (a model
     * may have seen their input), and nothing else starts.
     */
    private void deadlinePassed() {
        for (int k = 1; k < states.length; k++) {
            Attempt a = states[k].current;
            if (a == null) {
                continue;
            }
            a.endedByTimer = true;
            StepTimeoutException e = new StepTimeoutException(pipeline.name, pipeline.nodes.get(k).name, a.number,
                    deadlineGiven, StepTimeoutException.Limit.REQUEST_DEADLINE);
            if (a.result().completeExceptionally(e)) {
                a.cancel();
            }
        }
    }

    /** For an attempt that could not start in time: no model saw its input, so the batcher's meaning holds. */
    private DeadlineExceededException tooLateToStart(Pipeline.Node node, int number) {
        return new DeadlineExceededException(pipeline.name, deadlineGiven,
                "at step '" + node.name + "', attempt " + number + ", before the attempt could start");
    }

    /** The step failed for good: the run stops, and the steps still running are cancelled. */
    private void fail(int k, List<Throwable> failures) {
        Throwable last = failures.get(failures.size() - 1);
        Throwable error = last instanceof CancellationException && stopped != null ? stopped
                : new PipelineStepException(pipeline.name, pipeline.nodes.get(k).name, failures);
        stop(error);
        end(k, null, error);
    }

    private void stop(Throwable why) {
        if (stopped == null) {
            synchronized (this) {
                if (stopped == null) {
                    stopped = why;
                }
            }
        }
        for (int k = 1; k < states.length; k++) {
            Attempt a = states[k].current;
            if (a != null) {
                a.cancel();
            }
        }
    }

    /** Completes step {@code k}'s output; the last step to end finishes the run. */
    @SuppressWarnings("unchecked")
    private void end(int k, Object value, Throwable error) {
        CompletableFuture<Object> out = (CompletableFuture<Object>) outputs[k];
        boolean first = error == null ? out.complete(value) : out.completeExceptionally(error);
        if (first && stepsLeft.decrementAndGet() == 0) {
            finish();
        }
    }

    private synchronized void span(Trace.Span s) {
        spans.add(s);
    }

    private void finish() {
        Runnable timer;
        synchronized (this) {
            timer = deadlineTimer;
        }
        if (timer != null) {
            timer.run();
        }
        Trace trace = trace();
        if (released.compareAndSet(false, true)) {
            pipeline.ended(this, trace.outcome() == Trace.Outcome.OK);
        }
        pipeline.traced(trace);
        CompletableFuture<?> out = outputs[pipeline.output];
        if (!out.isCompletedExceptionally() && stopped == null) {
            @SuppressWarnings("unchecked")
            O value = (O) out.join();
            complete(new Result<>(value, trace));
            return;
        }
        Throwable error = stopped != null ? stopped : failureOf(out);
        if (error instanceof PipelineStepException p) {
            p.trace(trace);
        }
        completeExceptionally(error);
    }

    /** The exception a done, failed future holds, unwrapped. */
    private static Throwable failureOf(CompletableFuture<?> f) {
        try {
            f.join();
            return new IllegalStateException("not failed");
        } catch (CompletionException | CancellationException e) {
            return unwrap(e);
        }
    }

    private synchronized Trace trace() {
        List<Trace.Span> all = new ArrayList<>(spans.size() + 4);
        all.addAll(spans);
        all.sort(Comparator.comparingLong(Trace.Span::startNanos));
        for (int k = 1; k < states.length; k++) {
            if (!states[k].started) {
                all.add(new Trace.Span(pipeline.nodes.get(k).name, 0, 0, 0, Trace.Outcome.NOT_RUN, null, -1, 0, List.of(), null, 0,
                        "inputs " + Pipeline.describe(pipeline.nodes.get(k).deps, pipeline.nodes)));
            }
        }
        Trace.Outcome outcome = isCancelled() || stopped instanceof CancellationException ? Trace.Outcome.CANCELLED
                : stopped != null || outputs[pipeline.output].isCompletedExceptionally() ? Trace.Outcome.FAILED
                : Trace.Outcome.OK;
        return new Trace(pipeline.name, startedAtWall, pipeline.ticker.read() - startedAt, outcome, all);
    }

    /**
     * Cancels the request: no further step starts, and the running ones are cancelled (deployment requests
     * still queued are withdrawn, so their models never see them).
     */
    @Override
    public boolean cancel(boolean mayInterruptIfRunning) {
        boolean cancelled = super.cancel(mayInterruptIfRunning);
        if (cancelled) {
            stop(new CancellationException("pipeline '" + pipeline.name + "' was cancelled by its caller"));
            if (released.compareAndSet(false, true)) {
                pipeline.ended(this, false);
            }
        }
        return cancelled;
    }

    static Throwable unwrap(Throwable e) {
        while (e instanceof CompletionException && e.getCause() != null) {
            e = e.getCause();
        }
        return e;
    }
}
