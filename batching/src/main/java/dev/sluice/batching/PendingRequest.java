package dev.sluice.batching;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;

/**
 * One submitted request; it is also the future handed to the caller (one allocation per request).
 *
 * <p>Its {@code state} decides, exactly once, who owns the request while it waits: the worker that
 * claims it for a batch, the caller who cancels it, the timer that expires it, or a forced shutdown.
 * Only the claimant may hand the input to the function, so a request cancelled or expired first is never
 * seen by it.
 */
final class PendingRequest<I, O> extends CompletableFuture<O> {
    static final int QUEUED = 0;
    static final int CLAIMED = 1;
    static final int CANCELLED = 2;
    static final int EXPIRED = 3;
    static final int SHUT_DOWN = 4;
    /** Completed (or about to be) by the worker that claimed it. */
    static final int SETTLED = 5;
    /** Failed while waiting by {@code WorkerBatcher.failWaiting}. */
    static final int FAILED = 6;

    private static final VarHandle STATE;

    static {
        try {
            STATE = MethodHandles.lookup().findVarHandle(PendingRequest.class, "state", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    final I input;
    final long enqueuedAt;
    /**
     * Ticker time at which the work it belongs to began: {@code enqueuedAt}, or earlier for a pipeline's step
     * (see {@link dev.sluice.batching.internal.RequestOrigin}). Its batch's place in the execution gate.
     */
    final long origin;
    /** Ticker time after which the request must not be dispatched; {@link Long#MAX_VALUE} for none. */
    final long deadline;
    final Duration timeout;
    private final LateBindingBatcher<I, O> owner;
    @SuppressWarnings("unused") // accessed through STATE
    private volatile int state;
    /**
     * Set when an abandoned worker put it back in the queue (so it is not requeued twice): the error it
     * ends with if it cannot be retried. Written before the state goes back to QUEUED.
     */
    RuntimeException retryCause;
    /** The function call it is in now (set before each call, retries included), told when its caller gives it up. */
    volatile BatchCall call;
    /** The batch in which the function first saw it; written by that worker before the future completes. */
    Batch<I, O> batch;

    PendingRequest(LateBindingBatcher<I, O> owner, I input, long enqueuedAt, long deadline, Duration timeout) {
        this(owner, input, enqueuedAt, enqueuedAt, deadline, timeout);
    }

    PendingRequest(LateBindingBatcher<I, O> owner, I input, long enqueuedAt, long origin, long deadline,
            Duration timeout) {
        this.owner = owner;
        this.input = input;
        this.enqueuedAt = enqueuedAt;
        this.origin = origin;
        this.deadline = deadline;
        this.timeout = timeout;
    }

    boolean transition(int to) {
        return STATE.compareAndSet(this, QUEUED, to);
    }

    boolean isQueued() {
        return (int) STATE.getVolatile(this) == QUEUED;
    }

    boolean isClaimed() {
        return (int) STATE.getVolatile(this) == CLAIMED;
    }

    /** Completed, or about to be, by the worker that ran it (not given up by its caller). */
    boolean isSettled() {
        return (int) STATE.getVolatile(this) == SETTLED;
    }

    /** Claimant only, under its batch's lock. */
    void settle() {
        STATE.setVolatile(this, SETTLED);
    }

    /** Claimant's abandoner only, under the batch's lock having been marked abandoned: back to the queue. */
    void requeue(RuntimeException cause) {
        retryCause = cause;
        STATE.setVolatile(this, QUEUED);
    }

    /** What happened to it in the batcher, or null while it has not reached the function. */
    Dispatch dispatch() {
        Batch<I, O> b = batch;
        return b == null ? null : new Dispatch(Math.max(0, b.startedAt - enqueuedAt), b.size, b.worker.name,
                Math.max(b.size, b.chosenSize), b.gateWaitNanos, b.cpus);
    }

    @Override
    public boolean cancel(boolean mayInterruptIfRunning) {
        if (transition(CANCELLED)) {
            owner.cancelledBeforeDispatch(this);
        }
        return givenUpIf(super.cancel(mayInterruptIfRunning));
    }

    // Completing it from outside while a function runs on it gives it up just as cancelling does (orTimeout,
    // completeOnTimeout and a pipeline's own completion come through these). The worker's own completions
    // come after settle(), so they are not mistaken for it.
    @Override
    public boolean complete(O value) {
        return givenUpIf(super.complete(value));
    }

    @Override
    public boolean completeExceptionally(Throwable failure) {
        return givenUpIf(super.completeExceptionally(failure));
    }

    private boolean givenUpIf(boolean completedNow) {
        if (completedNow && isClaimed()) {
            BatchCall c = call;
            if (c != null) {
                c.givenUp();
            }
        }
        return completedNow;
    }
}
