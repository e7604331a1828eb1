package dev.sluice.batching;

/** Two observers told in turn; the second is told even when the first throws, and the first failure is rethrown. */
final class BothObservers implements BatchObserver {
    private final BatchObserver first;
    private final BatchObserver second;

    BothObservers(BatchObserver first, BatchObserver second) {
        this.first = first;
        this.second = second;
    }

    @Override
    public void onBatch(String batcher, int size, long[] queueWaitNanos, long executionNanos, Throwable failure) {
        long[] own = queueWaitNanos.clone(); // each observer owns its array
        RuntimeException error = tell(null, () -> first.onBatch(batcher, size, queueWaitNanos, executionNanos, failure));
        rethrow(tell(error, () -> second.onBatch(batcher, size, own, executionNanos, failure)));
    }

    @Override
    public void onRejected(String batcher, Rejection reason) {
        rethrow(tell(tell(null, () -> first.onRejected(batcher, reason)), () -> second.onRejected(batcher, reason)));
    }

    @Override
    public void onExpired(String batcher, long queuedNanos) {
        rethrow(tell(tell(null, () -> first.onExpired(batcher, queuedNanos)), () -> second.onExpired(batcher, queuedNanos)));
    }

    @Override
    public void onCancelled(String batcher, long queuedNanos) {
        rethrow(tell(tell(null, () -> first.onCancelled(batcher, queuedNanos)),
                () -> second.onCancelled(batcher, queuedNanos)));
    }

    private static RuntimeException tell(RuntimeException earlier, Runnable call) {
        try {
            call.run();
            return earlier;
        } catch (RuntimeException e) {
            if (earlier == null) {
                return e;
            }
            earlier.addSuppressed(e);
            return earlier;
        }
    }

    private static void rethrow(RuntimeException e) {
        if (e != null) {
            throw e;
        }
    }
}
