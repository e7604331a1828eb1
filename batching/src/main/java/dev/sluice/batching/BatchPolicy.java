package dev.sluice.batching;

/**
 * Decides whether a free worker dispatches what is waiting now or waits for company.
 *
 * <p>The batcher asks only when a worker is free and fewer than {@code maxBatchSize} requests wait; a
 * full batch is always dispatched at once, and no request ever waits past {@code maxDelay} (the batcher
 * caps whatever the policy answers). So a policy cannot lose or strand a request, it can only trade
 * latency for batch size.
 *
 * <p>When it is asked again: an answer shorter than what is left of {@code maxDelay} is re-decided on the
 * next arrival (or when it runs out); an answer of at least the rest of {@code maxDelay} is re-decided only
 * once a full batch waits or the delay is over, so waiting for a full batch costs no wake-up per arrival.
 *
 * <p>Threading: {@link #nanosToWait} is called by one thread at a time (whichever holds the batch-forming
 * role: the former thread, a worker that has just finished, or a submitting thread that found the batcher
 * idle); {@link #onBatchExecuted} on worker threads, possibly concurrently with it. A policy instance belongs to one
 * batcher: the factories below return a fresh instance each call.
 */
public interface BatchPolicy {

    /**
     * How much longer the free worker should wait for more requests.
     *
     * @param state what the batcher sees now; valid only during the call
     * @return nanoseconds to wait; zero or less dispatches now
     */
    long nanosToWait(State state);

    /** Learns from a finished call of the batch function. Default: nothing. */
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
     * Learn the batch cost {@code c(n) = a + b*n} online and wait only while the expected gain outweighs
     * the expected cost; never past {@code maxDelay}.
     *
     * <p>The rule: {@code a} and {@code b} are fitted by least squares over the measured times of the
     * batches run (recent ones weigh most). With {@code k} requests waiting, {@code d} the smoothed time
     * between arrivals and {@code m = c(k) / (d * maxConcurrentBatches)} the requests expected to arrive
     * while a batch runs, it waits one inter-arrival time {@code d} when
     * {@code a - d > (k + m + 1) * d + (k + m) * b} (the newcomer saves about a batch's fixed cost, everyone
     * queued pays the wait), and otherwise dispatches at once. Until about eight batches have run, or while
     * the sizes seen cannot tell {@code a} from {@code b}, it dispatches at once, as {@link #eager()} does.
     * With one batch at a time it never waits: there, every wait delays everyone queued behind the batch.
     */
    static BatchPolicy adaptive() {
        return new AdaptiveBatchPolicy();
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
    }
}
