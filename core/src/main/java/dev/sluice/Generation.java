package dev.sluice;

import dev.sluice.batching.internal.BatchCostModel;
import dev.sluice.batching.BatchObserver;
import dev.sluice.batching.DynamicBatcher;
import dev.sluice.batching.ModelException;
import dev.sluice.batching.Ticker;
import dev.sluice.batching.internal.WorkerBatcher;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * One version of a deployment: its settings, its queue, its replicas, and its run of start failures.
 * Fields are guarded by the runtime's lock, except where marked.
 */
final class Generation<I, O> {
    private static final long FIRST_START_BACKOFF_NANOS = TimeUnit.MILLISECONDS.toNanos(100);
    private static final long MAX_START_BACKOFF_NANOS = TimeUnit.SECONDS.toNanos(5);

    final String name;
    final int version;
    final Deployment<I, O> config;
    /** Its version and settings as the handle hands them out, made once. */
    final DeploymentHandle.Serving<I, O> serving;
    final WorkerBatcher<I, O> batcher;
    final List<Replica<I, O>> replicas = new ArrayList<>();
    /** This version's batch cost, learnt from its replicas' batches. */
    final BatchCostModel cost = new BatchCostModel();
    int target;
    /** Read without the lock by submit(), to refuse at once when no replica can start. */
    volatile int startFailures;
    SluiceStatus.StartFailure lastStartFailure;
    Throwable lastStartError;
    long nextStartAt = Long.MIN_VALUE;
    /** Set once the batcher has drained after this generation was replaced: its replicas may go. */
    boolean drained;

    Generation(int version, Deployment<I, O> config, List<BatchObserver> observers, Ticker ticker) {
        this.name = config.name();
        this.version = version;
        this.config = config;
        this.serving = new DeploymentHandle.Serving<>(version, config);
        DynamicBatcher.Builder<I, O> b = WorkerBatcher.builder();
        config.configureBatching(b);
        observers.forEach(b::addObserver);
        this.batcher = b.name(name).ticker(ticker).buildWithWorkers();
    }

    /** True once the model factory failed {@code startAttempts} times in a row: no more starts until an update. */
    boolean givenUp() {
        return startFailures >= config.startAttempts();
    }

    /** Replicas that are or will be serving: pending, starting or running. */
    long live() {
        return replicas.stream().filter(Replica::live).count();
    }

    long running() {
        return count(Replica.State.RUNNING);
    }

    /** None of its replicas is starting and some wait to be placed: what it waits for is resources. */
    boolean waitingForResources() {
        return count(Replica.State.STARTING) == 0 && count(Replica.State.PENDING) > 0;
    }

    long count(Replica.State state) {
        return replicas.stream().filter(r -> r.state == state).count();
    }

    /** Counts a failed start and sets when the next may be tried: 100 ms, doubling up to 5 s. */
    void startFailed(Throwable error, SluiceStatus.StartFailure failure, long now) {
        startFailures++;
        lastStartError = error;
        lastStartFailure = failure;
        long backoff = Math.min(MAX_START_BACKOFF_NANOS, FIRST_START_BACKOFF_NANOS << Math.min(20, startFailures - 1));
        nextStartAt = now + backoff;
    }

    ModelException notStarting() {
        return new ModelException(name, null, "no replica can start: the model factory failed "
                + startFailures + " time(s) in a row, last with " + lastStartError, lastStartError);
    }
}
