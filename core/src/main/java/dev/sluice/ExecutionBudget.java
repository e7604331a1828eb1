package dev.sluice;

import dev.sluice.batching.Ticker;
import dev.sluice.batching.internal.ExecutionGate;
import dev.sluice.internal.CpuMeter;
import java.util.Comparator;
import java.util.PriorityQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.BooleanSupplier;

/**
 * The runtime's execution budget: CPU tokens, as many as {@link Resources#cpus()}, shared by every
 * deployment. A model call holds its deployment's {@link ReplicaResources#cpus()} tokens from just before
 * {@code Model.predict} until it returns, so no more calls run at once than the machine has cores, however
 * many replicas exist; replicas are cheap, the budget is the real concurrency.
 *
 * <p>Who goes next: the waiting call with the smallest key, the origin of its batch's oldest request (see
 * {@link ExecutionGate#acquire}), ties in arrival order; so a pipeline's later step of an old request goes
 * before the first step of a new one. The order is strict: a waiter that does not fit yet (it needs more
 * tokens than are free) blocks those behind it, so a large call is never starved by small ones. A call that
 * needs no tokens ({@code cpus(0)}: I/O-bound or remote models) never waits.
 *
 * <p>A model that itself waits, inside {@code predict}, for a call to another deployment holds its tokens
 * meanwhile; it should ask for {@code cpus(0)}, or the two may wait for each other when the budget is full.
 *
 * <p>It also integrates the CPUs held over time ({@link #read}): a pipeline divides the rate it measured by the
 * share of the budget held meanwhile to tell what it could do with all of it.
 *
 * <p>Thread-safe: one lock, held for a few operations on a small queue; each waiter sleeps on a condition
 * of its own, so a release wakes only the calls it lets through. The counters are read without the lock.
 */
final class ExecutionBudget implements CpuMeter {
    private static final Comparator<Waiter> ORDER = Comparator.comparingLong((Waiter w) -> w.key)
            .thenComparingLong(w -> w.arrival);

    private final int capacity;
    private final Ticker ticker;
    /** Whether requests wait in some deployment's queue now: then nothing is lent, they will want the CPUs. */
    private final BooleanSupplier workQueued;
    private final ReentrantLock lock = new ReentrantLock();
    /** Guarded by lock. */
    private final PriorityQueue<Waiter> waiters = new PriorityQueue<>(ORDER);
    /** Guarded by lock. */
    private long arrivals;
    /** Guarded by lock: tokens held now; change it only through {@link #holdLocked}. */
    private int inUse;
    /** Guarded by lock: tokens held integrated over the ticker's time until {@link #heldSince}. */
    private long heldNanos;
    /** Guarded by lock: when {@link #inUse} last changed. */
    private long heldSince;
    // Copies for readers without the lock, written under it.
    private final AtomicInteger inUseNow = new AtomicInteger();
    private final AtomicInteger waiting = new AtomicInteger();
    private final AtomicLong waitedNanos = new AtomicLong();

    ExecutionBudget(int capacity, Ticker ticker) {
        this(capacity, ticker, () -> false);
    }

    /**
     * @param workQueued whether requests wait in some queue now (read, under the budget's lock, only when a call
     *     could borrow): a call borrows idle CPUs only while nothing else waits for them, neither a call nor a
     *     queued request that a free replica is about to take
     */
    ExecutionBudget(int capacity, Ticker ticker, BooleanSupplier workQueued) {
        if (capacity < 1) {
            throw new IllegalArgumentException("capacity must be at least 1, was " + capacity);
        }
        this.capacity = capacity;
        this.ticker = ticker;
        this.workQueued = workQueued;
        this.heldSince = ticker.read();
    }

    /**
     * The gate for calls that each need {@code tokens} and may borrow up to {@code burst} while the budget
     * has idle CPUs: one that never waits for 0.
     *
     * @throws IllegalArgumentException if {@code tokens} is negative or more than the budget has (such a
     *     call could never run), or {@code burst} is below {@code tokens}
     */
    ExecutionGate gate(int tokens, int burst) {
        if (tokens < 0 || tokens > capacity) {
            throw new IllegalArgumentException("cpus: a call needs " + tokens + " CPUs, the execution budget has "
                    + capacity);
        }
        if (burst < tokens) {
            throw new IllegalArgumentException("burstCpus (" + burst + ") must not be below cpus (" + tokens + ")");
        }
        if (tokens == 0) {
            return ExecutionGate.open();
        }
        return new ExecutionGate() {
            @Override
            public Permit acquire(long key) throws InterruptedException {
                return ExecutionBudget.this.acquire(tokens, burst, key, Long.MAX_VALUE);
            }

            @Override
            public Permit acquire(long key, long deadline) throws InterruptedException {
                return ExecutionBudget.this.acquire(tokens, burst, key, deadline);
            }
        };
    }

    /** {@link #gate(int, int)} without borrowing. */
    ExecutionGate gate(int tokens) {
        return gate(tokens, tokens);
    }

