package dev.sluice.batching;

import dev.sluice.batching.internal.BatchCostCurve;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How many of the waiting requests a free worker takes, and whether it should wait for company first: the
 * {@link BatchPolicy}'s size, clamped to {@code [1, maxBatchSize]}; then zero when closing or that many
 * wait, otherwise the policy's wait capped at what is left of {@code maxDelay} for the oldest request. A
 * policy that throws is logged and taken as "{@code maxBatchSize}, dispatch now", so a policy can delay a
 * request but never strand it. It is also the {@link BatchPolicy.State} the policy sees, reused for every
 * decision (no allocation per decision).
 *
 * <p>Not thread-safe: used by the holder of the former role only.
 */
final class WaitForCompany implements BatchPolicy.State {
    private static final Logger LOG = LoggerFactory.getLogger(DynamicBatcher.class);

    private final String name;
    private final BatchPolicy policy;
    private final AtomicInteger queued;
    private final int maxBatchSize;
    private final long maxDelayNanos;
    private final Workers<?, ?> workers;
    private final ArrivalRate arrivals;
    private final BatchCostCurve curve;
    private int queuedNow;
    private long oldestWait;
    private int runningNow;
    private int freeNow;
    /** The size of the latest decision. */
    private int batchSizeNow;

    WaitForCompany(String name, BatchPolicy policy, AtomicInteger queued, int maxBatchSize, long maxDelayNanos,
            Workers<?, ?> workers, ArrivalRate arrivals, BatchCostCurve curve) {
        this.name = name;
        this.policy = policy;
        this.queued = queued;
        this.maxBatchSize = maxBatchSize;
        this.maxDelayNanos = maxDelayNanos;
        this.workers = workers;
        this.arrivals = arrivals;
        this.curve = curve;
        this.batchSizeNow = maxBatchSize;
    }

    /**
     * Decides for a free worker: sets {@link #batchSize()} and returns the nanoseconds it should wait for
     * more requests; zero or less: dispatch now, at most {@link #batchSize()} requests.
     *
     * @param oldestEnqueuedAt ticker time at which the oldest waiting request was submitted
     * @param closing whether the batcher is closing (then nothing waits)
     * @param otherRunning batches running now, not counting the one about to be formed
     * @param free free workers now, counting the one asking
     */
    long nanos(long now, long oldestEnqueuedAt, boolean closing, int otherRunning, int free) {
        int depth = Math.max(1, queued.get());
        queuedNow = depth;
        oldestWait = now - oldestEnqueuedAt;
        runningNow = otherRunning;
        freeNow = Math.max(1, free);
        int size;
        try {
            size = Math.max(1, Math.min(maxBatchSize, policy.batchSize(this)));
        } catch (RuntimeException e) {
            LOG.warn("Batch policy {} of '{}' failed to size a batch; taking up to maxBatchSize", policy, name, e);
            size = maxBatchSize;
        }
        batchSizeNow = size;
        if (closing || depth >= size) {
            return 0;
        }
        long wait;
        try {
            wait = policy.nanosToWait(this);
        } catch (RuntimeException e) {
            LOG.warn("Batch policy {} of '{}' failed; dispatching at once", policy, name, e);
            return 0;
        }
        return Math.min(wait, maxDelayNanos - oldestWait);
    }

    /** The most requests the latest decision dispatches (maxBatchSize before the first). */
    int batchSize() {
        return batchSizeNow;
    }

    /** The policy's target with the curve measured now, clamped to {@code [1, maxBatchSize]}; any thread. */
    int targetBatchSize(List<CostCurve.Point> points) {
        try {
            return Math.max(1, Math.min(maxBatchSize, policy.targetBatchSize(points, maxBatchSize)));
        } catch (RuntimeException e) {
            LOG.warn("Batch policy {} of '{}' failed to tell its target batch size", policy, name, e);
            return maxBatchSize;
        }
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

    @Override
    public int freeWorkers() {
        return freeNow;
    }

    @Override
    public List<CostCurve.Point> costCurve() {
        return curve.points();
    }
}
