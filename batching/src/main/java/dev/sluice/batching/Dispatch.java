package dev.sluice.batching;

/**
 * What a batcher did with one request that reached its function: for traces ("why was this slow?").
 * See {@link DynamicBatcher#dispatchOf}.
 *
 * @param queueWaitNanos from {@code submit} to the start of the batch that carried it, on the batcher's ticker
 *     (the wait for the execution budget included)
 * @param batchSize how many inputs that batch held (before any failure isolation split it)
 * @param worker the worker that ran it: the replica's id in a Sluice deployment, null for a plain batcher
 * @param chosenBatchSize the most inputs the batch policy let that batch take ({@link BatchPolicy#batchSize}):
 *     what the cost curve chose, when it held fewer only because fewer waited
 * @param budgetWaitNanos of the queue wait, how long the batch waited for the runtime's execution budget (0
 *     without one)
 * @param cpus the CPUs its calls had from the budget ({@link BatchCall#cpus()})
 */
public record Dispatch(long queueWaitNanos, int batchSize, String worker, int chosenBatchSize, long budgetWaitNanos,
        int cpus) {
    /** A dispatch of a batch the policy let take {@code batchSize}, with no budget to wait for. */
    public Dispatch(long queueWaitNanos, int batchSize, String worker) {
        this(queueWaitNanos, batchSize, worker, batchSize, 0, 1);
    }
}
