package dev.sluice.pipeline;

import dev.sluice.batching.OverloadedException;
import dev.sluice.internal.CpuMeter;
import java.time.Duration;
import java.util.Locale;

/**
 * A pipeline's admission by the latency a new request can expect: Little's law on what the pipeline measures
 * of itself. Each run carries a work weight (1 unless the pipeline was given a work function); the pipeline
 * measures the rate at which it finishes work while it has work in flight (busy time only, so idle gaps do
 * not lower it) and more than one run at a time on average, smooths those rates into its capacity, and
 * learns its idle latency from runs that ran alone. A new run's expected latency is then {@code (work in flight + its work) / capacity}, at least the
 * idle latency; it is refused when that exceeds the bound: {@link #DEFAULT_MULTIPLE} times the idle latency
 * but at least {@link #DEFAULT_FLOOR_NANOS} (one second) unless a fixed bound was set, and never more than the
 * request's own deadline.
 *
 * <p>Why this shape: a pipeline's steps share a CPU budget with everything else, and how much a run costs is
 * only known after it ran (an OCR page's lines are found by its first step). What the pipeline can measure
 * exactly is how fast it finishes the work it admitted; admitting only what that rate drains within the bound
 * keeps admitted requests' latency bounded under any overload, and refuses the excess at once. Counting
 * every run in flight as whole work overestimates the wait by at most the part already done, so it errs
 * towards refusing early rather than admitting late.
 *
 * <p>Why the floor: a refused HTTP client is told to come back after whole seconds (Retry-After), so refusing a
 * request the pipeline would have finished within a second makes that client wait longer, not shorter; and a
 * fast pipeline (a tabular model's 2 ms) would otherwise refuse a burst it drains in tens of milliseconds.
 *
 * <p>Why only samples with company: one request at a time shows a pipeline's latency, not how much it can
 * finish at once; a pipeline whose models batch (a tabular model scoring a burst of rows in one call) finishes
 * many times more when it has many requests. So a sample whose mean number of runs in flight is under
 * {@link #MIN_SAMPLE_CONCURRENCY} is dropped, and a sample taken with less than half the company the
 * capacity was measured with cannot lower the capacity (only one taken with as much can: a system that became
 * slower under the same load).
 *
 * <p>Why samples are divided by the CPUs' utilization: below saturation the rate a pipeline finishes work at
 * is the rate it is offered, not what it could do, so a pipeline at 75% load learned a capacity of about 75%
 * and refused the peaks of a load it could serve. When its steps call deployments of one runtime, the sample is
 * divided by the share of that runtime's CPU budget that model calls held over the same time (the utilization
 * law: what it could finish is what it finished over the share of the bottleneck it used), if that share was
 * at least {@link #MIN_SCALED_UTILIZATION}. Below that the budget is not what limits this pipeline (remote or
 * I/O-bound steps, or too little load to extrapolate from) and the sample counts as measured. Other work
 * holding the same budget makes the share larger and the estimate smaller: it errs towards refusing.
 *
 * <p>A sample ends when, within one busy period (something in flight all along), at least {@link #SAMPLE_RUNS}
 * runs and at least as many runs as were in flight on average have ended: so it spans a turnover of what was in
 * flight, and a batch of completions is not split from the time it took.
 *
 * <p>Every run is admitted until the first rate sample (the first {@link #SAMPLE_RUNS} runs and
 * {@link #SAMPLE_BUSY_NANOS} of busy time, at least {@link #SAMPLE_IDLE_LATENCIES} idle latencies, with company): refusing needs a measured rate, and a cold pipeline's
 * first runs (paying for warm-up) would underestimate it. A pipeline that never has company is never refused by
 * latency: with one request at a time, waiting cannot be its problem. The
 * first run, admitted alone, seeds the idle latency if no run ends alone (a cold pipeline under a burst may
 * never see one). A run that would be alone is always admitted: with nothing ahead of it, waiting cannot be
 * the problem. Threading: every method is synchronized; a pipeline run calls it twice
 * (admission and end), which is small beside any model call.
 */
final class LatencyAdmission {
    /** The default bound: this many times the idle latency. */
    static final double DEFAULT_MULTIPLE = 8;
    /** ...but never less than this (one second; see the class comment). */
    static final long DEFAULT_FLOOR_NANOS = 1_000_000_000L;
    /** A rate sample needs at least this much busy time... */
    static final long SAMPLE_BUSY_NANOS = 50_000_000L;
    /**
     * ...and at least this many idle latencies of it: a shorter window sees runs that ran together end together
     * (an OCR service's pages), and its rate is many times what the pipeline sustains.
     */
    static final int SAMPLE_IDLE_LATENCIES = 4;
    /** ...and at least this many runs ended. */
    static final int SAMPLE_RUNS = 4;
    /** ...with at least this many runs in flight on average over its busy time. */
    static final double MIN_SAMPLE_CONCURRENCY = 1.5;
    /**
     * How much each sample weighs in the capacity (smoothed, not the highest sample: the highest of noisy samples
     * overestimates, and an overestimate admits requests that then wait past the bound).
     */
    static final double CAPACITY_WEIGHT = 0.25;
    /** A sample is divided by the budget's utilization when that was at least this (see the class comment). */
    static final double MIN_SCALED_UTILIZATION = 0.5;

    private final String name;
    /** Fixed bound in nanoseconds; 0 for the default multiple of the idle latency; -1 when switched off. */
    private final long fixedBoundNanos;
    /** The runtime budget the pipeline's model calls hold; null when it calls none or several. */
    private final CpuMeter meter;
    /** The meter when the current sample's busy time began; null while no sample is open or without a meter. */
    private CpuMeter.Reading sampleFrom;
    /** The budget's utilization over the last sample; NaN until one was taken with a meter. */
    private double lastUtilization = Double.NaN;

