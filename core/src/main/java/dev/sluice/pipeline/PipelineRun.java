package dev.sluice.pipeline;

import dev.sluice.batching.DeadlineExceededException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One request through a pipeline; it is also the future handed to the caller. Each step's output is a
 * future; a step starts when the futures of its inputs have completed (so a step shared by two later ones,
 * as in a diamond, runs once), and its attempts run one after another until one succeeds, the retry policy
 * gives up, or the run stops.
 */
final class PipelineRun<I, O> extends CompletableFuture<Result<O>> {
    /** Per step and request: kept across the step's attempts. */
    static final class StepState {
        Object memo;
        boolean[] flags;
        volatile boolean started;
    }

    private final Pipeline<I, O> pipeline;
    private final long startedAt;
    private final Instant startedAtWall = Instant.now();
    private final long deadline;
    private final Duration deadlineGiven;
    private final CompletableFuture<?>[] outputs;
    private final StepState[] states;
    private final List<Trace.Span> spans = new ArrayList<>();
    private final Set<Attempt> running = ConcurrentHashMap.newKeySet();
    private final AtomicBoolean released = new AtomicBoolean();
    /** Why the run stopped early (the first step failure, or the caller's cancellation), or null. */
    private volatile Throwable stopped;

    PipelineRun(Pipeline<I, O> pipeline, Duration deadline) {
        this.pipeline = pipeline;
        this.startedAt = pipeline.ticker.read();
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
    }

    Executor executor() {
        return pipeline.executor;
    }

    long remainingNanos() {
        return deadline == Long.MAX_VALUE ? Long.MAX_VALUE : deadline - pipeline.ticker.read();
    }

    void start(I input) {
        List<Pipeline.Node> nodes = pipeline.nodes;
        outputs[0] = CompletableFuture.completedFuture(input);
        for (int k = 1; k < nodes.size(); k++) {
            Pipeline.Node node = nodes.get(k);
            states[k] = new StepState();
            CompletableFuture<Object> out = new CompletableFuture<>();
            outputs[k] = out;
            int[] deps = node.deps;
            CompletableFuture<?> ready;
            if (deps.length == 1) {
                ready = outputs[deps[0]];
            } else {
                CompletableFuture<?>[] in = new CompletableFuture<?>[deps.length];
                for (int i = 0; i < deps.length; i++) {
                    in[i] = outputs[deps[i]];
                }
                ready = CompletableFuture.allOf(in);
            }
            int index = k;
            ready.whenComplete((v, e) -> {
                if (e != null) {
                    out.completeExceptionally(unwrap(e)); // an input failed: this step never runs
                } else {
                    startStep(index, out);
                }
            });
        }
        CompletableFuture.allOf(outputs).whenComplete((v, e) -> finish());
    }

    private void startStep(int k, CompletableFuture<Object> out) {
        Pipeline.Node node = pipeline.nodes.get(k);
        Object[] values = new Object[node.deps.length];
        for (int i = 0; i < values.length; i++) {
            values[i] = outputs[node.deps[i]].join(); // complete: this runs after them
        }
        Object input;
        try {
            input = node.assemble.apply(values);
        } catch (RuntimeException e) {
            fail(k, out, List.of(e));
            return;
        }
        attempt(k, input, out, 1, new ArrayList<>());
    }

