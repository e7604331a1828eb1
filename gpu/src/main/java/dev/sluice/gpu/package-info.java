/**
 * GPU discovery ({@link dev.sluice.gpu.NvidiaSmiInventory}, registered as the {@code GpuInventory} service);
 * the ONNX Runtime and DJL model adapters arrive with the rest of the model runtimes issue.
 */
package dev.sluice.gpu;
