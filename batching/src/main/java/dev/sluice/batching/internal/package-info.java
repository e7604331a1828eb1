/**
 * Not API: what the batcher publishes only so that other Sluice modules can use it (the runtime's
 * {@link dev.sluice.batching.internal.WorkerBatcher} for replicas, {@link dev.sluice.batching.internal.ExecutionGate}
 * for its execution budget, {@link dev.sluice.batching.internal.RequestOrigin} for a pipeline's request age,
 * {@link dev.sluice.batching.internal.BatchCostModel} for its fit of a batch's cost, and
 * {@link dev.sluice.batching.internal.DispatchSource} for a remote request's server in traces), or so that the
 * batching package shares it ({@link dev.sluice.batching.internal.BatchCostCurve}). Anything here may change
 * or go without notice; applications use {@link dev.sluice.batching} and the runtime.
 */
package dev.sluice.batching.internal;
