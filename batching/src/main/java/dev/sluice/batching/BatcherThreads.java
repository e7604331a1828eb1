package dev.sluice.batching;

import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The threads of batchers: how they are made and named, and which batcher's batch the current thread is
 * running (so a close called from inside a batch, or from a dependent stage of one of its futures, does
 * not wait for its own thread).
 */
final class BatcherThreads {
    private static final ThreadLocal<Object> RUNNING_ON = new ThreadLocal<>();

    private BatcherThreads() {}

    /** Daemon threads named {@code prefix} (or {@code prefix1, prefix2...} if it ends with a dash). */
    static ThreadFactory named(String prefix) {
        AtomicInteger count = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, prefix.endsWith("-") ? prefix + count.incrementAndGet() : prefix);
            t.setDaemon(true);
            return t;
        };
    }

    /** This thread starts running a batch of {@code batcher}; returns what to give {@link #exit}. */
    static Object enter(Object batcher) {
        Object outer = RUNNING_ON.get();
        RUNNING_ON.set(batcher);
        return outer;
    }

    /** This thread stopped running batches of the batcher it entered; {@code outer} is what enter returned. */
    static void exit(Object outer) {
        if (outer == null) {
            RUNNING_ON.remove();
        } else {
            RUNNING_ON.set(outer);
        }
    }

    /** Whether this thread is running a batch of {@code batcher}. */
    static boolean isRunningOn(Object batcher) {
        return RUNNING_ON.get() == batcher;
    }
}
