package dev.sluice.batching;

import dev.sluice.batching.internal.ExecutionGate;
import dev.sluice.batching.internal.WorkerBatcher;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * One worker of a batcher: a function and the executor it runs on, one batch at a time. Its state moves
 * IDLE ⇄ BUSY, and ends in RETIRED (directly from IDLE, through RETIRING from BUSY, or at once when
 * abandoned); {@link Workers} owns the transitions.
 */
final class Lane<I, O> implements WorkerBatcher.Worker {
    static final int IDLE = 0;
    static final int BUSY = 1;
    /** Busy, and retires when its batch ends. */
    static final int RETIRING = 2;
    static final int RETIRED = 3;

    /** How an abandoned worker's unfinished requests end. */
    record Abandonment(boolean requeue, RuntimeException error) {}

    private final WorkerLifecycle<I, O> owner;
    final String name;
    final BatchFunction<I, O> function;
    final Executor executor;
    /** What each of its batches waits for before it runs. */
    final ExecutionGate gate;
    final AtomicInteger state = new AtomicInteger(IDLE);
    final AtomicReference<Abandonment> abandonment = new AtomicReference<>();
    /** Completes when it reaches RETIRED. */
    final CompletableFuture<Void> retired = new CompletableFuture<>();
    /** The batch it runs or last ran. */
    volatile Batch<I, O> current;

    Lane(WorkerLifecycle<I, O> owner, String name, BatchFunction<I, O> function, Executor executor) {
        this(owner, name, function, executor, ExecutionGate.open());
    }

    Lane(WorkerLifecycle<I, O> owner, String name, BatchFunction<I, O> function, Executor executor,
            ExecutionGate gate) {
        this.owner = owner;
        this.name = name;
        this.function = function;
        this.executor = executor;
        this.gate = gate;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public boolean isBusy() {
        int s = state.get();
        return s == BUSY || s == RETIRING;
    }

    @Override
    public CompletableFuture<Void> retire() {
        return owner.retire(this);
    }

    @Override
    public int abandon(boolean requeue, RuntimeException error) {
        java.util.Objects.requireNonNull(error, "error");
        return owner.abandon(this, requeue, error);
    }

    @Override
    public String toString() {
        return "Worker[" + name + ", " + (isBusy() ? "busy" : state.get() == RETIRED ? "retired" : "free") + "]";
    }
}