    private void attempt(int k, Object input, CompletableFuture<Object> out, int number, List<Throwable> failures) {
        Pipeline.Node node = pipeline.nodes.get(k);
        Throwable stop = stopped;
        if (stop != null) {
            out.completeExceptionally(stop);
            return;
        }
        long now = pipeline.ticker.read();
        long left = deadline == Long.MAX_VALUE ? Long.MAX_VALUE : deadline - now;
        if (left <= 0) {
            failures.add(deadlinePassed(node, number, "before the attempt could start"));
            fail(k, out, failures);
            return;
        }
        states[k].started = true;
        Attempt attempt = new Attempt(this, states[k]);
        running.add(attempt);
        if (stopped != null) { // a cancel that missed the attempt above cancels it here
            attempt.cancel();
        }
        boolean deadlineBound = left <= node.timeoutNanos;
        long limit = Math.min(left, node.timeoutNanos);
        CompletableFuture<Object> result = new CompletableFuture<>();
        Runnable cancelTimer = limit == Long.MAX_VALUE ? null : pipeline.scheduler.schedule(() -> {
            Throwable late = deadlineBound ? deadlinePassed(node, number, "while the attempt ran")
                    : new DeadlineExceededException(pipeline.name + "/" + node.name, Duration.ofNanos(node.timeoutNanos),
                            "by attempt " + number + " of step '" + node.name + "' (the step's timeout)");
            if (result.completeExceptionally(late)) {
                attempt.cancel();
            }
        }, limit);
        CompletableFuture<Object> started;
        try {
            started = node.body.start(input, attempt);
        } catch (Throwable t) {
            started = CompletableFuture.failedFuture(t);
        }
        started.whenComplete((v, e) -> {
            if (e == null) {
                result.complete(v);
            } else {
                result.completeExceptionally(unwrap(e));
            }
        });
        result.whenComplete((v, e) -> {
            if (cancelTimer != null) {
                cancelTimer.run();
            }
            running.remove(attempt);
            long end = pipeline.ticker.read();
            if (e == null) {
                span(attempt.span(node.name, number, now - startedAt, end - now, "ok", null));
                out.complete(v);
                return;
            }
            Throwable cause = unwrap(e);
            failures.add(cause);
            boolean timedOut = cause instanceof DeadlineExceededException && cancelTimer != null;
            boolean cancelled = cause instanceof CancellationException;
            boolean retry = number < node.retry.attempts() && node.retry.retries(cause) && stopped == null
                    && remainingNanos() > 0;
            boolean fallback = !retry && node.fallback != null && stopped == null && !cancelled;
            span(attempt.span(node.name, number, now - startedAt, end - now,
                    fallback ? "fallback" : timedOut ? "timed out" : cancelled ? "cancelled" : "failed", cause));
            if (retry) {
                long wait = Math.min(node.retry.backoffNanos(number + 1), Math.max(0, remainingNanos()));
                if (wait <= 0) {
                    attempt(k, input, out, number + 1, failures);
                } else {
                    pipeline.scheduler.schedule(() -> attempt(k, input, out, number + 1, failures), wait);
                }
                return;
            }
            if (fallback) {
                Object value;
                try {
                    value = node.fallback.apply(cause);
                } catch (RuntimeException f) {
                    failures.add(f);
                    fail(k, out, failures);
                    return;
                }
                out.complete(value);
                return;
            }
            fail(k, out, failures);
        });
    }

    private DeadlineExceededException deadlinePassed(Pipeline.Node node, int number, String when) {
        return new DeadlineExceededException(pipeline.name, deadlineGiven,
                "at step '" + node.name + "', attempt " + number + ", " + when);
    }

    /** The step failed for good: the run stops, and the steps still running are cancelled. */
    private void fail(int k, CompletableFuture<Object> out, List<Throwable> failures) {
        Throwable last = failures.get(failures.size() - 1);
        Throwable error = last instanceof CancellationException && stopped != null ? stopped
                : new PipelineStepException(pipeline.name, pipeline.nodes.get(k).name, failures);
        stop(error);
        out.completeExceptionally(error);
    }

    private void stop(Throwable why) {
        if (stopped == null) {
            synchronized (this) {
                if (stopped == null) {
                    stopped = why;
                }
            }
        }
        for (Attempt a : running) {
            a.cancel();
        }
    }

    private synchronized void span(Trace.Span s) {
        spans.add(s);
    }

    private void finish() {
        Trace trace = trace();
        if (released.compareAndSet(false, true)) {
            pipeline.ended();
        }
        pipeline.traced(trace);
        CompletableFuture<?> out = outputs[pipeline.output];
        if (!out.isCompletedExceptionally() && stopped == null) {
            @SuppressWarnings("unchecked")
            O value = (O) out.join();
            complete(new Result<>(value, trace));
            return;
        }
        Throwable error = stopped != null ? stopped : unwrap(failureOf(out));
        if (error instanceof PipelineStepException p) {
            p.trace(trace);
        }
        completeExceptionally(error);
    }

    private static Throwable failureOf(CompletableFuture<?> f) {
        try {
            f.join();
            return new IllegalStateException("not failed");
        } catch (CompletionException | CancellationException e) {
            return e;
        }
    }

    private synchronized Trace trace() {
        List<Trace.Span> all = new ArrayList<>(spans);
        all.sort(Comparator.comparingLong(Trace.Span::startNanos));
        for (int k = 1; k < states.length; k++) {
            if (!states[k].started) {
                all.add(new Trace.Span(pipeline.nodes.get(k).name, 0, 0, 0, "not run", null, -1, 0, null, 0,
                        "inputs " + Pipeline.describe(pipeline.nodes.get(k).deps, pipeline.nodes)));
            }
        }
        String outcome = isCancelled() || stopped instanceof CancellationException ? "cancelled"
                : stopped != null || outputs[pipeline.output].isCompletedExceptionally() ? "failed" : "ok";
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
                pipeline.ended();
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
