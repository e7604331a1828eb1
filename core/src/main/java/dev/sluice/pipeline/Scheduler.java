package dev.sluice.pipeline;

import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * Runs a task after a delay: the pipeline's step timeouts and retry backoffs. Injectable, so tests run
 * timing logic on their own clock. The default is one shared daemon timer thread.
 */
@FunctionalInterface
public interface Scheduler {

    /**
     * Runs {@code task} after {@code delayNanos} (at once, on the caller or the timer, if not positive).
     *
     * @return something that cancels it if it has not run yet
     */
    Runnable schedule(Runnable task, long delayNanos);

    /** The shared timer thread. */
    static Scheduler system() {
        return SystemScheduler.INSTANCE;
    }

    /** The default scheduler: a single daemon thread, shared by every pipeline. */
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
}