    /**
     * Blocks until {@code tokens} are free and every waiter before this one (smaller key, or same key and
     * earlier) has been let through. When it is let through and no call waits behind it, it also borrows idle
     * CPUs, up to {@code burst} in all: CPUs nobody wants now, which its model may use to finish sooner (the
     * permit's {@link ExecutionGate.Permit#cpus()}). A call that arrives meanwhile waits for them like any other.
     *
     * @param deadline when to give up waiting, on the budget's ticker ({@link Long#MAX_VALUE}: never)
     * @return the permit, or null if {@code deadline} passed before it was let through (then it holds nothing)
     * @throws InterruptedException if interrupted while waiting; then it holds nothing
     */
    ExecutionGate.Permit acquire(int tokens, int burst, long key, long deadline) throws InterruptedException {
        lock.lock();
        try {
            if (waiters.isEmpty() && inUse + tokens <= capacity) {
                int held = tokens + idleFor(burst - tokens, tokens);
                holdLocked(inUse + held);
                inUseNow.set(inUse);
                return new Grant(held, 0);
            }
            long start = ticker.read(); // before it is counted as waiting, so no wait goes unmeasured
            long waited;
            Waiter w = new Waiter(key, arrivals++, tokens, burst, lock.newCondition());
            waiters.add(w);
            grantLocked(); // it may go before every waiter and fit at once
            if (w.held > 0) {
                return new Grant(w.held, 0);
            }
            try {
                while (w.held == 0) {
                    if (deadline == Long.MAX_VALUE) {
                        w.ready.await();
                        continue;
                    }
                    long left = deadline - ticker.read();
                    if (left <= 0) {
                        waiters.remove(w);
                        grantLocked(); // it may have been the waiter that held the others back
                        return null;
                    }
                    if (w.ready.awaitNanos(left) > 0) {
                        continue; // signalled, or woken for nothing: the loop looks at what it holds
                    }
                    // Timed out on the system clock; the deadline is on the ticker's, which the loop reads
                    // again (a manual ticker that has not moved sends it back to wait).
                }
            } catch (InterruptedException e) {
                if (w.held > 0) {
                    holdLocked(inUse - w.held); // let through as it was interrupted: give the tokens back
                } else {
                    waiters.remove(w);
                }
                grantLocked(); // it may have been the waiter that held the others back
                throw e;
            } finally {
                waited = Math.max(0, ticker.read() - start);
                waitedNanos.addAndGet(waited);
            }
            return new Grant(w.held, waited);
        } finally {
            lock.unlock();
        }
    }

    /**
     * Idle CPUs a call granted {@code tokens} may borrow, up to {@code wanted}: none while a call waits for the
     * budget or a request waits in a queue. (Without the second rule a saturated runtime lends in the gaps
     * between calls: a borrowed CPU then idles in the lending call's slower threads while the next call waits.)
     */
    private int idleFor(int wanted, int tokens) {
        int idle = Math.min(wanted, capacity - inUse - tokens);
        return idle > 0 && waiters.isEmpty() && !workQueued.getAsBoolean() ? idle : 0;
    }

    private void release(int tokens) {
        lock.lock();
        try {
            holdLocked(inUse - tokens);
            grantLocked();
        } finally {
            lock.unlock();
        }
    }

    /** Lets waiters through in order while the first one fits. */
    private void grantLocked() {
        Waiter first;
        while ((first = waiters.peek()) != null && inUse + first.tokens <= capacity) {
            waiters.poll();
            first.held = first.tokens + idleFor(first.burst - first.tokens, first.tokens);
            holdLocked(inUse + first.held);
            first.ready.signal();
        }
        waiting.set(waiters.size());
        inUseNow.set(inUse);
    }

    /** Sets the tokens held, first adding what was held until now to the integral. */
    private void holdLocked(int tokens) {
        long now = ticker.read();
        heldNanos += inUse * Math.max(0, now - heldSince);
        heldSince = now;
        inUse = tokens;
    }

    @Override
    public Reading read() {
        lock.lock();
        try {
            long now = ticker.read();
            return new Reading(heldNanos + inUse * Math.max(0, now - heldSince), now, capacity);
        } finally {
            lock.unlock();
        }
    }

    /** Tokens in all. */
    int capacity() {
        return capacity;
    }

    /** Tokens held by running calls now. */
    int inUse() {
        return inUseNow.get();
    }

    /** Calls waiting for tokens now. */
    int waiting() {
        return waiting.get();
    }

    /** How long calls have waited for tokens in all, on the runtime's ticker. */
    long waitedNanos() {
        return waitedNanos.get();
    }

    @Override
    public String toString() {
        return "ExecutionBudget[" + inUse() + " of " + capacity + " CPUs in use, " + waiting() + " waiting]";
    }

    private static final class Waiter {
        final long key;
        final long arrival;
        final int tokens;
        final int burst;
        final Condition ready;
        /** Guarded by the budget's lock: the tokens it was let through with, 0 while it waits. */
        int held;

        Waiter(long key, long arrival, int tokens, int burst, Condition ready) {
            this.key = key;
            this.arrival = arrival;
            this.tokens = tokens;
            this.burst = burst;
            this.ready = ready;
        }
    }

    /** Tokens held by one call; released once, whoever releases first (the call's thread, or an abandoner). */
    private final class Grant implements ExecutionGate.Permit {
        private final int tokens;
        private final long waited;
        private final AtomicBoolean released = new AtomicBoolean();

        Grant(int tokens, long waited) {
            this.tokens = tokens;
            this.waited = waited;
        }

        @Override
        public long waitedNanos() {
            return waited;
        }

        @Override
        public void release() {
            if (released.compareAndSet(false, true)) {
                ExecutionBudget.this.release(tokens);
            }
        }

        @Override
        public int cpus() {
            return tokens;
        }
    }
}
