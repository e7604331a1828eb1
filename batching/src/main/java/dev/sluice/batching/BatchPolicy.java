package dev.sluice.batching;

import java.util.List;

/**
 * Decides, for a free worker, how many of the waiting requests it takes ({@link #batchSize}) and whether it
 * first waits for company ({@link #nanosToWait}).
 *
 * <p>The batcher asks for the size first, and clamps the answer to {@code [1, maxBatchSize]}. When at least
 * that many requests wait, that many are dispatched at once (a full batch of the policy's size never
 * waits); otherwise it asks how long to wait, and no request ever waits past {@code maxDelay} (the batcher
 * caps whatever the policy answers). So a policy cannot lose or strand a request, it can only trade
 * latency for batch size.
 *
 * <p>When it is asked again: an answer shorter than what is left of {@code maxDelay} is re-decided on the
 * next arrival (or when it runs out); an answer of at least the rest of {@code maxDelay}, with a size of
 * {@code maxBatchSize}, is re-decided only once {@code maxBatchSize} requests wait or the delay is over, so
 * waiting for a full batch costs no wake-up per arrival (with a smaller size, each arrival is re-decided).
 *
 * <p>Threading: {@link #batchSize} and {@link #nanosToWait} are called by one thread at a time (whichever
 * holds the batch-forming role: the former thread, a worker that has just finished, or a submitting thread
 * that found the batcher idle), {@code batchSize} then {@code nanosToWait} for one decision;
 * {@link #onBatchExecuted} on worker threads, possibly concurrently with them; {@link #targetBatchSize} on
 * any thread. A policy instance belongs to one batcher: the factories below return a fresh instance each
 * call.
 */
public interface BatchPolicy {

    /**
     * How much longer the free worker should wait for more requests.
     *
     * @param state what the batcher sees now; valid only during the call
     * @return nanoseconds to wait; zero or less dispatches now
     */
    long nanosToWait(State state);

    /**
     * The most waiting requests the free worker takes now. Answers outside {@code [1, maxBatchSize]} are
     * clamped to it; a policy that throws is logged and taken as {@code maxBatchSize}.
     *
     * <p>Default: {@code state.maxBatchSize()}, so that a policy that only decides waits fills batches up to
     * the limit.
     *
     * @param state what the batcher sees now; valid only during the call
     */
    default int batchSize(State state) {
        return state.maxBatchSize();
    }

    /**
     * The batch size this policy aims for with {@code curve} measured, for status and metrics
     * ({@link CostCurve#targetBatchSize()}) and for the admission by expected queue delay (whose default bound
     * is a multiple of the measured time of a batch of this size); the batcher clamps it to
     * {@code [1, maxBatchSize]}. Called on any thread (once per recorded batch, by a submitting thread), so it
     * must not change the policy's state. Default: {@code maxBatchSize}.
     *
     * @param curve the batcher's measured points, as {@link State#costCurve()} gives them
     * @param maxBatchSize the most inputs a batch holds
     */
    default int targetBatchSize(List<CostCurve.Point> curve, int maxBatchSize) {
        return maxBatchSize;
    }

    /**
     * Learns from a finished call of the batch function. Default: nothing (the batcher itself records every
     * call in its cost curve, which {@link State#costCurve()} shows).
     */
    default void onBatchExecuted(int size, long executionNanos) {}

    /** Wait up to {@code maxDelay} from the oldest request's arrival for a full batch (Ray Serve, TorchServe). */
    static BatchPolicy fixed() {
        return new FixedBatchPolicy();
    }

    /** Never wait: a free worker takes whatever is waiting. Under load, batches still grow by late binding. */
    static BatchPolicy eager() {
        return new EagerBatchPolicy();
    }

