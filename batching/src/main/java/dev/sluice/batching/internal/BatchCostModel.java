package dev.sluice.batching.internal;

/**
 * The cost of one batch as a function of its size, {@code c(n) = a + b*n}, fitted online by least squares
 * with exponential forgetting (the last ~50 batches weigh most). {@code a} is the fixed cost of a call,
 * {@code b} the cost per item. Until {@link #MIN_SAMPLES} batches are seen it knows nothing; when the sizes
 * seen barely vary (so {@code a} cannot be told from {@code b}) it attributes the whole cost to {@code b},
 * the pessimistic reading: it never promises savings from batching that it has not seen.
 *
 * <p>Used by the Sluice runtime to tell how much work a load needs at full batches. (The adaptive batch
 * policy does not read it: it fits its own line to the batcher's cost curve, {@link BatchCostCurve}.)
 * Thread-safe.
 *
 * <p>Not API: public only so that the Sluice runtime (another module) can use it; it may change or go
 * without notice. See {@link dev.sluice.batching.internal}.
 */
public final class BatchCostModel {
    /** Weight kept by old observations at each new one: about the last 1/(1-DECAY) batches count. */
    static final double DECAY = 0.98;
    /** Batches needed before the fit is trusted. */
    public static final int MIN_SAMPLES = 8;

    /** The fit {@code a + b*n}; each -1 before enough batches. */
    public record Fit(double a, double b) {}

    private static final Fit UNKNOWN = new Fit(-1, -1);

    // Guarded by this.
    private double sw;
    private double sn;
    private double snn;
    private double st;
    private double snt;
    private long samples;
    /** Refitted on every record, so readers (the batch former, per decision) neither lock nor allocate. */
    private volatile Fit fit = UNKNOWN;

    /** Records one batch of {@code size} inputs that took {@code nanos}. */
    public synchronized void record(int size, long nanos) {
        double n = size;
        double t = nanos;
        sw = sw * DECAY + 1;
        sn = sn * DECAY + n;
        snn = snn * DECAY + n * n;
        st = st * DECAY + t;
        snt = snt * DECAY + n * t;
        samples++;
        fit = refit();
    }

    /** Fitted fixed cost per batch in nanoseconds ({@code a}), or -1 before enough batches. */
    public double fixedCostNanos() {
        return fit.a();
    }

    /** Fitted cost per item in nanoseconds ({@code b}), or -1 before enough batches. */
    public double perItemCostNanos() {
        return fit.b();
    }

    /**
     * The cost of one item when batches are full ({@code a / maxBatchSize + b}), in nanoseconds, or -1
     * before enough batches.
     */
    public double perItemAtFullBatchNanos(int maxBatchSize) {
        Fit f = fit;
        return f.a() < 0 ? -1 : f.a() / maxBatchSize + f.b();
    }

    /** Both parameters, from one fit (read without locking or allocating). */
    public Fit fit() {
        return fit;
    }

    private Fit refit() {
        if (samples < MIN_SAMPLES) {
            return UNKNOWN;
        }
        double meanN = sn / sw;
        double meanT = st / sw;
        double varN = snn / sw - meanN * meanN;
        double covNT = snt / sw - meanN * meanT;
        if (varN < 0.25) {
            return new Fit(0, Math.max(0, meanT / Math.max(1, meanN)));
        }
        double b = Math.max(0, covNT / varN);
        return new Fit(Math.max(0, meanT - b * meanN), b);
    }
}
