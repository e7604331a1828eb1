package dev.sluice.pipeline;

import dev.sluice.batching.OverloadedException;
import java.time.Duration;
import java.util.Locale;

/**
 * A pipeline's admission by the latency a new request can expect: Little's law on what the pipeline measures
 * of itself. Each run carries a work weight (1 unless the pipeline was given a work function); the pipeline
 * measures the rate at which it finishes work while it has work in flight (busy time only, so idle gaps do
 * not lower it), keeps the highest recent rate as its capacity, and learns its idle latency from runs that
 * ran alone. A new run's expected latency is then {@code (work in flight + its work) / capacity}, at least the
 * idle latency; it is refused when that exceeds the bound: {@link #DEFAULT_MULTIPLE} times the idle latency
 * unless a fixed bound was set, and never more than the request's own deadline.
 *
 * <p>Why this shape: a pipeline's steps share a CPU budget with everything else, and how much a run costs is
 * only known after it ran (an OCR page's lines are found by its first step). What the pipeline can measure
 * exactly is how fast it finishes the work it admitted; admitting only what that rate drains within the bound
 * keeps admitted requests' latency bounded under any overload, and refuses the excess at once. Counting
 * every run in flight as whole work overestimates the wait by at most the part already done, so it errs
 * towards refusing early rather than admitting late.
 *
 * <p>Until the first run ends every run is admitted (that run, admitted alone, seeds the idle latency if no
 * run ends alone: a cold pipeline under a burst may never see one); from then until the first rate sample (the first
 * {@link #SAMPLE_RUNS} runs and {@link #SAMPLE_BUSY_NANOS} of busy time) the rate is taken as one run per idle
 * latency. A run that would be alone is always admitted: with nothing ahead of it, waiting cannot be the
 * problem. Threading: every method is synchronized; a pipeline run calls it twice
 * (admission and end), which is small beside any model call.
 */
final class LatencyAdmission {
    /** The default bound: this many times the idle latency. */
    static final double DEFAULT_MULTIPLE = 8;
    /** A rate sample needs at least this much busy time... */
    static final long SAMPLE_BUSY_NANOS = 50_000_000L;
    /** ...and at least this many runs ended. */
    static final int SAMPLE_RUNS = 4;
    /** Each sample lowers the remembered capacity by this factor before the max: it follows a slower system in tens of samples. */
    static final double CAPACITY_DECAY = 0.97;

    private final String name;
    /** Fixed bound in nanoseconds; 0 for the default multiple of the idle latency; -1 when switched off. */
    private final long fixedBoundNanos;

    private long workInFlight;
    private int runsInFlight;
    private long lastEvent;
    private long busyNanos;
    private long workDone;
    private int runsDone;
    /** Highest recent finishing rate, work per nanosecond; 0 until the first sample. */
    private double capacity;
    /** Latency of a run that ran alone, smoothed; 0 until the first such run. */
    private double idleNanos;
    private long refused;

    LatencyAdmission(String name, long fixedBoundNanos) {
        this.name = name;
        this.fixedBoundNanos = fixedBoundNanos;
    }

    /**
     * What {@link #admit} decided: admitted ({@code refusal} null; {@code alone} when nothing else was in
     * flight), or refused.
     */
    record Decision(OverloadedException refusal, boolean alone) {
        static final Decision ALONE = new Decision(null, true);
        static final Decision WITH_OTHERS = new Decision(null, false);
    }

    /**
     * Admits a run of {@code work} at {@code now}, or says why not.
     *
     * @param deadlineNanos what the request allows in all (its deadline), {@link Long#MAX_VALUE} for none
     * @return the decision; when admitted, {@link #ended} must follow exactly once
     */
    synchronized Decision admit(long work, long now, long deadlineNanos) {
        account(now);
        double rate = rate();
        if (fixedBoundNanos >= 0 && runsInFlight > 0 && rate > 0) {
            long bound = Math.min(boundNanos(), deadlineNanos);
            double expected = Math.max(idleNanos, (workInFlight + work) / rate);
            if (bound != Long.MAX_VALUE && expected > bound) {
                refused++;
                return new Decision(refusal(rate, expected, bound, deadlineNanos < boundNanos(), work), false);
            }
        }
        boolean alone = runsInFlight == 0;
        workInFlight += work;
        runsInFlight++;
        return alone ? Decision.ALONE : Decision.WITH_OTHERS;
    }

