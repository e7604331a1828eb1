/**
 * GPU discovery and placement, and the ONNX Runtime and DJL model adapters.
 *
 * <p>Filled by the model runtimes issue.
 */
package dev.sluice.gpu;