    /**
     * The default: batches of the size that the measured cost curve says pays, and waits for company only
     * when the curve says waiting pays; never past {@code maxDelay}.
     *
     * <p>The size. Of the curve's buckets with at least three calls, the best is the one with the most
     * inputs per second of the function's time; the target is the smallest bucket size (1, 2, 4, 8, ...,
     * {@code maxBatchSize}) whose bucket comes within 10% of the best. So where each input costs as much or
     * more in a larger batch (a model on a CPU) the target is small, and where a call has a large fixed
     * cost (a GPU) it is {@code maxBatchSize}. A free worker takes the target, or, when fewer wait than the
     * free workers could take at the target, an even share of what waits (so a burst runs on all free
     * workers at once), never smaller than the size at which, by the curve's fit {@code a + b*n}, an input
     * would cost 10% more than at the target.
     *
     * <p>Learning, deterministically (a counter, no random draws). Until a bucket has three calls nothing is
     * known and batches hold one input; while the best bucket is the largest measured, a batch tries the next
     * bucket up whenever enough requests wait for it (slow start: the size doubles while each step pays, three
     * calls a step). After that, about one decision in sixteen, counting those with a target's worth waiting,
     * tries a bucket beside the target: up and down in turn, where up needs enough waiting, and down is tried
     * only into a bucket unused for {@value dev.sluice.batching.internal.BatchCostCurve#STALE_AFTER} calls
     * (otherwise the turn passes up). So a curve that changes is learned again, and a model whose target is
     * {@code maxBatchSize} runs a smaller batch at most once per that many calls.
     *
     * <p>The wait. With {@code a} and {@code b} the least-squares fit of the curve's points (which needs two
     * buckets with three calls each), {@code k} requests waiting, fewer than the size chosen, {@code d} the
     * smoothed time between arrivals, {@code workers} the batches that may run at once and
     * {@code m = min(target, c(k) / (d * workers))} the requests expected to arrive while a batch runs, it
     * waits one inter-arrival time {@code d} exactly when {@code a - d > (k + m + 1) * d + (k + m) * b} (the
     * newcomer saves about a batch's fixed cost, everyone queued pays the wait), and otherwise dispatches at
     * once. Fewer wait than the size chosen only while a batch of them would cost, per input, more than 10%
     * above the target's, so from there on it never waits. It never waits where a call has no fixed cost (a
     * CPU, where {@code a} fits to 0), while the arrival rate or the fit is unknown, or with a single worker
     * while arrivals are slower than that worker serves batches of the target size; it waits when several
     * workers serve a model with a large fixed cost and arrivals are quick against it (for
     * {@code 2 ms + 0.05 ms x n} with four workers and one request waiting: while arrivals are under about
     * 460 us apart).
     */
    static BatchPolicy adaptive() {
        return new AdaptiveBatchPolicy();
    }

    /**
     * {@code policy}'s decisions with batches cut to preferred sizes, as Triton's {@code preferred_batch_size}
     * does, for a model that runs best (or only) at some sizes, e.g. an engine compiled for 1, 8 and 32. A free
     * worker takes the largest preferred size that {@code policy} allows and that is waiting now; when fewer
     * wait than the smallest such size, that size is the batch to wait for, and {@code policy} decides whether
     * to wait for it (so with {@link #fixed()} it waits up to {@code maxDelay}, with {@link #eager()} it takes
     * what waits at once). Sizes above {@code policy}'s answer are not used; when none is at or below it, its
     * answer stands. No request waits past {@code maxDelay} either way, so a batch may still hold any number of
     * inputs up to {@code maxBatchSize}.
     *
     * @param sizes the preferred sizes, each at least 1 (order and repeats do not matter)
     * @throws IllegalArgumentException if {@code sizes} is empty or holds a size below 1
     */
    static BatchPolicy preferring(BatchPolicy policy, int... sizes) {
        java.util.Objects.requireNonNull(policy, "policy");
        int[] sorted = dev.sluice.batching.internal.BatchingLimits.preferredBatchSizes(sizes);
        if (sorted.length == 0) {
            throw new IllegalArgumentException("preferredBatchSizes: give at least one");
        }
        return new PreferredSizesPolicy(policy, sorted);
    }

    /** What the batcher sees when a worker is free. */
    interface State {
        /** Requests waiting now (at least one). */
        int queued();

        int maxBatchSize();

        /** How long the oldest waiting request has waited. */
        long oldestWaitNanos();

        long maxDelayNanos();

        /** Batches running now (not counting the one about to be formed). */
        int runningBatches();

        int maxConcurrentBatches();

        /** Smoothed time between arrivals, or a negative value while unknown. */
        long meanInterArrivalNanos();

        /**
         * Free workers now, counting the one asking (at least 1). Default 1, for states made by hand; the
         * batcher's own state counts its workers.
         */
        default int freeWorkers() {
            return 1;
        }

        /**
         * The batcher's measured cost of a call, by batch size ({@link CostCurve#points()}): one immutable
         * snapshot, read without locking. Default: nothing measured, for states made by hand; the batcher's
         * own state reads its curve.
         */
        default List<CostCurve.Point> costCurve() {
            return List.of();
        }
    }
}
