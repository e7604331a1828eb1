package dev.sluice;

import java.util.concurrent.CompletableFuture;

/**
 * The watchdog and the health checks of one replica: on each control pass, {@link #check} says whether
 * the replica is lost, or a health check is due. No threads and no clock of its own: the caller passes
 * the time, runs a due check ({@link Model#isHealthy()}) elsewhere and completes the replica's
 * {@code healthCheck} future with its verdict (a problem in words, or null when healthy).
 *
 * <p>Not thread-safe: used under the runtime's lock.
 */
final class ReplicaWatch {
    private ReplicaWatch() {}

    /** What the control pass should do about a replica. */
    record Verdict(Action action, String why) {
        static final Verdict OK = new Verdict(Action.NONE, null);
        static final Verdict CHECK = new Verdict(Action.START_HEALTH_CHECK, null);

        static Verdict lost(String why) {
            return new Verdict(Action.LOST, why);
        }
    }

    enum Action {
        /** Nothing to do now. */
        NONE,
        /** Run the model's health check and complete the replica's {@code healthCheck} with its verdict. */
        START_HEALTH_CHECK,
        /** The replica cannot go on: {@code why} says why. */
        LOST
    }

    /**
     * Looks at a running or draining replica at {@code now}: the watchdog first (a batch running past
     * {@code watchdog}), then, for a running one, its health check (due, answered, or past its timeout).
     * Starting a check or reading its answer updates the replica's health-check fields.
     */
    static Verdict check(Replica<?, ?> r, Deployment<?, ?> c, long now) {
        if (r.state != Replica.State.RUNNING && r.state != Replica.State.DRAINING) {
            return Verdict.OK;
        }
        long watchdog = c.watchdog().toNanos();
        long running = r.longestRunningNanos(now);
        if (watchdog > 0 && running >= watchdog) {
            return Verdict.lost("it hung: a batch ran for " + running / 1_000_000 + " ms, past the watchdog limit of "
                    + watchdog / 1_000_000 + " ms");
        }
        long period = c.healthCheckPeriod().toNanos();
        if (period <= 0 || r.state != Replica.State.RUNNING) {
            return Verdict.OK;
        }
        if (r.healthCheck == null) {
            if (now < r.nextHealthCheckAt) {
                return Verdict.OK;
            }
            r.healthCheckStartedAt = now;
            r.healthCheck = new CompletableFuture<>();
            return Verdict.CHECK;
        }
        if (r.healthCheck.isDone()) {
            String problem = r.healthCheck.join();
            r.healthCheck = null;
            r.nextHealthCheckAt = now + period;
            return problem == null ? Verdict.OK : Verdict.lost("it failed its health check: " + problem);
        }
        if (now - r.healthCheckStartedAt >= c.healthCheckTimeout().toNanos()) {
            return Verdict.lost("its health check got no answer within " + c.healthCheckTimeout().toMillis() + " ms");
        }
        return Verdict.OK;
    }

    /** Runs a model's health check: the problem in words, or null when healthy. Never throws. */
    static String healthProblem(Model<?, ?> m) {
        try {
            return m.isHealthy() ? null : "isHealthy() returned false";
        } catch (Throwable t) {
            return "isHealthy() threw " + t;
        }
    }
}
