package dev.sluice.pipeline;

import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * The default {@link Scheduler}: a single daemon thread, shared by every pipeline. Package-private: the
 * only way to reach it is {@link Scheduler#system()}, so its class is no one's API.
 */
final class SystemScheduler implements Scheduler {
    static final SystemScheduler INSTANCE = new SystemScheduler();
    private final ScheduledThreadPoolExecutor timer;

    private SystemScheduler() {
        timer = new ScheduledThreadPoolExecutor(1, r -> {
            Thread t = new Thread(r, "sluice-pipeline-timer");
            t.setDaemon(true);
            return t;
        });
        // Cancelled tasks stay queued until their time instead of being removed: nearly every deadline
        // timer is cancelled, and removing the queue's head wakes the timer thread each time.
        timer.setRemoveOnCancelPolicy(false);
    }

    @Override
    public Runnable schedule(Runnable task, long delayNanos) {
        ScheduledFuture<?> f = timer.schedule(task, Math.max(0, delayNanos), TimeUnit.NANOSECONDS);
        return () -> f.cancel(false);
    }
}
