package dev.sluice.pipeline;

import dev.sluice.batching.Dispatch;
import dev.sluice.batching.DynamicBatcher;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.function.Supplier;

/**
 * One attempt of one step of one request: what a {@link Task} needs while it runs (the time left, the
 * executor, memory kept across attempts) and what it reports for the trace (dispatches, a routing note).
 * Futures it started are tracked so a timeout or a cancellation can cancel them (a deployment request
 * cancelled while queued never reaches the model). Thread-safe.
 */
final class Attempt {
    private final PipelineRun<?, ?> run;
    private final PipelineRun.StepState state;
    /** 1 for the step's first attempt. */
    final int number;
    /** Ticker time at which it started. */
    final long startedAt;
    /** Its outcome when its work does not finish on the thread that started it (a timer may end it first). */
    private CompletableFuture<Object> result;
    /** Set by the step's timeout or the request's deadline when they end it. */
    volatile boolean endedByTimer;
    /** Futures it started, made on first use (most inline steps start none). */
    private List<CompletableFuture<?>> tracked;
    private boolean cancelled;
    private long queueWait = -1;
    private int batchSize;
    private int chosenBatchSize;
    private long budgetWait = -1;
    private int cpus;
    /** For a fan-out: the size of the batch each element joined (0: it reached no model), made on first use. */
    private int[] elementBatchSizes;
    private TreeSet<String> replicas;
    private int elements;
    private String note;

    Attempt(PipelineRun<?, ?> run, PipelineRun.StepState state, int number, long startedAt) {
        this.run = run;
        this.state = state;
        this.number = number;
        this.startedAt = startedAt;
    }

    /** Made on first use: an attempt whose work finishes on the thread that started it never needs one. */
    synchronized CompletableFuture<Object> result() {
        if (result == null) {
            result = new CompletableFuture<>();
        }
        return result;
    }

    /** What is left of the pipeline's deadline (at least 1 ns), or null without a deadline. */
    Duration remaining() {
        long left = run.remainingNanos();
        return left == Long.MAX_VALUE ? null : Duration.ofNanos(Math.max(1, left));
    }

    /** How long ago the pipeline request was submitted: the age of the deployment calls it makes. */
    long requestAgeNanos() {
        return run.ageNanos();
    }

    Executor executor() {
        return run.executor();
    }

    /** State a task keeps across the attempts of its step in this request, made on first use. */
    Object memo(Supplier<Object> make) {
        synchronized (state) {
            if (state.memo == null) {
                state.memo = make.get();
            }
            return state.memo;
        }
    }

    boolean[] memoFlags(int n) {
        synchronized (state) {
            if (state.flags == null) {
                state.flags = new boolean[n];
            }
            return state.flags;
        }
    }

    void track(CompletableFuture<?> f) {
        synchronized (this) {
            if (!cancelled) {
                if (tracked == null) {
                    tracked = new ArrayList<>(2);
                }
                tracked.add(f);
                return;
            }
        }
        f.cancel(false);
    }

    void cancel() {
        List<CompletableFuture<?>> copy;
        synchronized (this) {
            cancelled = true;
            if (tracked == null) {
                return;
            }
            copy = new ArrayList<>(tracked);
        }
        copy.forEach(f -> f.cancel(false));
    }

    /** Records what the batcher did with a finished deployment request, the attempt's only one. */
    void dispatched(CompletableFuture<?> f) {
        dispatched(-1, f);
    }

    /**
     * Records what the batcher did with a finished deployment request.
     *
     * @param element the element of a fan-out it carried (set {@link #elements} first), or -1 for a single call
     */
    void dispatched(int element, CompletableFuture<?> f) {
        Dispatch d = DynamicBatcher.dispatchOf(f);
        if (d == null) {
            return;
        }
        synchronized (this) {
            queueWait = Math.max(queueWait, d.queueWaitNanos());
            batchSize = Math.max(batchSize, d.batchSize());
            chosenBatchSize = Math.max(chosenBatchSize, d.chosenBatchSize());
            budgetWait = Math.max(budgetWait, d.budgetWaitNanos());
            cpus = Math.max(cpus, d.cpus());
            if (element >= 0) {
                if (elementBatchSizes == null) {
                    elementBatchSizes = new int[elements];
                }
                elementBatchSizes[element] = d.batchSize();
            }
            if (d.worker() != null) {
                if (replicas == null) {
                    replicas = new TreeSet<>();
                }
                replicas.add(d.worker());
            }
        }
    }

    synchronized void elements(int n) {
        elements = n;
    }

    synchronized void note(String text) {
        note = text;
    }

    synchronized Trace.Span span(String step, long start, long duration, Trace.Outcome outcome, Throwable error) {
        return new Trace.Span(step, number, start, duration, outcome, error == null ? null : error.toString(),
                queueWait, batchSize, batchSizes(), replicas == null ? null : String.join(",", replicas), elements, note,
                chosenBatchSize, budgetWait, cpus);
    }

    /** The batch sizes the requests of this attempt joined: one for a call, one per element that reached a model for a fan-out. */
    private List<Integer> batchSizes() {
        if (elementBatchSizes == null) {
            return batchSize > 0 ? List.of(batchSize) : List.of();
        }
        List<Integer> sizes = new ArrayList<>(elementBatchSizes.length);
        for (int size : elementBatchSizes) {
            if (size > 0) {
                sizes.add(size);
            }
        }
        return sizes;
    }
}