    private long workInFlight;
    private int runsInFlight;
    private long lastEvent;
    private long busyNanos;
    /** Runs in flight integrated over the sample's busy time: its mean company is this over {@link #busyNanos}. */
    private double runNanos;
    private long workDone;
    private int runsDone;
    /** Highest recent finishing rate, work per nanosecond; 0 until the first sample. */
    private double capacity;
    /** The mean runs in flight of the sample {@link #capacity} came from. */
    private double capacityConcurrency;
    /** Latency of a run that ran alone, smoothed; 0 until the first such run. */
    private double idleNanos;
    private long refused;

    LatencyAdmission(String name, long fixedBoundNanos) {
        this(name, fixedBoundNanos, null);
    }

    /** @param meter the budget of the runtime whose deployments the pipeline calls, or null */
    LatencyAdmission(String name, long fixedBoundNanos, CpuMeter meter) {
        this.name = name;
        this.fixedBoundNanos = fixedBoundNanos;
        this.meter = meter;
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
        double rate = capacity; // 0 (admit all) before the first sample
        if (fixedBoundNanos >= 0 && runsInFlight > 0 && rate > 0) {
            long bound = Math.min(boundNanos(), deadlineNanos);
            double expected = Math.max(idleNanos, (workInFlight + work) / rate);
            if (bound != Long.MAX_VALUE && expected > bound) {
                refused++;
                return new Decision(refusal(rate, expected, bound, deadlineNanos < boundNanos(), work), false);
            }
        }
        boolean alone = runsInFlight == 0;
        if (alone && meter != null) {
            sampleFrom = meter.read(); // a busy period, and with it a sample, begins
        }
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
            forgetSampleIfIdle();
            return;
        }
        workDone += work;
        runsDone++;
        double company = busyNanos == 0 ? 0 : runNanos / busyNanos;
        if (busyNanos >= Math.max(SAMPLE_BUSY_NANOS, SAMPLE_IDLE_LATENCIES * idleNanos)
                && runsDone >= Math.max(SAMPLE_RUNS, company)) {
            double sample = (double) workDone / busyNanos;
            if (meter != null && sampleFrom != null) {
                lastUtilization = CpuMeter.utilization(sampleFrom, meter.read());
                if (lastUtilization >= MIN_SCALED_UTILIZATION) {
                    sample /= lastUtilization;
                }
            }
            if (company >= MIN_SAMPLE_CONCURRENCY) {
                if (capacity == 0) {
                    capacity = sample;
                    capacityConcurrency = company;
                } else if (sample > capacity || company >= capacityConcurrency / 2) {
                    // Faster, or slower under as much load: follow it. Slower under much less load says nothing.
                    capacity += CAPACITY_WEIGHT * (sample - capacity);
                    capacityConcurrency += CAPACITY_WEIGHT * (company - capacityConcurrency);
                }
            }
            forgetSample();
        }
        forgetSampleIfIdle();
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

    /** The bound now, nanoseconds; {@link Long#MAX_VALUE} when there is none (switched off, or not yet learned). */
    private long boundNanos() {
        if (fixedBoundNanos > 0) {
            return fixedBoundNanos;
        }
        if (fixedBoundNanos < 0 || idleNanos == 0) {
            return Long.MAX_VALUE;
        }
        return (long) Math.min(Long.MAX_VALUE / 2.0, Math.max(DEFAULT_FLOOR_NANOS, DEFAULT_MULTIPLE * idleNanos));
    }

    /**
     * A sample spans one busy period at most: with nothing in flight the next run starts a new one, so time that
     * ran one at a time before a burst does not water down what the burst shows.
     */
    private void forgetSampleIfIdle() {
        if (runsInFlight == 0) {
            forgetSample();
        }
    }

    private void forgetSample() {
        busyNanos = 0;
        runNanos = 0;
        workDone = 0;
        runsDone = 0;
        // Runs still in flight: the next sample's busy time begins now; else at the next admission.
        sampleFrom = meter != null && runsInFlight > 0 ? meter.read() : null;
    }

    /** Busy time counts only while something is in flight. */
    private void account(long now) {
        if (runsInFlight > 0) {
            long busy = Math.max(0, now - lastEvent);
            busyNanos += busy;
            runNanos += (double) busy * runsInFlight;
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
                        + (fixedBoundNanos == 0 ? String.format(Locale.ROOT, " (the larger of %.0fx its idle latency %s and %s)",
                                DEFAULT_MULTIPLE, millis(idleNanos), millis(DEFAULT_FLOOR_NANOS)) : ""));
        return new OverloadedException(name, OverloadedException.Limit.EXPECTED_LATENCY, reason, retryAfter);
    }

    synchronized Pipeline.AdmissionStatus status() {
        long bound = boundNanos();
        return new Pipeline.AdmissionStatus(fixedBoundNanos >= 0, capacity * 1e9,
                idleNanos == 0 ? null : Duration.ofNanos((long) idleNanos),
                bound == Long.MAX_VALUE ? null : Duration.ofNanos(bound), runsInFlight, workInFlight, refused, lastUtilization);
    }

    private static String perSecond(double workPerNano) {
        return String.format(Locale.ROOT, "%.1f work", workPerNano * 1e9);
    }

    private static String millis(double nanos) {
        return String.format(Locale.ROOT, "%.1f ms", nanos / 1e6);
    }
}
