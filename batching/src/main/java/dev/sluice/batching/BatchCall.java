package dev.sluice.batching;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The call of a batch function running on this thread, as the function sees it: whether anyone still wants
 * its outputs. Every input of a call is wanted until its caller gives it up: cancels its future, or
 * completes it (a pipeline's deadline cancels its steps' requests; {@code orTimeout} completes the future).
 * Once every input of the call has been given up, the call is <em>abandoned</em>: its outputs will be thrown
 * away, so a model may stop early, e.g. ONNX Runtime's {@code RunOptions.setTerminate}.
 *
 * <pre>{@code
 * BatchCall call = BatchCall.current();
 * try (RunOptions options = new RunOptions();
 *      BatchCall.Registration stop = call.onAbandoned(() -> options.setTerminate(true))) {
 *     return session.run(feed, options);
 * }
 * }</pre>
 *
 * <p>A queued request whose deadline passes is never sent; once sent, its deadline no longer applies (see
 * {@link DynamicBatcher#submit(Object, java.time.Duration)}), so a call is abandoned only by its callers.
 */
public final class BatchCall {
    private static final ThreadLocal<BatchCall> CURRENT = new ThreadLocal<>();
    /** Outside any batch function: never abandoned. */
    private static final BatchCall NONE = new BatchCall(List.of(), 1);

    private final List<? extends PendingRequest<?, ?>> requests;
    private final int cpus;
    /** Guarded by this; null once finished. */
    private List<Runnable> actions = new ArrayList<>(1);
    private boolean abandoned;

    BatchCall(List<? extends PendingRequest<?, ?>> requests, int cpus) {
        this.requests = requests;
        this.cpus = cpus;
    }

    /**
     * The call running on this thread; outside a batch function, a call that is never abandoned (so a model
     * used directly behaves as it does behind a batcher).
     */
    public static BatchCall current() {
        BatchCall c = CURRENT.get();
        return c == null ? NONE : c;
    }

    /**
     * How many CPUs this call may keep busy: in the Sluice runtime, the execution budget's CPUs its batch
     * holds. That is its deployment's {@code cpus}, or up to its {@code burstCpus} when the budget had idle
     * CPUs and nothing else waited (no call, no queued request) as the batch started; a model whose own threads scale (ONNX Runtime's
     * intra-op threads) may use that many. 1 outside a batch function and for a batcher without a budget.
     */
    public int cpus() {
        return cpus;
    }

    /** True once every input of this call has been given up by its caller. */
    public boolean isAbandoned() {
        if (this == NONE) {
            return false;
        }
        for (PendingRequest<?, ?> r : requests) {
            if (!r.isDone() || r.isSettled()) {
                return false;
            }
        }
        return true;
    }

    /**
     * Runs {@code action} once if this call is abandoned before the registration is closed: at once (on this
     * thread) if it already is, otherwise on the thread that gives up the last input. The action must be
     * quick and must not block; an exception from it is ignored. Closing the registration waits for a
     * running action to finish, so whatever the action touches may be freed after the close.
     */
    public Registration onAbandoned(Runnable action) {
        Objects.requireNonNull(action, "action");
        if (this == NONE) {
            return () -> {};
        }
        synchronized (this) {
            if (actions == null) {
                return () -> {}; // the call has finished
            }
            // Read afresh: a caller who gave up just before this call began found no call to tell.
            abandoned |= isAbandoned();
            if (!abandoned) {
                actions.add(action);
                return () -> {
                    synchronized (this) {
                        if (actions != null) {
                            actions.remove(action);
                        }
                    }
                };
            }
        }
        runQuietly(action);
        return () -> {};
    }

    /** Stops calling the action; waits for it if it is running now. */
    @FunctionalInterface
    public interface Registration extends AutoCloseable {
        @Override
        void close();
    }

    // ---------------------------------------------------------------- batcher side

    /** Makes this the thread's current call; returns the one it replaces (a nested batcher's call). */
    BatchCall enter() {
        BatchCall outer = CURRENT.get();
        for (PendingRequest<?, ?> r : requests) {
            r.call = this;
        }
        CURRENT.set(this);
        return outer;
    }

    /** The function returned or threw: no action runs from now on. */
    void exit(BatchCall outer) {
        synchronized (this) {
            actions = null;
        }
        if (outer == null) {
            CURRENT.remove();
        } else {
            CURRENT.set(outer);
        }
    }

    /** Called by a request of this call that its caller just gave up. */
    void givenUp() {
        if (!isAbandoned()) {
            return;
        }
        synchronized (this) {
            if (abandoned || actions == null) {
                return;
            }
            abandoned = true;
            for (Runnable action : actions) {
                runQuietly(action);
            }
        }
    }

    private static void runQuietly(Runnable action) {
        try {
            action.run();
        } catch (RuntimeException e) {
            // a model's stop hook failing must not fail the caller who cancelled
        }
    }
}
