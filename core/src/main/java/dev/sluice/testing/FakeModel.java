package dev.sluice.testing;

import dev.sluice.Model;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * A {@link Model} for tests: computes each output with a plain function, takes time like an accelerator
 * (a batch of {@code n} costs {@code fixed + perItem * n}, so 32 inputs cost little more than one),
 * fails or hangs on demand, and records every batch it was given.
 *
 * <pre>{@code
 * FakeModel<String, Integer> model = FakeModel.builder(String::length)
 *     .cost(Duration.ofMillis(2), Duration.ofNanos(50_000))
 *     .failOn(s -> s.isEmpty())          // batches holding "" throw
 *     .build();
 * }</pre>
 *
 * <p>Thread-safe: several replicas or concurrent batches may share one instance; the record of batches
 * is kept in call order.
 *
 * @param <I> input type
 * @param <O> output type
 */
public final class FakeModel<I, O> implements Model<I, O> {

    /** How a fake model spends its cost. */
    public enum Wait {
        /** Parks the thread (cheap for the CPU; wakes up to a few hundred microseconds late). */
        SLEEP,
        /** Busy-waits (exact, but burns a core; for latency-sensitive benchmarks). */
        SPIN
    }

    /** What a fake model throws when told to fail; a failure of the model, not of the test. */
    public static final class InjectedFailure extends RuntimeException {
        private static final long serialVersionUID = 1L;

        InjectedFailure(String message) {
            super(message);
        }
    }

    private final Function<I, O> compute;
    private final long fixedNanos;
    private final long perItemNanos;
    private final Wait wait;
    private final int failEvery;
    private final Predicate<? super I> failOn;
    private final Predicate<? super I> hangOn;
    private final List<List<I>> batches = new CopyOnWriteArrayList<>();
    private final AtomicLong calls = new AtomicLong();
    private final AtomicBoolean closed = new AtomicBoolean();
    private volatile CountDownLatch hangs = new CountDownLatch(1);

    private FakeModel(Builder<I, O> b) {
        this.compute = b.compute;
        this.fixedNanos = b.fixed.toNanos();
        this.perItemNanos = b.perItem.toNanos();
        this.wait = b.wait;
        this.failEvery = b.failEvery;
        this.failOn = b.failOn;
        this.hangOn = b.hangOn;
    }

    public static <I, O> Builder<I, O> builder(Function<I, O> compute) {
        return new Builder<>(Objects.requireNonNull(compute, "compute"));
    }

    /**
     * Records the batch, waits its cost, then: hangs if an input matches {@code hangOn} (until
     * {@link #releaseHangs()} or interruption), throws {@link InjectedFailure} if this is a k-th call or an
     * input matches {@code failOn}, and otherwise returns {@code compute} of each input.
     */
    @Override
    public List<O> predict(List<I> batch) throws Exception {
        if (closed.get()) {
            throw new IllegalStateException("FakeModel was closed");
        }
        long call = calls.incrementAndGet();
        batches.add(List.copyOf(batch));
        spend(fixedNanos + perItemNanos * batch.size());
        for (I input : batch) {
            if (hangOn != null && hangOn.test(input)) {
                hangs.await();
            }
        }
        if (failEvery > 0 && call % failEvery == 0) {
            throw new InjectedFailure("FakeModel fails every " + failEvery + " batches; this was batch " + call);
        }
        List<O> out = new ArrayList<>(batch.size());
        for (I input : batch) {
            if (failOn != null && failOn.test(input)) {
                throw new InjectedFailure("FakeModel fails on input " + input);
            }
            out.add(compute.apply(input));
        }
        return out;
    }

    private void spend(long nanos) {
        if (nanos > 0) {
            sleepUntil(System.nanoTime() + nanos, wait == Wait.SPIN ? Long.MAX_VALUE : 0);
        }
    }

