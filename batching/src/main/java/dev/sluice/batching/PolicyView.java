package dev.sluice.batching;

/**
 * What the {@link BatchPolicy} sees, reused for every decision (no allocation per decision). Set and read by
 * the holder of the former role only; valid during one {@link BatchPolicy#nanosToWait} call.
 */
final class PolicyView implements BatchPolicy.State {
    private final int maxBatchSize;
    private final long maxDelayNanos;
    private final Workers<?, ?> workers;
    private final ArrivalRate arrivals;
    private int queuedNow;
    private long oldestWait;
    private int runningNow;

    PolicyView(int maxBatchSize, long maxDelayNanos, Workers<?, ?> workers, ArrivalRate arrivals) {
        this.maxBatchSize = maxBatchSize;
        this.maxDelayNanos = maxDelayNanos;
        this.workers = workers;
        this.arrivals = arrivals;
    }

    PolicyView set(int queuedNow, long oldestWait, int runningNow) {
        this.queuedNow = queuedNow;
        this.oldestWait = oldestWait;
        this.runningNow = runningNow;
        return this;
    }

    @Override
    public int queued() {
        return queuedNow;
    }

    @Override
    public int maxBatchSize() {
        return maxBatchSize;
    }

    @Override
    public long oldestWaitNanos() {
        return oldestWait;
    }

    @Override
    public long maxDelayNanos() {
        return maxDelayNanos;
    }

    @Override
    public int runningBatches() {
        return runningNow;
    }

    @Override
    public int maxConcurrentBatches() {
        return workers.live();
    }

    @Override
    public long meanInterArrivalNanos() {
        return arrivals.meanInterArrivalNanos();
    }
}
