package dev.sluice.testing;

import dev.sluice.Sluice;
import dev.sluice.batching.ManualTicker;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;

/**
 * A {@link Sluice} runtime whose time moves only when the test moves it, for testing autoscaling, health
 * checks and the watchdog of your own deployments without sleeping. Its ticker is a {@link ManualTicker}
 * and its control loop has no timer: {@link #advance} moves time in steps of the control period and runs
 * the control pass each step brings, on the calling thread.
 *
 * <pre>{@code
 * try (TestRuntime t = TestRuntime.builder().sluice(b -> b.resources(Resources.builder().cpus(4).build())).build()) {
 *     DeploymentHandle<String, String> h = t.sluice().deploy(Deployment.<String, String>builder("m", factory)
 *             .replicas(0, 2).build());
 *     h.submit("x").join();             // scales from zero at once
 *     t.advance(Duration.ofMinutes(5)); // no load for five minutes of runtime time: back to zero
 *     t.runUntil(() -> h.status().state() == DeploymentState.SCALED_TO_ZERO, Duration.ofSeconds(10));
 * }
 * }</pre>
 *
 * <p>What stays on real time: model factories, {@code close} and health checks run on the runtime's own
 * threads, and the runtime still runs a control pass at once when something happens (a replica started
 * or stopped, a request came to a deployment with no replica). A test that waits for a replica to start
 * or a model to close waits in real time, with {@link #runUntil}; one that waits for time to pass calls
 * {@link #advance}. Batch policies and request deadlines read the same ticker, so they too move only
 * with {@code advance}.
 *
 * <p>Thread-safe. {@link #close()} closes the runtime.
 */
public final class TestRuntime implements AutoCloseable {
    private final ManualTicker ticker = new ManualTicker();
    private final Duration step;
    private final Sluice sluice;
    private final Runnable controlPass;

    private TestRuntime(Builder b) {
        this.step = b.controlPeriod;
        Sluice.Builder sb = Sluice.builder();
        b.settings.accept(sb);
        Runnable[] pass = new Runnable[1];
        this.sluice = sb.ticker(ticker).manualControl(p -> pass[0] = p).build();
        this.controlPass = pass[0];
    }

    public static Builder builder() {
        return new Builder();
    }

    /** The runtime to deploy into. */
    public Sluice sluice() {
        return sluice;
    }

    /** The runtime's clock; advancing it directly moves time without running control passes. */
    public ManualTicker ticker() {
        return ticker;
    }

    /**
     * Moves time forward by {@code by}, in steps of the control period (the last one shorter if need be),
     * running one control pass after each step: what a runtime on the system clock would have done in that
     * time, as far as time decides it. Returns when the passes have run; work they started on runtime
     * threads (a model factory, a model's close, a health check) may still be running.
     *
     * @throws IllegalArgumentException if {@code by} is negative
     */
    public void advance(Duration by) {
        Objects.requireNonNull(by, "by");
        if (by.isNegative()) {
            throw new IllegalArgumentException("by must not be negative, was " + by);
        }
        long left = by.toNanos();
        long stepNanos = step.toNanos();
        while (left > 0) {
            long d = Math.min(left, stepNanos);
            ticker.advance(Duration.ofNanos(d));
            left -= d;
            runControlPass();
        }
    }

    /** Runs one control pass now, at the current time, on the calling thread. */
    public void runControlPass() {
        controlPass.run();
    }

    /**
     * Runs control passes at the current time (time does not move) until {@code condition} holds, for what
     * happens on runtime threads: a replica starting, a lost replica's model closing.
     *
     * @throws AssertionError if it does not hold within {@code timeout} of real time
     */
    public void runUntil(BooleanSupplier condition, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            runControlPass();
            if (condition.getAsBoolean()) {
                return;
            }
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError("the condition did not hold within " + timeout.toMillis() + " ms");
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1)); // other threads' work, in real time
        }
    }

    /** Closes the runtime (with its close grace period in real time). */
    @Override
    public void close() {
        sluice.close();
    }

    /** Settings of a {@link TestRuntime}. */
    public static final class Builder {
        private Duration controlPeriod = Duration.ofMillis(100);
        private Consumer<Sluice.Builder> settings = b -> { };

        private Builder() {}

        /** The runtime time between two control passes while {@link TestRuntime#advance} moves time. Default 100 ms. */
        public Builder controlPeriod(Duration period) {
            Objects.requireNonNull(period, "controlPeriod");
            if (period.isNegative() || period.isZero()) {
                throw new IllegalArgumentException("controlPeriod must be positive, was " + period);
            }
            this.controlPeriod = period;
            return this;
        }

        /**
         * Any other settings of the runtime (resources, observers, close grace period). Its ticker and
         * control loop are the test runtime's: setting them here has no effect.
         */
        public Builder sluice(Consumer<Sluice.Builder> settings) {
            this.settings = Objects.requireNonNull(settings, "sluice");
            return this;
        }

        public TestRuntime build() {
            return new TestRuntime(this);
        }
    }
}