    /**
     * Spends time as a model does, until {@code deadline} (a {@link System#nanoTime()} value) or just after:
     * parks the thread until {@code spinNanos} before the deadline, then busy-waits. {@code parkNanos} alone
     * wakes late by the kernel's timer slack and wake-up latency (tens to hundreds of microseconds); spinning
     * the last stretch makes the time exact at the cost of a core for that long. {@code spinNanos = 0} only
     * parks; {@link Long#MAX_VALUE} only spins. The one implementation behind {@link Wait} and the benchmarks'
     * fake models.
     *
     * <p>Returns early, with the thread's interrupt flag still set, if the thread is or gets interrupted (so
     * a runtime shutting down can stop a fake batch).
     *
     * @throws IllegalArgumentException if {@code spinNanos} is negative
     */
    public static void sleepUntil(long deadline, long spinNanos) {
        if (spinNanos < 0) {
            throw new IllegalArgumentException("spinNanos must not be negative, was " + spinNanos);
        }
        Thread self = Thread.currentThread();
        long left;
        while ((left = deadline - System.nanoTime()) > 0 && !self.isInterrupted()) {
            if (left > spinNanos) {
                LockSupport.parkNanos(left - spinNanos);
            } else {
                Thread.onSpinWait();
            }
        }
    }

    /** Lets every hung call go on (and later ones pass); {@link #hangAgain()} re-arms. */
    public void releaseHangs() {
        hangs.countDown();
    }

    /** Makes inputs matching {@code hangOn} hang again after {@link #releaseHangs()}. */
    public void hangAgain() {
        hangs = new CountDownLatch(1);
    }

    /** Every batch given to {@link #predict}, in call order (copies; failed and hung calls included). */
    public List<List<I>> batches() {
        return List.copyOf(batches);
    }

    /** The size of every batch, in call order. */
    public List<Integer> batchSizes() {
        List<Integer> sizes = new ArrayList<>(batches.size());
        for (List<I> b : batches) {
            sizes.add(b.size());
        }
        return sizes;
    }

    /** Every input seen, in call order (an input retried after a failed batch appears again). */
    public List<I> inputsSeen() {
        List<I> all = new ArrayList<>();
        batches.forEach(all::addAll);
        return all;
    }

    public boolean isClosed() {
        return closed.get();
    }

    @Override
    public void close() {
        closed.set(true);
        releaseHangs();
    }

    /** Builds a {@link FakeModel}; setters validate at once and name the field they reject. */
    public static final class Builder<I, O> {
        private final Function<I, O> compute;
        private Duration fixed = Duration.ZERO;
        private Duration perItem = Duration.ZERO;
        private Wait wait = Wait.SLEEP;
        private int failEvery;
        private Predicate<? super I> failOn;
        private Predicate<? super I> hangOn;

        private Builder(Function<I, O> compute) {
            this.compute = compute;
        }

        /** Each batch of {@code n} takes {@code fixed + perItem * n}. Default: no cost. */
        public Builder<I, O> cost(Duration fixed, Duration perItem) {
            Objects.requireNonNull(fixed, "fixed");
            Objects.requireNonNull(perItem, "perItem");
            if (fixed.isNegative()) {
                throw new IllegalArgumentException("fixed must not be negative, was " + fixed);
            }
            if (perItem.isNegative()) {
                throw new IllegalArgumentException("perItem must not be negative, was " + perItem);
            }
            this.fixed = fixed;
            this.perItem = perItem;
            return this;
        }

        /** How the cost is spent. Default {@link Wait#SLEEP}. */
        public Builder<I, O> wait(Wait wait) {
            this.wait = Objects.requireNonNull(wait, "wait");
            return this;
        }

        /** The k-th, 2k-th, ... call throws {@link InjectedFailure}; k at least 1. */
        public Builder<I, O> failEveryKthBatch(int k) {
            if (k < 1) {
                throw new IllegalArgumentException("failEveryKthBatch must be at least 1, was " + k);
            }
            this.failEvery = k;
            return this;
        }

        /** A call whose batch holds an input matching {@code predicate} throws {@link InjectedFailure}. */
        public Builder<I, O> failOn(Predicate<? super I> predicate) {
            this.failOn = Objects.requireNonNull(predicate, "failOn");
            return this;
        }

        /** A call whose batch holds an input matching {@code predicate} blocks until {@link #releaseHangs()}. */
        public Builder<I, O> hangOn(Predicate<? super I> predicate) {
            this.hangOn = Objects.requireNonNull(predicate, "hangOn");
            return this;
        }

        public FakeModel<I, O> build() {
            return new FakeModel<>(this);
        }
    }

    @Override
    public String toString() {
        return "FakeModel[cost " + TimeUnit.NANOSECONDS.toMicros(fixedNanos) + " us + "
                + TimeUnit.NANOSECONDS.toMicros(perItemNanos) + " us/item, " + wait + ", " + calls.get() + " calls]";
    }
}
