package dev.sluice.batching;

/**
 * What a batcher did with one request that reached its function: for traces ("why was this slow?").
 * See {@link DynamicBatcher#dispatchOf}.
 *
 * @param queueWaitNanos from {@code submit} to the start of the batch that carried it, on the batcher's ticker
 * @param batchSize how many inputs that batch held (before any failure isolation split it)
 * @param worker the worker that ran it: the replica's id in a Sluice deployment, null for a plain batcher
 */
public record Dispatch(long queueWaitNanos, int batchSize, String worker) {}
