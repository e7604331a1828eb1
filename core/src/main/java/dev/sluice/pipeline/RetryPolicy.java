package dev.sluice.pipeline;

import dev.sluice.batching.InvalidInputException;
import dev.sluice.batching.ShutdownException;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Predicate;

/**
 * How one pipeline step retries: how many attempts in all, the backoff between them (exponential, capped,
 * with jitter), and which failures are worth another attempt. Immutable. A step retries alone: the steps
 * that finished before it are not run again.
 *
 * <p>By default every failure retries except bad input ({@link InvalidInputException}), shutdown and
 * cancellation; a step never retries once the pipeline's deadline has passed.
 */
public final class RetryPolicy {
    private static final Predicate<Throwable> TRANSIENT = t -> !(t instanceof InvalidInputException
            || t instanceof ShutdownException || t instanceof CancellationException);
    private static final RetryPolicy NONE = new RetryPolicy(1, Duration.ZERO, 2.0, Duration.ZERO, 0, TRANSIENT);

    private final int attempts;
    private final Duration initialBackoff;
    private final double multiplier;
    private final Duration maxBackoff;
    private final double jitter;
    private final Predicate<Throwable> retryOn;

    private RetryPolicy(int attempts, Duration initialBackoff, double multiplier, Duration maxBackoff, double jitter,
            Predicate<Throwable> retryOn) {
        this.attempts = attempts;
        this.initialBackoff = initialBackoff;
        this.multiplier = multiplier;
        this.maxBackoff = maxBackoff;
        this.jitter = jitter;
        this.retryOn = retryOn;
    }

    /** One attempt, no retry (the default of every step). */
    public static RetryPolicy none() {
        return NONE;
    }

    /**
     * Up to {@code attempts} attempts in all, the first retry after 10 ms, doubling up to 1 s, with 20%
     * jitter. At most 100 attempts: a step that needs more is waiting for something, not retrying.
     *
     * @throws IllegalArgumentException if {@code attempts} is below 1 or above 100
     */
    public static RetryPolicy attempts(int attempts) {
        if (attempts < 1 || attempts > 100) {
            throw new IllegalArgumentException("attempts must be between 1 and 100, was " + attempts);
        }
        return new RetryPolicy(attempts, Duration.ofMillis(10), 2.0, Duration.ofSeconds(1), 0.2, TRANSIENT);
    }

    /** The wait before the first retry, growing by {@code multiplier} per retry up to {@code max}. */
    public RetryPolicy backoff(Duration initial, double multiplier, Duration max) {
        Objects.requireNonNull(initial, "initial");
        Objects.requireNonNull(max, "max");
        if (initial.isNegative() || max.isNegative()) {
            throw new IllegalArgumentException("backoff must not be negative, was " + initial + " up to " + max);
        }
        if (!(multiplier >= 1)) {
            throw new IllegalArgumentException("backoff multiplier must be at least 1, was " + multiplier);
        }
        return new RetryPolicy(attempts, initial, multiplier, max, jitter, retryOn);
    }

    /** No wait between attempts. */
    public RetryPolicy noBackoff() {
        return new RetryPolicy(attempts, Duration.ZERO, 1, Duration.ZERO, 0, retryOn);
    }

    /** Each wait is drawn from {@code [w * (1 - fraction), w * (1 + fraction)]}. */
    public RetryPolicy jitter(double fraction) {
        if (!(fraction >= 0 && fraction <= 1)) {
            throw new IllegalArgumentException("jitter must be in [0, 1], was " + fraction);
        }
        return new RetryPolicy(attempts, initialBackoff, multiplier, maxBackoff, fraction, retryOn);
    }

    /** Retries only failures matching {@code which} (the step's own exception, unwrapped). */
    public RetryPolicy retryOn(Predicate<Throwable> which) {
        return new RetryPolicy(attempts, initialBackoff, multiplier, maxBackoff, jitter, Objects.requireNonNull(which, "which"));
    }

    /** Retries only failures that are instances of one of {@code types}. */
    @SafeVarargs
    public final RetryPolicy retryOn(Class<? extends Throwable>... types) {
        Class<?>[] copy = types.clone();
        return retryOn(t -> {
            for (Class<?> c : copy) {
                if (c.isInstance(t)) {
                    return true;
                }
            }
            return false;
        });
    }

    public int attempts() {
        return attempts;
    }

    boolean retries(Throwable failure) {
        return retryOn.test(failure);
    }

    /** The wait before attempt {@code next} (2 for the first retry), in nanoseconds. */
    long backoffNanos(int next) {
        double base = initialBackoff.toNanos() * Math.pow(multiplier, Math.max(0, next - 2));
        double capped = Math.min(base, maxBackoff.toNanos());
        if (jitter > 0) {
            capped *= 1 + jitter * (2 * ThreadLocalRandom.current().nextDouble() - 1);
        }
        return (long) Math.max(0, capped);
    }

    @Override
    public String toString() {
        return attempts == 1 ? "RetryPolicy[none]" : "RetryPolicy[" + attempts + " attempts, backoff "
                + initialBackoff.toMillis() + " ms x" + multiplier + " up to " + maxBackoff.toMillis() + " ms, jitter "
                + jitter + "]";
    }
}