    /**
     * A run admitted with {@code work} ended at {@code now} after {@code latencyNanos}. Only a run that
     * {@code succeeded} teaches the rate and the idle latency (a request failed or cancelled early says
     * nothing of what a request costs); {@code admittedAlone} is the admission's {@link Decision#alone()}, and
     * the run counts as alone only if nothing else is in flight at its end either.
     */
    synchronized void ended(long work, long latencyNanos, boolean admittedAlone, boolean succeeded, long now) {
        account(now);
        boolean alone = admittedAlone && runsInFlight == 1;
        workInFlight -= work;
        runsInFlight--;
        if (!succeeded) {
            return;
        }
        workDone += work;
        runsDone++;
        if (busyNanos >= SAMPLE_BUSY_NANOS && runsDone >= SAMPLE_RUNS) {
            double sample = (double) workDone / busyNanos;
            capacity = Math.max(capacity * CAPACITY_DECAY, sample);
            busyNanos = 0;
            workDone = 0;
            runsDone = 0;
        }
        if (admittedAlone && !alone && idleNanos == 0 && latencyNanos > 0) {
            // A cold pipeline under a burst may never see a lone run: the first run, admitted alone, seeds the
            // idle latency. Later arrivals slowed it little, as a pipeline's steps go oldest request first.
            idleNanos = latencyNanos;
        } else if (alone && latencyNanos > 0) {
            // Down fast (a first run pays for warm-up), up slowly (one slow lone run is not a new normal).
            idleNanos = idleNanos == 0 ? latencyNanos
                    : latencyNanos < idleNanos ? 0.5 * idleNanos + 0.5 * latencyNanos : 0.9 * idleNanos + 0.1 * latencyNanos;
        }
    }

    /**
     * The finishing rate admission assumes, work per nanosecond: the measured capacity; before the first
     * sample, one request of average work per idle latency (as if nothing ran in parallel: it errs towards
     * refusing while a cold pipeline learns); 0 (admit all) before any request ended alone.
     */
    private double rate() {
        if (capacity > 0) {
            return capacity;
        }
        return idleNanos > 0 ? 1 / idleNanos : 0;
    }

    /** The bound now, nanoseconds; {@link Long#MAX_VALUE} when there is none (switched off, or not yet learned). */
    private long boundNanos() {
        if (fixedBoundNanos > 0) {
            return fixedBoundNanos;
        }
        if (fixedBoundNanos < 0 || idleNanos == 0) {
            return Long.MAX_VALUE;
        }
        return (long) Math.min(Long.MAX_VALUE / 2.0, DEFAULT_MULTIPLE * idleNanos);
    }

    /** Busy time counts only while something is in flight. */
    private void account(long now) {
        if (runsInFlight > 0) {
            busyNanos += Math.max(0, now - lastEvent);
        }
        lastEvent = now;
    }

    private OverloadedException refusal(double rate, double expected, long bound, boolean byDeadline, long work) {
        // Room comes when the work ahead has drained to what the bound allows.
        double drainNanos = (workInFlight + work) / rate - bound;
        Duration retryAfter = Duration.ofNanos((long) Math.max(0, drainNanos));
        String reason = String.format(Locale.ROOT,
                "%d requests in flight (work %d) at the %s/s it finishes would keep this one about %s, longer than %s;"
                        + " the request was not started",
                runsInFlight, workInFlight, perSecond(rate), millis(expected),
                byDeadline ? "its deadline of " + millis(bound) : "the pipeline's latency bound of " + millis(bound)
                        + (fixedBoundNanos == 0 ? String.format(Locale.ROOT, " (%.0fx its idle latency %s)",
                                DEFAULT_MULTIPLE, millis(idleNanos)) : ""));
        return new OverloadedException(name, OverloadedException.Limit.EXPECTED_LATENCY, reason, retryAfter);
    }

    synchronized Pipeline.AdmissionStatus status() {
        long bound = boundNanos();
        return new Pipeline.AdmissionStatus(fixedBoundNanos >= 0, capacity * 1e9,
                idleNanos == 0 ? null : Duration.ofNanos((long) idleNanos),
                bound == Long.MAX_VALUE ? null : Duration.ofNanos(bound), runsInFlight, workInFlight, refused);
    }

    private static String perSecond(double workPerNano) {
        return String.format(Locale.ROOT, "%.1f work", workPerNano * 1e9);
    }

    private static String millis(double nanos) {
        return String.format(Locale.ROOT, "%.1f ms", nanos / 1e6);
    }
}
