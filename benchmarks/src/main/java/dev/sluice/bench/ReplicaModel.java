package dev.sluice.bench;

import dev.sluice.Model;
import dev.sluice.batching.BatchFunction;
import java.util.List;
import java.util.concurrent.atomic.LongAdder;

/**
 * One replica's stand-in model in the dispatch and autoscaling benchmarks: the cost of a {@link FakeModel}
 * (a batch of {@code n} takes {@code fixed + perItem * n}) plus a count of the batches and inputs it ran.
 * It is both a Sluice {@link Model} and a batcher's {@link BatchFunction}, so that Sluice's deployment and
 * a benchmark's own batchers run the very same code. Thread-safe.
 *
 * <p>Unlike {@code dev.sluice.testing.FakeModel} it keeps no copy of its batches: a benchmark runs
 * hundreds of thousands of them.
 */
final class ReplicaModel<T> implements Model<T, T>, BatchFunction<T, T> {
    private final FakeModel<T> cost;
    private final LongAdder batches = new LongAdder();
    private final LongAdder items = new LongAdder();

    ReplicaModel(FakeModel<T> cost) {
        this.cost = cost;
    }

    FakeModel<T> cost() {
        return cost;
    }

    @Override
    public List<T> apply(List<T> batch) {
        batches.increment();
        items.add(batch.size());
        return cost.apply(batch);
    }

    @Override
    public List<T> predict(List<T> batch) {
        return apply(batch);
    }

    /** Batches run so far (a batch counts from its start). */
    long batches() {
        return batches.sum();
    }

    /** Inputs in those batches. */
    long items() {
        return items.sum();
    }
}
