package dev.sluice.internal;

/**
 * How much of a runtime's CPU budget model calls have held: the CPUs held integrated over time. Not API: the
 * runtime's deployment handles offer it ({@link Source}) so that a pipeline calling them can tell how busy the
 * CPUs were while it measured its own throughput.
 *
 * <p>Thread-safe.
 */
public interface CpuMeter {
    /**
     * One reading, both times on the budget's own clock.
     *
     * @param cpuNanosHeld CPUs held by model calls, integrated over time since the budget was made (CPU-nanoseconds)
     * @param at when it was read
     * @param cpus the CPUs the budget has
     */
    record Reading(long cpuNanosHeld, long at, int cpus) {}

    /** What the budget has handed out until now. */
    Reading read();

    /**
     * The share of the budget's CPUs held on average between two readings, 0 to 1; NaN when no time passed
     * between them.
     */
    static double utilization(Reading from, Reading to) {
        long wall = to.at() - from.at();
        if (wall <= 0 || to.cpus() <= 0) {
            return Double.NaN;
        }
        return Math.min(1, Math.max(0, (to.cpuNanosHeld() - from.cpuNanosHeld()) / ((double) wall * to.cpus())));
    }

    /** Something whose model calls hold a runtime's budget (a deployment handle of that runtime). */
    interface Source {
        CpuMeter cpuMeter();
    }
}
