package dev.sluice.bench;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * A child process's resident memory over time: {@link ProcessMemory} read every {@code periodMs} on a daemon thread,
 * each sample tagged with the phase the run was in when it was taken ({@link #phase}), kept in order. Peak and last
 * values are asked per phase. Thread-safe (one lock; the sampler and the caller).
 */
final class RssSeries implements AutoCloseable {
    /** One reading: when (ms since the series began), in which round and phase, and what. */
    record Sample(long tMs, int round, String phase, long rssKb, long hwmKb) {}

    /** Reads the memory; a test gives readings of its own. */
    @FunctionalInterface
    interface Reader {
        ProcessMemory read() throws IOException;
    }

    private final Reader reader;
    private final LongSupplier clockNanos;
    private final long startNanos;
    private final List<Sample> samples = new ArrayList<>();
    private int round;
    private String phase = "start";
    private ScheduledExecutorService timer;
    private ScheduledFuture<?> task;

    RssSeries(Reader reader, LongSupplier clockNanos) {
        this.reader = reader;
        this.clockNanos = clockNanos;
        this.startNanos = clockNanos.getAsLong();
    }

    /** Samples process {@code pid} every {@code periodMs} from now until {@link #close}. */
    static RssSeries sampling(long pid, long periodMs) {
        RssSeries s = new RssSeries(() -> ProcessMemory.read(pid), System::nanoTime);
        s.timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "rss-sampler");
            t.setDaemon(true);
            return t;
        });
        s.task = s.timer.scheduleAtFixedRate(s::sampleQuietly, 0, periodMs, TimeUnit.MILLISECONDS);
        return s;
    }

    /** The samples taken from now on belong to {@code phase} of {@code round}. */
    synchronized void phase(int round, String phase) {
        this.round = round;
        this.phase = phase;
    }

    /** Takes one sample now. */
    Sample sample() throws IOException {
        ProcessMemory m = reader.read();
        synchronized (this) {
            Sample s = new Sample((clockNanos.getAsLong() - startNanos) / 1_000_000, round, phase, m.rssKb(), m.hwmKb());
            samples.add(s);
            return s;
        }
    }

    private void sampleQuietly() {
        try {
            sample();
        } catch (IOException | RuntimeException e) {
            // the process has ended: the run notices that on its own
        }
    }

    /** All samples so far, in order. */
    synchronized List<Sample> samples() {
        return List.copyOf(samples);
    }

    /** The highest RSS sampled in {@code phase} of {@code round} (any phase when null), kB; 0 when none. */
    synchronized long peakKb(int round, String phase) {
        return samples.stream().filter(s -> s.round() == round && (phase == null || s.phase().equals(phase)))
                .mapToLong(Sample::rssKb).max().orElse(0);
    }

    /** The last RSS sampled in {@code phase} of {@code round}, kB; 0 when none. */
    synchronized long lastKb(int round, String phase) {
        long last = 0;
        for (Sample s : samples) {
            if (s.round() == round && s.phase().equals(phase)) {
                last = s.rssKb();
            }
        }
        return last;
    }

    /** The series as CSV, a header and a line per sample. */
    synchronized String csv(String label) {
        StringBuilder b = new StringBuilder("label,t_ms,round,phase,rss_mb,hwm_mb\n");
        for (Sample s : samples) {
            b.append(label).append(',').append(s.tMs()).append(',').append(s.round()).append(',').append(s.phase())
                    .append(',').append(OcrOverload.mb(s.rssKb())).append(',').append(OcrOverload.mb(s.hwmKb()))
                    .append('\n');
        }
        return b.toString();
    }

    @Override
    public void close() {
        if (task != null) {
            task.cancel(false);
            timer.shutdownNow();
        }
    }
}
