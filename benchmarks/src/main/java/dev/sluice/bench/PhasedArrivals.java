package dev.sluice.bench;

import java.util.List;
import java.util.Objects;

/**
 * Intended send times of Poisson arrivals whose rate changes in steps: phase after phase, each with its own
 * rate and length. Within a phase the gaps are those of {@link PoissonArrivals}; at a phase boundary the
 * next phase's process starts afresh, which is exact for a Poisson process (it has no memory). A single
 * phase gives the same schedule as {@code new PoissonArrivals(rate, seed)} cut at the phase's end. Not
 * thread-safe: one sender owns it.
 */
final class PhasedArrivals {

    /** Returned by {@link #nextArrivalNanos()} once the last phase is over. */
    static final long END = Long.MAX_VALUE;

    /**
     * @param ratePerSecond mean arrivals per second; zero for a phase without arrivals
     * @param durationNanos the phase's length, positive
     */
    record Phase(double ratePerSecond, long durationNanos) {
        Phase {
            if (!(ratePerSecond >= 0) || Double.isInfinite(ratePerSecond)) {
                throw new IllegalArgumentException("rate must be zero or positive and finite, was " + ratePerSecond);
            }
            if (durationNanos <= 0) {
                throw new IllegalArgumentException("duration must be positive, was " + durationNanos + " ns");
            }
        }
    }

    private final List<Phase> phases;
    private final long seed;
    private int index = -1;
    private long phaseStart;
    private long phaseEnd;
    private PoissonArrivals current;

    /**
     * @param phases at least one, in order
     * @param seed seed of the first phase; later phases derive theirs from it
     */
    PhasedArrivals(List<Phase> phases, long seed) {
        this.phases = List.copyOf(Objects.requireNonNull(phases, "phases"));
        if (this.phases.isEmpty()) {
            throw new IllegalArgumentException("phases must not be empty");
        }
        this.seed = seed;
    }

    /** One phase of {@code rate} lasting {@code durationNanos}. */
    static PhasedArrivals constant(double ratePerSecond, long durationNanos, long seed) {
        return new PhasedArrivals(List.of(new Phase(ratePerSecond, durationNanos)), seed);
    }

    /** Where phase {@code i} starts, as an offset from the start, in nanoseconds. */
    long phaseStartNanos(int i) {
        long t = 0;
        for (int k = 0; k < i; k++) {
            t += phases.get(k).durationNanos();
        }
        return t;
    }

    /** The length of all phases together, in nanoseconds. */
    long totalNanos() {
        return phaseStartNanos(phases.size());
    }

    List<Phase> phases() {
        return phases;
    }

    /** The next arrival's offset from the start, in nanoseconds, never decreasing; {@link #END} after the last phase. */
    long nextArrivalNanos() {
        while (true) {
            if (current != null) {
                long t = phaseStart + current.nextArrivalNanos();
                if (t < phaseEnd) {
                    return t;
                }
            }
            if (!nextPhase()) {
                return END;
            }
        }
    }

    private boolean nextPhase() {
        current = null;
        if (index + 1 >= phases.size()) {
            index = phases.size();
            return false;
        }
        index++;
        Phase p = phases.get(index);
        phaseStart = index == 0 ? 0 : phaseEnd;
        phaseEnd = phaseStart + p.durationNanos();
        if (p.ratePerSecond() > 0) {
            // Phase 0 keeps the seed itself, so a one-phase schedule is PoissonArrivals(rate, seed).
            current = new PoissonArrivals(p.ratePerSecond(), seed + index * 0x9E3779B97F4A7C15L);
        }
        return true;
    }
}
