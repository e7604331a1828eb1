package dev.sluice.batching;

import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Whether a free worker should wait for company before taking what waits: zero when closing or a full
 * batch waits, otherwise the {@link BatchPolicy}'s answer capped at what is left of {@code maxDelay} for the
 * oldest request. A policy that throws is logged and taken as "dispatch now", so a policy can delay a
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
    private int queuedNow;
    private long oldestWait;
    private int runningNow;

    WaitForCompany(String name, BatchPolicy policy, AtomicInteger queued, int maxBatchSize, long maxDelayNanos,
            Workers<?, ?> workers, ArrivalRate arrivals) {
        this.name = name;
        this.policy = policy;
        this.queued = queued;
        this.maxBatchSize = maxBatchSize;
        this.maxDelayNanos = maxDelayNanos;
        this.workers = workers;
        this.arrivals = arrivals;
    }

    /**
     * Nanoseconds the free worker should wait for more requests; zero or less: dispatch now.
     *
     * @param oldestEnqueuedAt ticker time at which the oldest waiting request was submitted
     * @param closing whether the batcher is closing (then nothing waits)
     * @param otherRunning batches running now, not counting the one about to be formed
     */
    long nanos(long now, long oldestEnqueuedAt, boolean closing, int otherRunning) {
        int depth = Math.max(1, queued.get());
        if (closing || depth >= maxBatchSize) {
            return 0;
        }
        queuedNow = depth;
        oldestWait = now - oldestEnqueuedAt;
        runningNow = otherRunning;
        long wait;
        try {
            wait = policy.nanosToWait(this);
        } catch (RuntimeException e) {
            LOG.warn("Batch policy {} of '{}' failed; dispatching at once", policy, name, e);
            return 0;
        }
        return Math.min(wait, maxDelayNanos - oldestWait);
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
