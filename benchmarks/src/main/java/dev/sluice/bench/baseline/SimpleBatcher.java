package dev.sluice.bench.baseline;

import java.util.concurrent.CompletableFuture;

/**
 * What the benchmarks need from a batcher: submit one input, get its future; close.
 *
 * <p>The baselines are deliberately small: one bounded queue, one worker thread, eager batching (the
 * worker takes whatever waits, up to {@code maxBatchSize}, and never waits for company), a failed future
 * when the queue is full. They exist to measure what Sluice's extra machinery (late binding, policies,
 * deadlines, failure isolation) costs against the simplest correct design.
 */
public interface SimpleBatcher<I, O> extends AutoCloseable {

    /** Queues one input; never blocks. A full queue or a closed batcher fails the future at once. */
    CompletableFuture<O> submit(I input);

    /** Stops admitting, lets queued requests finish, and waits for the worker thread to end. */
    @Override
    void close();
}
