package dev.sluice.batching;

/** Waits for a full batch, up to {@code maxDelay} after the oldest request arrived. */
final class FixedBatchPolicy implements BatchPolicy {
    @Override
    public long nanosToWait(State state) {
        if (state.queued() >= state.maxBatchSize()) {
            return 0;
        }
        return state.maxDelayNanos() - state.oldestWaitNanos();
    }

    @Override
    public String toString() {
        return "fixed";
    }
}
