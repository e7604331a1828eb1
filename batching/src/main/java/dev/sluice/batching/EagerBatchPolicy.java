package dev.sluice.batching;

/** Never waits. */
final class EagerBatchPolicy implements BatchPolicy {
    @Override
    public long nanosToWait(State state) {
        return 0;
    }

    @Override
    public String toString() {
        return "eager";
    }
}
