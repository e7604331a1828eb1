package dev.sluice.tensor;

import java.util.Arrays;
import java.util.Objects;

/**
 * One input or output of a tensor model as the model declares it.
 *
 * @param name its name
 * @param type its element type
 * @param shape its dimensions, -1 where the model leaves one open (dimension 0 is the batch)
 */
public record TensorSpec(String name, DataType type, long[] shape) {
    public TensorSpec {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(type, "type");
        shape = shape.clone();
        for (long d : shape) {
            if (d < -1) {
                throw new IllegalArgumentException("'" + name + "': dimensions are -1 (open) or at least 0, was "
                        + Arrays.toString(shape));
            }
        }
    }

    @Override
    public long[] shape() {
        return shape.clone();
    }

    /** Dimension {@code d}, -1 where open. */
    public long dim(int d) {
        return shape[d];
    }

    public int rank() {
        return shape.length;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TensorSpec s && s.name.equals(name) && s.type == type && Arrays.equals(s.shape, shape);
    }

    @Override
    public int hashCode() {
        return Objects.hash(name, type, Arrays.hashCode(shape));
    }

    @Override
    public String toString() {
        return name + " " + type + " " + Arrays.toString(shape);
    }
}
