package dev.sluice.batching;

import java.util.List;

/**
 * The work a batcher feeds: one call per batch.
 *
 * <p>Contract: return exactly one output per input, in the same order. The list given is never empty,
 * never holds more than {@code maxBatchSize} inputs, and must not be kept after the call returns. A
 * function runs on one batcher worker thread at a time per batch; with {@code maxConcurrentBatches > 1}
 * several calls may run at once, so the function must then be thread-safe.
 *
 * @param <I> input type
 * @param <O> output type
 */
@FunctionalInterface
public interface BatchFunction<I, O> {
    List<O> apply(List<I> batch) throws Exception;
}
