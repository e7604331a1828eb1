package dev.sluice.batching;

import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A {@link Ticker} that moves only when a test moves it, so timing behaviour (policy waits, deadlines,
 * queue-wait measurements) is tested without sleeping and without flakiness.
 *
 * <pre>{@code
 * ManualTicker time = new ManualTicker();
 * DynamicBatcher<String, String> b = DynamicBatcher.builder(model).ticker(time).build();
 * CompletableFuture<String> f = b.submit("x", Duration.ofMillis(50));   // while every worker is busy
 * time.advance(Duration.ofMillis(50));                                  // f fails with DeadlineExceededException
 * }</pre>
 *
 * <p>Advancing it wakes every batcher built with it: their batch former reads the new time at once and
 * decides again (dispatch a batch whose wait is over, expire a request whose deadline passed). A batcher
 * on a manual ticker never re-reads the clock on a timer, so nothing polls while the test holds time
 * still. The Sluice runtime takes it as it takes any {@link Ticker}.
 *
 * <p>It lives in {@code dev.sluice.batching}, not beside the runtime's test kit in {@code dev.sluice.testing}:
 * the batcher is usable alone and cannot depend on {@code sluice-core}, and one package split over two
 * jars breaks the Java module path.
 *
 * <p>Thread-safe: any thread may read, advance or set it, also a batch function while it runs. Readings
 * never go backwards. It starts at one second (any start would do: only differences between readings mean
 * anything, as with {@link System#nanoTime()}).
 */
public final class ManualTicker implements Ticker {
    private final AtomicLong nanos = new AtomicLong(1_000_000_000L);
    /** Told after every move; a batcher registers the wake-up of its former here. */
    private final CopyOnWriteArrayList<Runnable> onAdvance = new CopyOnWriteArrayList<>();

    /** Creates a ticker that reads one second until it is moved. */
    public ManualTicker() {}

    /** The current reading, in nanoseconds. */
    @Override
    public long read() {
        return nanos.get();
    }

    /**
     * Moves time forward by {@code by} and wakes every batcher timed on this ticker.
     *
     * @throws NullPointerException if {@code by} is null
     * @throws IllegalArgumentException if {@code by} is negative (a ticker never goes backwards)
     * @throws ArithmeticException if the reading would overflow a {@code long} of nanoseconds
     */
    public void advance(Duration by) {
        Objects.requireNonNull(by, "by");
        if (by.isNegative()) {
            throw new IllegalArgumentException("a ticker never goes backwards: by must not be negative, was " + by);
        }
        long delta = by.toNanos();
        nanos.accumulateAndGet(delta, Math::addExact);
        wakeUp();
    }

    /**
     * Sets the reading to {@code nanos} and wakes every batcher timed on this ticker.
     *
     * @throws IllegalArgumentException if {@code nanos} is earlier than the current reading (a ticker never
     *     goes backwards)
     */
    public void set(long nanos) {
        long before;
        do {
            before = this.nanos.get();
            if (nanos < before) {
                throw new IllegalArgumentException("a ticker never goes backwards: " + nanos + " is before the current reading " + before);
            }
        } while (!this.nanos.compareAndSet(before, nanos));
        wakeUp();
    }

    @Override
    public String toString() {
        return "ManualTicker[" + nanos.get() + " ns]";
    }

    // ---------------------------------------------------------------- the batcher's wake hook

    /**
     * Runs {@code wake} after every later move, on the thread that moves the ticker, until the returned
     * registration is closed. {@code wake} must be quick and must not block.
     */
    Registration onAdvance(Runnable wake) {
        Objects.requireNonNull(wake, "wake");
        onAdvance.add(wake);
        return () -> onAdvance.remove(wake);
    }

    /** Registered wake-ups, for tests. */
    int registrations() {
        return onAdvance.size();
    }

    private void wakeUp() {
        for (Runnable wake : onAdvance) {
            wake.run();
        }
    }

    /** Ends a registration made with {@link #onAdvance}. */
    @FunctionalInterface
    interface Registration {
        void close();
    }
}
