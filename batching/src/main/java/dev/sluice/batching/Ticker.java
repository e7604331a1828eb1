package dev.sluice.batching;

/**
 * A source of monotonic nanoseconds. Every timing decision of a batcher (how long to wait for a batch,
 * when a deadline passes, queue-wait measurements) reads its ticker, so tests can inject a manual one:
 * {@link ManualTicker}, whose moves wake the batchers timed on it. Any other ticker is taken to move at about
 * the speed of real time.
 */
@FunctionalInterface
public interface Ticker {
    long read();

    /** The JVM's monotonic clock, {@link System#nanoTime()}. */
    static Ticker system() {
        return SystemTicker.INSTANCE;
    }
}

enum SystemTicker implements Ticker {
    INSTANCE;

    @Override
    public long read() {
        return System.nanoTime();
    }
}
