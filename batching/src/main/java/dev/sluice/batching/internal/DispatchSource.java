package dev.sluice.batching.internal;

import dev.sluice.batching.Dispatch;

/**
 * Not API: a future, not made by a batcher, that can say where its request ran, so that
 * {@link dev.sluice.batching.DynamicBatcher#dispatchOf} (and a pipeline's trace through it) reads it as it reads a
 * batcher's: a remote deployment's request names the server that answered it.
 */
public interface DispatchSource {
    /** Where the request ran, once its future has completed with a value; null before, or if it ran nowhere. */
    Dispatch dispatch();
}
