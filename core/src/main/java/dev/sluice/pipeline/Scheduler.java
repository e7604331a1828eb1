package dev.sluice.pipeline;

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

    /**
     * The default scheduler: one daemon timer thread shared by every pipeline. Tasks run on that thread,
     * so they must not block; a cancelled task stays queued (inert) until its time.
     *
     * @return the shared instance, the same on every call
     */
    static Scheduler system() {
        return SystemScheduler.INSTANCE;
    }
}
