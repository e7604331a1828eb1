package dev.sluice.bench;

import java.util.Arrays;
import org.HdrHistogram.Histogram;

/**
 * Keeps every completed request's intended send time and latency, so that percentiles can be taken over
 * windows chosen after the run (such as "from the load step until the replicas were there"). Sixteen
 * bytes per request. Thread-safe: completions arrive on several replica threads; a short lock each.
 */
final class LatencyLog implements OpenLoopSender.Recording {
    private long[] intended = new long[1 << 16];
    private long[] latency = new long[1 << 16];
    private int size;

    @Override
    public void sent(long intendedNanoTime, long lagNanos) {}

    @Override
    public synchronized void completed(long intendedNanoTime, long latencyNanos) {
        if (size == intended.length) {
            intended = Arrays.copyOf(intended, size * 2);
            latency = Arrays.copyOf(latency, size * 2);
        }
        intended[size] = intendedNanoTime;
        latency[size] = latencyNanos;
        size++;
    }

    /** Requests completed so far. */
    synchronized int size() {
        return size;
    }

    /** Latencies of the requests intended in {@code [from, to)} (nanoTime), as a histogram (3 digits). */
    synchronized Histogram between(long from, long to) {
        Histogram h = new Histogram(3);
        for (int i = 0; i < size; i++) {
            if (intended[i] >= from && intended[i] < to) {
                h.recordValue(Math.max(0, latency[i]));
            }
        }
        return h;
    }
}
