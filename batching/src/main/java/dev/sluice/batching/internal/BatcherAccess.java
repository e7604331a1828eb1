package dev.sluice.batching.internal;

import dev.sluice.batching.DynamicBatcher;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The one door from this package into the batcher's package-private implementation: Java has no "friend"
 * packages, so {@code dev.sluice.batching} opens it once, when {@link DynamicBatcher.Builder} is
 * initialized, and this package reaches what it needs through it. Not API.
 */
public final class BatcherAccess {
    /** What {@code dev.sluice.batching} lets this package do. */
    public interface Door {
        /** A builder with no function, for {@link WorkerBatcher#builder()}. */
        <I, O> DynamicBatcher.Builder<I, O> workerBuilder();
    }

    private static final AtomicReference<Door> DOOR = new AtomicReference<>();

    private BatcherAccess() {}

    /**
     * Called once by {@code dev.sluice.batching}.
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
            try {
                // Initializing the builder class opens the door.
                Class.forName(DynamicBatcher.Builder.class.getName(), true, DynamicBatcher.class.getClassLoader());
            } catch (ClassNotFoundException e) {
                throw new IllegalStateException(e);
            }
            d = DOOR.get();
        }
        return d;
    }
}
