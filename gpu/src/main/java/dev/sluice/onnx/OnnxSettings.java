package dev.sluice.onnx;

import java.nio.file.Path;
import java.util.Map;
import java.util.Objects;
import java.util.function.LongUnaryOperator;

/**
 * What an {@link OnnxModel.Builder} held when a factory (or a model) was made from it, frozen: a later
 * {@code pad}, {@code follow} or other builder call does not reach replicas made from it.
 *
 * @param file the model file, or null when {@code bytes} is the model
 * @param bytes the model's bytes, or null when {@code file} is (never changed after the builder copied them)
 * @param pads the pad value of each input that has one (others pad with 0)
 * @param follows the output dimensions that follow a padded input dimension, by output name
 * @param cpuFallback whether a replica placed on a GPU may run on CPU when CUDA cannot load
 * @param maxPadding the padding a run may add, as a fraction of its real elements (infinity: no bound)
 */
record OnnxSettings(Path file, byte[] bytes, Map<String, Double> pads, Map<String, Follow> follows,
        boolean cpuFallback, double maxPadding) {
    OnnxSettings {
        pads = Map.copyOf(pads);
        follows = Map.copyOf(follows);
    }

    /** An output dimension that follows a padded input dimension (extent null: in proportion). */
    record Follow(int outputDim, String input, int inputDim, LongUnaryOperator extent) {}

    double pad(String input) {
        return pads.getOrDefault(input, 0.0);
    }

    String describe() {
        return file != null ? Objects.toString(file.getFileName(), file.toString()) : bytes.length + " bytes";
    }
}
