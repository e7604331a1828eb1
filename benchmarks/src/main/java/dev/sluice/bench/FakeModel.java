package dev.sluice.bench;

import dev.sluice.batching.BatchFunction;
import java.util.List;

/**
 * A stand-in model whose batch takes {@code fixedNanos + perItemNanos * n} and returns its inputs.
 *
 * <p>It spends its time with core's {@link dev.sluice.testing.FakeModel#sleepUntil}: {@code LockSupport.parkNanos}
 * for all but the last {@code spinNanos}, then spins on {@code System.nanoTime()}. {@code parkNanos} alone
 * oversleeps by the kernel's timer slack plus the wakeup latency (tens of microseconds, measured by
 * {@code OpenLoopDriver --sleep-test}); the spin makes the batch time exact at a small CPU cost
 * ({@code spinNanos} per batch). With {@code spinNanos = 0} it is a plain {@code parkNanos} sleep. A plain
 * {@link BatchFunction} with cost arithmetic for the benchmarks; core's {@code FakeModel} is the {@code Model}
 * for tests.
 */
public final class FakeModel<T> implements BatchFunction<T, T> {
    private final long fixedNanos;
    private final long perItemNanos;
    private final long spinNanos;

    public FakeModel(long fixedNanos, long perItemNanos, long spinNanos) {
        if (fixedNanos < 0 || perItemNanos < 0 || spinNanos < 0) {
            throw new IllegalArgumentException("times must not be negative");
        }
        this.fixedNanos = fixedNanos;
        this.perItemNanos = perItemNanos;
        this.spinNanos = spinNanos;
    }

    /** Nominal time of a batch of {@code n}. */
    public long batchNanos(int n) {
        return fixedNanos + perItemNanos * n;
    }

    /** Requests per second when every batch is full and follows the last at once: {@code maxBatch / c(maxBatch)}. */
    public double capacity(int maxBatch) {
        if (maxBatch < 1) {
            throw new IllegalArgumentException("maxBatch must be at least 1, was " + maxBatch);
        }
        return maxBatch * 1e9 / batchNanos(maxBatch);
    }

    /** The same model with its fixed and per-item costs multiplied by {@code factor} (the spin is kept). */
    public FakeModel<T> slowerBy(double factor) {
        if (!(factor > 0) || Double.isInfinite(factor)) {
            throw new IllegalArgumentException("factor must be positive and finite, was " + factor);
        }
        return new FakeModel<>(Math.round(fixedNanos * factor), Math.round(perItemNanos * factor), spinNanos);
    }

    @Override
    public List<T> apply(List<T> batch) {
        dev.sluice.testing.FakeModel.sleepUntil(System.nanoTime() + batchNanos(batch.size()), spinNanos);
        return batch;
    }

}
