package dev.sluice.batching;

import dev.sluice.batching.internal.BatchCostModel;

/**
 * Waits for company only while it is expected to pay.
 *
 * <p>The batch cost is modelled as {@code c(n) = a + b*n}, fitted online by least squares over measured
 * batch times with exponential forgetting (recent batches weigh most). With {@code k} requests waiting
 * and one more expected after {@code d} (the smoothed inter-arrival time), waiting for it:
 * <ul>
 *   <li>saves the newcomer roughly a whole batch's fixed cost {@code a} (it rides along instead of
 *       waiting for the next batch), less the {@code d} it waits;</li>
 *   <li>costs the {@code k} waiting requests {@code d + b} each, and the {@code m} requests expected to
 *       arrive while this batch runs ({@code m = c(k) / (d * workers)}) the same, because the next batch
 *       starts later.</li>
 * </ul>
 * So it waits one inter-arrival time when {@code a - d > (k + m + 1) * d + (k + m) * b}, and otherwise
 * dispatches. The fit is a {@link BatchCostModel}: until it has seen enough batches, or when the batch sizes
 * seen do not tell {@code a} from {@code b}, it attributes the cost to {@code b}, which makes this policy
 * dispatch at once (eager). The batcher
 * never lets a request wait past {@code maxDelay} whatever this answers.
 *
 * <p>With one batch at a time ({@code maxConcurrentBatches = 1}) the rule never waits: then
 * {@code m * d = c(k) >= a}, so the cost side is always above {@code a}. That is the rule working, not
 * failing: with a single work-conserving worker, every wait delays everyone queued behind the batch, and
 * dispatching at once minimises latency (see benchmarks/RESULTS.md). It waits when several batches may
 * run at once and arrivals are quick relative to the fixed cost.
 */
final class AdaptiveBatchPolicy implements BatchPolicy {
    /** Batches needed before the fit is trusted. */
    static final int MIN_SAMPLES = BatchCostModel.MIN_SAMPLES;

    private final BatchCostModel cost = new BatchCostModel();

    @Override
    public void onBatchExecuted(int size, long executionNanos) {
        cost.record(size, executionNanos);
    }

    /** Fitted fixed cost per batch in nanoseconds ({@code a}), or -1 before enough batches. */
    double fixedCostNanos() {
        return cost.fixedCostNanos();
    }

    /** Fitted cost per item in nanoseconds ({@code b}), or -1 before enough batches. */
    double perItemCostNanos() {
        return cost.perItemCostNanos();
    }

    @Override
    public long nanosToWait(State state) {
        int k = state.queued();
        if (k >= state.maxBatchSize()) {
            return 0;
        }
        long d = state.meanInterArrivalNanos();
        BatchCostModel.Fit fit = cost.fit();
        double a = fit.a();
        double b = fit.b();
        if (d <= 0 || a <= 0) {
            return 0;
        }
        double batchCost = a + b * k;
        double m = Math.min(state.maxBatchSize(), batchCost / ((double) d * state.maxConcurrentBatches()));
        double gain = a - d;
        double cost = (k + m + 1) * d + (k + m) * b;
        return gain > cost ? d : 0;
    }

    @Override
    public String toString() {
        return "adaptive";
    }
}
