package dev.sluice.batching;

import dev.sluice.batching.internal.BatchCostCurve;
import dev.sluice.batching.internal.ExecutionGate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs one claimed batch on the calling thread: calls the worker's function with the inputs still wanted,
 * completes each request with its output, and isolates failures. When the call throws and isolation is on,
 * the batch is split in halves and each half retried, down to single inputs, so only the inputs that fail
 * alone fail: with a {@link ModelException} naming the batcher and the worker, or, for an
 * {@link InvalidInputException} thrown about one input, with that exception unwrapped. A function that
 * returns the wrong number of outputs fails its whole call.
 *
 * <p>First the batch waits for its worker's {@link ExecutionGate} (the runtime's execution budget), holding
 * nothing else; the wait is part of each request's queue wait and never of the call's time. It gives the
 * permit back once no model call of the batch follows: before completing the callers' futures, or after the
 * last retry of a split batch (so a split batch completes its first halves while it still holds it). Then, before the
 * call, a request whose caller gave it up (cancelled, completed) is dropped, and one whose
 * deadline passed after it was claimed fails with {@link DeadlineExceededException}; a retry is not a new
 * dispatch, so deadlines no longer apply to it. Each call is told to the observer, and each successful
 * call to the cost curve and the policy (and a first call's time against its wait for the gate, to the
 * {@link QueueDelayAdmission}). If the batch is abandoned (its worker given up on), the runner
 * stops at the next step and completes nothing: the abandoner owns the requests (see {@link Batch#settle}).
 *
 * <p>No threads of its own: a worker thread calls {@link #run}; tests call it directly. Thread-safe (no
 * state of its own beyond what it was built with).
 */
final class BatchRunner<I, O> {
    private static final Logger LOG = LoggerFactory.getLogger(DynamicBatcher.class);

    private final String name;
    private final boolean isolateFailures;
    private final GuardedObserver observer;
    private final BatchPolicy policy;
    private final Ticker ticker;
    private final BatchCostCurve curve;
    private final QueueDelayAdmission queueDelay;

    BatchRunner(String name, boolean isolateFailures, GuardedObserver observer, BatchPolicy policy, Ticker ticker,
            BatchCostCurve curve, QueueDelayAdmission queueDelay) {
        this.name = name;
        this.isolateFailures = isolateFailures;
        this.observer = observer;
        this.policy = policy;
        this.ticker = ticker;
        this.curve = curve;
        this.queueDelay = queueDelay;
    }

    /**
     * Runs {@code work} to the end; never throws. Should the runner itself fail (a bug, or an
     * {@code Error} such as running out of memory), the batch's requests fail with {@link ModelException}.
     */
    void run(Batch<I, O> work) {
        try {
            if (work.worker.gate == ExecutionGate.open()) {
                execute(work, work.requests, false); // nothing to wait for: no key to work out, no permit to hold
                return;
            }
            ExecutionGate.Permit permit = acquire(work);
            if (permit != null && work.holdPermit(permit)) {
                work.cpus = Math.max(1, permit.cpus());
                work.gateWaitNanos = Math.max(0, permit.waitedNanos());
                execute(work, work.requests, false);
            }
        } catch (Throwable t) {
            LOG.error("Worker of '{}' failed unexpectedly", name, t);
            ModelException error = new ModelException(name, work.worker.name, "the batcher's worker failed", t);
            if (work.settle(work.requests)) {
                for (PendingRequest<I, O> r : work.requests) {
                    r.completeExceptionally(error);
                }
            }
        } finally {
            work.releasePermit();
        }
    }

    /**
     * Waits for the worker's gate (the runtime's execution budget), before the deadlines are checked and the
     * call is timed. Interrupted meanwhile (a forced close), the batch's requests fail with
     * {@link ShutdownException} and null is returned.
     */
    private ExecutionGate.Permit acquire(Batch<I, O> work) {
        try {
            while (!work.abandoned) {
                long earliest = earliestDeadline(work.requests);
                if (earliest == NOTHING_LEFT) {
                    return null; // every request ended while the batch waited (expired, cancelled)
                }
                ExecutionGate.Permit permit = work.worker.gate.acquire(work.priorityKey(), earliest);
                if (permit != null) {
                    return permit;
                }
                expireWhileWaiting(work);
            }
            return null; // abandoned while it waited: its requests belong to the queue again, or have failed
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt(); // the thread's owner decides what else an interrupt means
            fail(work, work.requests, new ShutdownException("'" + name + "': the worker was interrupted (a close) "
                    + "while this request's batch waited for its turn to run"));
            return null;
        }
    }

    /** What {@link #earliestDeadline} answers when no request of the batch is still waiting. */
    private static final long NOTHING_LEFT = Long.MIN_VALUE;

    /** The earliest deadline of the requests not yet ended ({@link Long#MAX_VALUE} if none has one), or {@link #NOTHING_LEFT}. */
    private static <I, O> long earliestDeadline(List<PendingRequest<I, O>> requests) {
        long earliest = NOTHING_LEFT;
        for (PendingRequest<I, O> r : requests) {
            if (!r.isDone()) {
                earliest = earliest == NOTHING_LEFT ? r.deadline : Math.min(earliest, r.deadline);
            }
        }
        return earliest;
    }

    /**
     * The batch's earliest deadline passed while it waited for the gate: the requests past theirs fail now, on
     * time, with {@link DeadlineExceededException} (the function never saw them); the rest wait on.
     */
    private void expireWhileWaiting(Batch<I, O> work) {
        long now = ticker.read();
        for (PendingRequest<I, O> r : work.requests) {
            if (!r.isDone() && r.deadline <= now && work.settle(List.of(r))) {
                r.completeExceptionally(new DeadlineExceededException(name, r.timeout,
                        "while its batch waited for CPUs of the execution budget"));
                observer.expired(now - r.enqueuedAt);
            }
        }
    }

    /**
     * Runs the worker's function on the live requests of {@code requests} (all of {@code work}, or part of
     * it when isolating a failure); splits and retries on failure. Stops as soon as the batch is abandoned.
     */
    private void execute(Batch<I, O> work, List<PendingRequest<I, O>> requests, boolean retry) {
        if (work.abandoned) {
            return;
        }
        long now = ticker.read();
        int size = requests.size();
        // One pass: inputs and queue waits of the requests still to run; `live` stays the given list
        // (no copy) unless something is dropped.
        List<PendingRequest<I, O>> live = requests;
        List<I> inputs = new ArrayList<>(size);
        long[] queueWaits = new long[size];
        for (int i = 0; i < size; i++) {
            PendingRequest<I, O> r = requests.get(i);
            boolean expired = !retry && r.deadline <= now;
            if (r.isDone() || expired) {
                if (live == requests) {
                    live = new ArrayList<>(requests.subList(0, i));
                }
                // Done: cancelled after dispatch, or failed by a forced close. A retry is not a new
                // dispatch: the function saw the input in time, so its deadline no longer applies (and
                // DeadlineExceededException promises the function never saw it).
                if (!r.isDone() && work.settle(List.of(r))) {
                    r.completeExceptionally(r.retryCause != null ? r.retryCause
                            : new DeadlineExceededException(name, r.timeout,
                                    "after it was taken from the queue, before its batch started"));
                    observer.expired(now - r.enqueuedAt);
                }
                continue;
            }
            if (live != requests) {
                live.add(r);
            }
            queueWaits[inputs.size()] = now - r.enqueuedAt;
            inputs.add(r.input);
            if (!retry) {
                r.batch = work; // the batch it first reached the function in, for DynamicBatcher.dispatchOf
            }
        }
        int n = inputs.size();
        if (n == 0) {
            return;
        }
        if (n < size) {
            queueWaits = Arrays.copyOf(queueWaits, n);
        }
        List<O> outputs = null;
        Throwable failure = null;
        long start = ticker.read();
        if (!retry) {
            work.startedAt = start;
            work.size = n;
        }
        BatchCall call = new BatchCall(live, work.cpus);
        BatchCall outer = call.enter();
        try {
            outputs = work.worker.function.apply(Collections.unmodifiableList(inputs));
        } catch (Throwable t) {
            failure = t;
        } finally {
            call.exit(outer);
        }
        long elapsed = ticker.read() - start;
        observer.batch(n, queueWaits, elapsed, failure);
        if (work.abandoned) {
            return; // the worker was given up on while it ran (it hung, or its model threw an Error)
        }
        boolean split = failure != null && isolateFailures && n > 1 && !(failure instanceof VirtualMachineError);
        if (!retry && !split) {
            // No model call of this batch follows: the CPUs go back before the callers' futures complete, so
            // a dependent stage that runs on this thread (and may wait for another deployment) holds none.
            work.releasePermit();
        }
        if (failure == null) {
            if (outputs == null || outputs.size() != n) {
                fail(work, live, new ModelException(name, work.worker.name, "the batch function returned "
                        + (outputs == null ? "null" : outputs.size() + " outputs") + " for " + n
                        + " inputs; it must return exactly one output per input, in order", null));
                return;
            }
            curve.record(n, elapsed);
            if (!retry) {
                queueDelay.ranBatch(work.gateWaitNanos, elapsed);
            }
            try {
                policy.onBatchExecuted(n, elapsed);
            } catch (RuntimeException e) {
                LOG.warn("Batch policy {} of '{}' failed to learn from a batch", policy, name, e);
            }
            if (!work.settle(live)) {
                return;
            }
            for (int i = 0; i < n; i++) {
                live.get(i).complete(outputs.get(i));
            }
            return;
        }
        if (split) {
            int half = n >>> 1;
            execute(work, live.subList(0, half), true);
            execute(work, live.subList(half, n), true);
            return;
        }
        fail(work, live, (n == 1 && failure instanceof InvalidInputException)
                ? (InvalidInputException) failure
                : new ModelException(name, work.worker.name, n == 1 ? "the model failed on this input: " + failure
                        : "the model failed on a batch of " + n + ": " + failure, failure));
    }

    private static <I, O> void fail(Batch<I, O> work, List<PendingRequest<I, O>> live, RuntimeException error) {
        if (!work.settle(live)) {
            return;
        }
        for (PendingRequest<I, O> r : live) {
            r.completeExceptionally(error);
        }
    }
}
