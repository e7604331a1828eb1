/**
 * Not API: what the tensor package publishes only so that other Sluice modules can use it (the ONNX runtime's
 * {@link dev.sluice.tensor.internal.TensorBatch} for stacking and splitting a batch and
 * {@link dev.sluice.tensor.internal.RaggedRuns} for splitting a ragged one). Anything here may change or go
 * without notice; applications use {@link dev.sluice.tensor}.
 */
package dev.sluice.tensor.internal;
