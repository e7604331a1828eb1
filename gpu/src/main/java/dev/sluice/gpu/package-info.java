/**
 * GPU discovery: {@link dev.sluice.gpu.NvidiaSmiInventory}, registered as the {@code GpuInventory} service, so
 * {@code Resources.detect()} finds this machine's NVIDIA GPUs when {@code sluice-gpu} is on the class path. The
 * model runtimes of this module live beside it: ONNX Runtime in {@code dev.sluice.onnx}, DJL in
 * {@code dev.sluice.djl}.
 */
package dev.sluice.gpu;
