package dev.sluice.batching;

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
 * dispatches. Until it has seen enough batches, or when the batch sizes seen do not tell {@code a} from
 * {@code b}, it attributes the cost to {@code b}, which makes it dispatch at once (eager). The batcher
 * never lets a request wait past {@code maxDelay} whatever this answers.
 *
 * <p>With one batch at a time ({@code maxConcurrentBatches = 1}) the rule never waits: then
 * {@code m * d = c(k) >= a}, so the cost side is always above {@code a}. That is the rule working, not
 * failing: with a single work-conserving worker, every wait delays everyone queued behind the batch, and
 * dispatching at once minimises latency (see benchmarks/RESULTS.md). It waits when several batches may
 * run at once and arrivals are quick relative to the fixed cost.
 */
final class AdaptiveBatchPolicy implements BatchPolicy {
    /** Weight kept by old observations at each new one: about the last 1/(1-DECAY) batches count. */
    static final double DECAY = 0.98;
    /** Batches needed before the fit is trusted. */
    static final int MIN_SAMPLES = 8;

    private double sw;
    private double sn;
    private double snn;
    private double st;
    private double snt;
    private long samples;
    /** Last fit: fixed and per-item cost in nanoseconds, -1 while unknown. */
    private double fitA = -1;
    private double fitB = -1;

    @Override
    public synchronized void onBatchExecuted(int size, long executionNanos) {
        double n = size;
        double t = executionNanos;
        sw = sw * DECAY + 1;
        sn = sn * DECAY + n;
        snn = snn * DECAY + n * n;
        st = st * DECAY + t;
        snt = snt * DECAY + n * t;
        samples++;
    }

    /** Fitted fixed cost per batch in nanoseconds ({@code a}), or -1 before enough batches. */
    synchronized double fixedCostNanos() {
        fit();
        return fitA;
    }

    /** Fitted cost per item in nanoseconds ({@code b}), or -1 before enough batches. */
    synchronized double perItemCostNanos() {
        fit();
        return fitB;
    }

    private void fit() {
        if (samples < MIN_SAMPLES) {
            fitA = -1;
            fitB = -1;
            return;
        }
        double meanN = sn / sw;
        double meanT = st / sw;
        double varN = snn / sw - meanN * meanN;
        double covNT = snt / sw - meanN * meanT;
        // Sizes that barely vary cannot separate a from b: attribute everything to b (never wait).
        if (varN < 0.25) {
            fitA = 0;
            fitB = Math.max(0, meanT / Math.max(1, meanN));
            return;
        }
        fitB = Math.max(0, covNT / varN);
        fitA = Math.max(0, meanT - fitB * meanN);
    }

    @Override
    public synchronized long nanosToWait(State state) {
        int k = state.queued();
        if (k >= state.maxBatchSize()) {
            return 0;
        }
        long d = state.meanInterArrivalNanos();
        fit();
        double a = fitA;
        double b = fitB;
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
