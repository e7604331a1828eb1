package dev.sluice.tensor.internal;

import dev.sluice.tensor.Tensor;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Not API. The door from this package into {@link Tensor}'s own data. Byte strings: a BYTES tensor copies them in and
 * out for its users, so that nobody can change a tensor's contents, but stacking and splitting a batch only moves
 * them from tensors to new tensors, where one more copy per string per batch buys nothing. Buffers: a model's
 * output copied once out of native memory becomes a tensor without a second copy. {@code Tensor} opens
 * the door when its class is initialized, which has happened before any tensor reaches this package.
 */
public final class TensorAccess {
    /** What {@code dev.sluice.tensor} lets this package do. */
    public interface Door {
        /** The tensor's own byte strings, not copied: read them, never change them. */
        List<byte[]> strings(Tensor tensor);

        /**
         * A BYTES tensor that keeps {@code elements} (each taken from a tensor, so no one changes them) instead of
         * copying them; the same checks as {@link Tensor#ofStrings}.
         */
        Tensor ofSharedStrings(String name, long[] shape, List<byte[]> elements);

        /**
         * A tensor over {@code data}'s remaining bytes (native order, heap or direct) without a copy: the caller
         * made the buffer and gives it up, so no one else can change it. The same checks as {@link Tensor#of}.
         */
        Tensor ofOwned(String name, dev.sluice.tensor.DataType type, long[] shape, java.nio.ByteBuffer data);
    }

    private static final AtomicReference<Door> DOOR = new AtomicReference<>();

    private TensorAccess() {}

    /**
     * Called once, by {@code Tensor}.
     *
     * @throws IllegalStateException if the door is already open
     */
    public static void open(Door opened) {
        if (!DOOR.compareAndSet(null, Objects.requireNonNull(opened, "opened"))) {
            throw new IllegalStateException("already open");
        }
    }

    static Door door() {
        Door d = DOOR.get();
        if (d == null) {
            initialize(); // a buffer made into a tensor here (TensorBatch.owned) may be the first tensor of all
            d = DOOR.get();
        }
        if (d == null) {
            throw new IllegalStateException("Tensor has not been initialized");
        }
        return d;
    }

    private static void initialize() {
        try {
            Class.forName(Tensor.class.getName(), true, Tensor.class.getClassLoader());
        } catch (ClassNotFoundException e) {
            throw new IllegalStateException(e);
        }
    }
}
