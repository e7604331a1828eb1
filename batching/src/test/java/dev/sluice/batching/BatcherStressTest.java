package dev.sluice.batching;

import static dev.sluice.batching.TestFutures.failureOf;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * 8 producers x 200,000 requests (1.6M in all) against one batcher with the default policy (adaptive: batch
 * sizes from its measured cost curve), with a random mix of short deadlines
 * (~10%), cancellations (~5%, by the producer a few submissions later or by another thread) and inputs the
 * function fails on (~2%), followed by exact bookkeeping of every request.
 *
 * <p>Each request's input is its integer id. The function records, per id, whether it saw it in a batch
 * that succeeded or in one that failed (one holding a poison input). Each future's outcome is recorded once
 * through a completion callback ({@code handle}). Nothing is asserted about time: every check is about what
 * happened.
 *
 * <p>Which request an {@code onCancelled} call is about: the observer gets no identity, so the test relies
 * on where the batcher reports a cancel that wins a request before dispatch, inside {@code cancel()} on the
 * cancelling thread, where a thread-local names the id being cancelled (calls made elsewhere are only
 * counted). A request expired before dispatch is identified by its {@link DeadlineExceededException},
 * except in the narrow race where its caller's {@code cancel()} completes the future after the batcher has
 * marked it expired but before it fails the future: then it ends cancelled and only the count checks
 * cover it.
 *
 * <p>Producers behave like polite clients: each keeps at most {@link #WINDOW} requests outstanding and
 * pauses after an {@link OverloadedException}; the windows together exceed the queue capacity, so some
 * requests are refused as overloaded (a legal outcome, counted like the others): for a full queue, or, with a
 * short deadline, for the wait the queue ahead would have kept them (the default {@code maxQueueDelay}; the
 * observer's {@code QUEUE_DELAY} counts with its {@code OVERLOADED}).
 *
 * <p>The test keeps no reference to a future once it has seen it done: retaining all 1.6M futures (with
 * their results and exceptions) made young collections copy hundreds of MB and cost seconds of pauses.
 *
 * <p>{@code -Dsluice.stress.seed=N} replays a plan (which requests get a deadline, a cancel, a poison
 * input); the timing differs from run to run anyway.
 *
 * <p>The second test pins down, with a manual ticker, the one violation this stress test once found by
 * chance: a request that the function had already seen, in a batch that failed, was failed with
 * {@link DeadlineExceededException} when failure isolation retried the batch's halves.
 */
class BatcherStressTest {

    private static final int PRODUCERS = 8;
    private static final int PER_PRODUCER = 200_000;
    private static final int TOTAL = PRODUCERS * PER_PRODUCER;
    private static final int MAX_BATCH = 32;
    private static final int MAX_CONCURRENT = 2;
    /**
     * Small enough that a queued request waits about as long as the short deadlines (so some expire in the
     * queue and some are dispatched close to their deadline), large enough that most requests are admitted.
     */
    private static final int QUEUE_CAPACITY = 512;
    /** Most requests a producer has outstanding; the 8 windows (768) exceed the capacity, so some are refused. */
    private static final int WINDOW = 96;
    /** How long a producer pauses when its window is full or it was refused as overloaded. */
    private static final long BACKOFF_NANOS = TimeUnit.MICROSECONDS.toNanos(100);
    /** With isolation an input is seen at most once per level of halving: 1 + log2(32) = 6. */
    private static final int MAX_SIGHTINGS = 1 + (32 - Integer.numberOfLeadingZeros(MAX_BATCH - 1));

    // Plan flags per request.
    private static final byte DEADLINE = 1;
    private static final byte CANCEL = 2;
    private static final byte POISON = 4;

    // Outcomes per request (0: not completed yet).
    private static final int VALUE = 1;
    private static final int OVERLOADED = 2;
    private static final int EXPIRED = 3;
    private static final int MODEL_FAILURE = 4;
    private static final int CANCELLED = 5;
    private static final int UNEXPECTED = 6;
    private static final String[] OUTCOMES = {"none", "value", "overloaded", "deadline", "model failure", "cancelled", "unexpected"};

    // Where a DeadlineExceededException says the request expired.
    private static final byte IN_QUEUE = 1;
    private static final byte AFTER_DISPATCH = 2;
    private static final byte DURING_RETRY = 3;
    private static final byte ELSEWHERE = 4;

    /** The id this thread is cancelling right now (-1: none), to attribute onCancelled calls. */
    private static final ThreadLocal<int[]> CANCELLING = ThreadLocal.withInitial(() -> new int[] {-1});

    /** What the function throws for a batch holding a poison input; names the first poison id. */
    static final class PoisonException extends RuntimeException {
        private static final long serialVersionUID = 1L;
        final int id;

        PoisonException(int id) {
            super("poison input " + id, null, false, false);
            this.id = id;
        }
    }

    private record Submission(int id, CompletableFuture<Long> future) {}

    private final byte[] plan = new byte[TOTAL];
    private final long[] timeoutNanos = new long[TOTAL];

    // What the function saw.
    private final AtomicIntegerArray seenInCleanBatch = new AtomicIntegerArray(TOTAL);
    private final AtomicIntegerArray seenInPoisonedBatch = new AtomicIntegerArray(TOTAL);
    private final AtomicInteger functionCalls = new AtomicInteger();
    /** Calls that returned outputs: the calls the batcher's cost curve must have recorded. */
    private final AtomicInteger returnedCalls = new AtomicInteger();
    private volatile CostCurve curveAfter;
    private final AtomicInteger largestBatch = new AtomicInteger();
    private final LongAdder inputsSeen = new LongAdder();

    // How each future completed.
    private final AtomicIntegerArray completions = new AtomicIntegerArray(TOTAL);
    private final AtomicIntegerArray outcome = new AtomicIntegerArray(TOTAL);
    private final byte[] expiredWhere = new byte[TOTAL]; // written before outcome is set
    private final AtomicInteger completed = new AtomicInteger();
    /** Completions per producer, a cache line apart (stride 16 longs). */
    private final AtomicLongArray completedByProducer = new AtomicLongArray(PRODUCERS * 16);
    private final ConcurrentLinkedQueue<String> oddities = new ConcurrentLinkedQueue<>();

    // Futures a producer has not yet seen done (read by the test thread after the producers ended).
    @SuppressWarnings("unchecked")
    private final ArrayDeque<Submission>[] undone = new ArrayDeque[PRODUCERS];
    private final AtomicInteger seenDone = new AtomicInteger();

    // Cancellation.
    private final LongAdder cancelCalls = new LongAdder();
    private final LongAdder cancelReturnedTrue = new LongAdder();
    private final AtomicIntegerArray cancelledBeforeDispatch = new AtomicIntegerArray(TOTAL);

    // What the observer heard.
    private final LongAdder observedBatches = new LongAdder();
    private final AtomicInteger largestObservedBatch = new AtomicInteger();
    private final LongAdder observedCancelled = new LongAdder();
    private final LongAdder observedCancelledAttributed = new LongAdder();
    private final LongAdder observedExpired = new LongAdder();
    private final LongAdder observedOverloaded = new LongAdder();
    private final LongAdder observedOtherRejections = new LongAdder();

    private final LongAdder windowPauses = new LongAdder();

    @Test
    @Timeout(value = 3, unit = TimeUnit.MINUTES) // the test bounds its own waits and reports a hang itself
    void everyRequestCompletesOnceAndNothingCancelledOrExpiredBeforeDispatchReachesTheFunction() throws Exception {
        long seed = Long.getLong("sluice.stress.seed", System.nanoTime());
        makePlan(seed);
        Set<Thread> threadsBefore = sluiceThreads();

        DynamicBatcher<Integer, Long> batcher = DynamicBatcher.builder(this::function)
                .name("stress")
                .maxBatchSize(MAX_BATCH)
                .maxConcurrentBatches(MAX_CONCURRENT)
                .queueCapacity(QUEUE_CAPACITY)
                .observer(new CountingObserver())
                .closeGracePeriod(Duration.ofSeconds(20))
                .build();
        boolean closed = false;
        try {
            long t0 = System.nanoTime();
            LinkedBlockingQueue<Submission> toCancel = new LinkedBlockingQueue<>();
            Submission end = new Submission(-1, null);
            Thread canceller = new Thread(() -> cancelLoop(toCancel, end), "stress-canceller");
            canceller.setDaemon(true); // so that a hang reported below does not also keep the JVM alive
            canceller.start();
            AtomicReference<Throwable> producerFailure = new AtomicReference<>();
            List<Thread> producers = new ArrayList<>();
            for (int p = 0; p < PRODUCERS; p++) {
                int producer = p;
                SplittableRandom rng = new SplittableRandom(seed + 31L * (p + 1));
                undone[p] = new ArrayDeque<>();
                Thread t = new Thread(() -> {
                    try {
                        produce(batcher, producer, rng, toCancel);
                    } catch (Throwable e) {
                        producerFailure.compareAndSet(null, e);
                    }
                }, "stress-producer-" + p);
                t.setDaemon(true);
                producers.add(t);
                t.start();
            }
            long producersBy = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            for (Thread t : producers) {
                t.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(producersBy - System.nanoTime())));
            }
            toCancel.add(end);
            canceller.join(TimeUnit.SECONDS.toMillis(10));
            for (Thread t : producers) {
                if (t.isAlive()) {
                    fail("producer " + t.getName() + " still running after 60 s (submit() blocked, or nothing"
                            + " completes so its window never frees)\n" + stuckReport(batcher));
                }
            }
            assertTrue(!canceller.isAlive(), () -> "canceller still running\n" + threadDump());
            if (producerFailure.get() != null) {
                throw new AssertionError("a producer failed", producerFailure.get());
            }
            long submitted = System.nanoTime();

            // (a) Every future completes. A hang is reported with what is stuck, not left to the timeout.
            long completionBy = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (completed.get() < TOTAL && System.nanoTime() < completionBy) {
                Thread.sleep(1);
            }
            if (completed.get() < TOTAL) {
                fail(stuckReport(batcher));
            }
            long drained = System.nanoTime();
            List<Integer> notDone = new ArrayList<>();
            for (ArrayDeque<Submission> q : undone) {
                for (Submission s : q) {
                    if (s.future().isDone()) {
                        seenDone.incrementAndGet();
                    } else if (notDone.size() < 10) {
                        notDone.add(s.id());
                    }
                }
            }
            assertTrue(notDone.isEmpty(), () -> "completion callback ran but the future is not done: ids " + notDone);
            assertEquals(TOTAL, seenDone.get(), "futures seen done");

            // The last worker returns its permit just after completing its futures: allow it a moment.
            long quietBy = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            while ((batcher.queueDepth() != 0 || batcher.runningBatches() != 0) && System.nanoTime() < quietBy) {
                Thread.sleep(1);
            }
            assertEquals(0, batcher.queueDepth(), "queueDepth() once every future completed");
            assertEquals(0, batcher.runningBatches(), "runningBatches() once every future completed");
            curveAfter = batcher.costCurve();

            long closeStart = System.nanoTime();
            batcher.close();
            closed = true;
            long closeEnd = System.nanoTime();
            List<String> alive = new ArrayList<>();
            for (Thread t : sluiceThreads()) {
                if (!threadsBefore.contains(t)) {
                    t.join(2_000);
                    if (t.isAlive()) {
                        alive.add(t.getName());
                    }
                }
            }
            assertTrue(alive.isEmpty(), () -> "batcher threads alive after close(): " + alive + "\n" + threadDump());

            String summary = verify();
            System.out.printf("BatcherStressTest: seed=%d; submitting %d ms, then draining %d ms, close %d ms%n%s%n",
                    seed, ms(submitted - t0), ms(drained - submitted), ms(closeEnd - closeStart), summary);
        } finally {
            if (!closed) {
                batcher.close(Duration.ofSeconds(2));
            }
        }
    }

    /**
     * Failure isolation must not turn a seen request into an expired one. The deadline bounds the wait for
     * dispatch, and a request failed with {@link DeadlineExceededException} must never have been seen by the
     * function; and with isolation only the inputs that fail alone may fail.
     */
    @Test
    void aRequestTheFunctionHasSeenIsNotFailedWithDeadlineExceededWhenItsBatchIsRetried() throws Exception {
        AtomicLong ticker = new AtomicLong(TimeUnit.SECONDS.toNanos(1_000));
        CountDownLatch gateRunning = new CountDownLatch(1);
        CountDownLatch releaseGate = new CountDownLatch(1);
        List<List<String>> calls = new java.util.concurrent.CopyOnWriteArrayList<>();
        BatchFunction<String, String> function = batch -> {
            calls.add(List.copyOf(batch));
            if (batch.contains("gate")) {
                gateRunning.countDown();
                releaseGate.await();
            } else if (batch.contains("poison")) {
                ticker.addAndGet(TimeUnit.SECONDS.toNanos(2)); // the failing call takes 2 s of ticker time
                throw new IllegalStateException("poison");
            }
            return batch;
        };
        try (DynamicBatcher<String, String> batcher = DynamicBatcher.builder(function)
                .name("retry-deadline")
                .maxBatchSize(8)
                .maxConcurrentBatches(1)
                .policy(BatchPolicy.eager()) // fills batches: the victim must share the poisoned input's batch
                .ticker(ticker::get)
                .closeGracePeriod(Duration.ofSeconds(5))
                .build()) {
            CompletableFuture<String> gate = batcher.submit("gate");
            assertTrue(gateRunning.await(10, TimeUnit.SECONDS), "the gate batch never ran");
            // Both wait while the only worker is busy, so they form the next batch together.
            CompletableFuture<String> victim = batcher.submit("victim", Duration.ofSeconds(1));
            CompletableFuture<String> poison = batcher.submit("poison");
            releaseGate.countDown();
            assertEquals("gate", gate.get(10, TimeUnit.SECONDS));
            Throwable poisonFailure = failureOf(poison);
            assertTrue(poisonFailure instanceof ModelException, () -> "poison: " + poisonFailure);
            assertTrue(calls.contains(List.of("victim", "poison")), () -> "calls: " + calls);

            // The function saw "victim" before its deadline; only "poison" fails alone.
            Throwable victimFailure = victim.handle((v, t) -> t).get(10, TimeUnit.SECONDS);
            assertTrue(victimFailure == null, () -> "the function saw 'victim' (calls " + calls
                    + ") and it does not fail alone, yet its future failed with " + victimFailure);
            assertEquals("victim", victim.get());
        }
    }

    // ------------------------------------------------------------------ the workload

    private void makePlan(long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        for (int id = 0; id < TOTAL; id++) {
            byte flags = 0;
            if (rng.nextInt(100) < 10) {
                flags |= DEADLINE;
                timeoutNanos[id] = rng.nextLong(50_000, 500_001); // 50..500 us
            }
            if (rng.nextInt(100) < 5) {
                flags |= CANCEL;
            }
            if (rng.nextInt(100) < 2) {
                flags |= POISON;
            }
            plan[id] = flags;
        }
    }

    private static long expected(int id) {
        return id * 3L + 1;
    }

    private List<Long> function(List<Integer> batch) {
        functionCalls.incrementAndGet();
        int n = batch.size();
        inputsSeen.add(n);
        largestBatch.accumulateAndGet(n, Math::max);
        if (n == 0 || n > MAX_BATCH) {
            oddities.add("batch of " + n);
        }
        int poison = -1;
        for (int i = 0; i < n; i++) {
            int id = batch.get(i);
            for (int j = i + 1; j < n; j++) {
                if (batch.get(j) == id) {
                    oddities.add("id " + id + " twice in one batch");
                }
            }
            if (poison < 0 && (plan[id] & POISON) != 0) {
                poison = id;
            }
        }
        if (poison >= 0) {
            for (Integer id : batch) {
                seenInPoisonedBatch.incrementAndGet(id);
            }
            throw new PoisonException(poison);
        }
        List<Long> out = new ArrayList<>(n);
        for (Integer id : batch) {
            seenInCleanBatch.incrementAndGet(id);
            out.add(expected(id));
        }
        returnedCalls.incrementAndGet();
        return out;
    }

    private void produce(DynamicBatcher<Integer, Long> batcher, int producer, SplittableRandom rng,
            LinkedBlockingQueue<Submission> toCancel) {
        ArrayDeque<Submission> mine = undone[producer];
        ArrayDeque<Submission> cancelLater = new ArrayDeque<>();
        ArrayDeque<Integer> cancelAt = new ArrayDeque<>();
        int first = producer * PER_PRODUCER;
        for (int i = 0; i < PER_PRODUCER; i++) {
            while (i - completedByProducer.get(producer * 16) >= WINDOW) {
                windowPauses.increment();
                LockSupport.parkNanos(BACKOFF_NANOS);
            }
            int id = first + i;
            byte flags = plan[id];
            CompletableFuture<Long> f = (flags & DEADLINE) != 0
                    ? batcher.submit(id, Duration.ofNanos(timeoutNanos[id]))
                    : batcher.submit(id);
            // handle() rather than whenComplete(): the same callback, exactly once on completion, but its own
            // stage completes normally, so an exceptional outcome costs no CompletionException (and stack trace).
            f.handle((v, t) -> record(id, v, t));
            Submission s = new Submission(id, f);
            mine.addLast(s);
            if (outcome.get(id) == OVERLOADED) {
                // Refused (record ran at once, on this thread): back off like a client told to retry later.
                LockSupport.parkNanos(BACKOFF_NANOS);
            }
            if ((flags & CANCEL) != 0) {
                if (rng.nextBoolean()) {
                    cancelLater.addLast(s);
                    cancelAt.addLast(i + rng.nextInt(9)); // after 0..8 more submissions
                } else {
                    toCancel.add(s);
                }
            }
            while (!cancelAt.isEmpty() && cancelAt.peekFirst() <= i) {
                cancelAt.pollFirst();
                Submission c = cancelLater.pollFirst();
                cancel(c.id(), c.future());
            }
            while (!mine.isEmpty() && mine.peekFirst().future().isDone()) {
                mine.pollFirst();
                seenDone.incrementAndGet();
            }
        }
        while (!cancelLater.isEmpty()) {
            Submission c = cancelLater.pollFirst();
            cancel(c.id(), c.future());
        }
    }

    private void cancelLoop(LinkedBlockingQueue<Submission> toCancel, Submission end) {
        try {
            while (true) {
                Submission s = toCancel.take();
                if (s == end) {
                    return;
                }
                cancel(s.id(), s.future());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void cancel(int id, CompletableFuture<?> f) {
        int[] slot = CANCELLING.get();
        slot[0] = id;
        try {
            cancelCalls.increment();
            if (f.cancel(false)) {
                cancelReturnedTrue.increment();
            }
        } finally {
            slot[0] = -1;
        }
    }

    private Void record(int id, Long value, Throwable t) {
        if (completions.incrementAndGet(id) != 1) {
            oddities.add("completion callback ran twice for id " + id);
            return null;
        }
        int kind;
        if (t == null) {
            kind = VALUE;
            if (value == null || value != expected(id)) {
                oddities.add("id " + id + " got " + value + ", expected " + expected(id));
            }
        } else if (t instanceof CancellationException) {
            kind = CANCELLED;
        } else if (t instanceof OverloadedException) {
            kind = OVERLOADED;
        } else if (t instanceof DeadlineExceededException) {
            kind = EXPIRED;
            String m = String.valueOf(t.getMessage());
            expiredWhere[id] = m.contains("in the queue") ? IN_QUEUE
                    : m.contains("taken from the queue") ? AFTER_DISPATCH
                    : m.contains("retried") ? DURING_RETRY
                    : ELSEWHERE;
        } else if (t instanceof ModelException) {
            kind = MODEL_FAILURE;
            if (!(t.getCause() instanceof PoisonException p) || p.id != id) {
                oddities.add("id " + id + " (" + describePlan(id) + ") failed with " + t + ", cause " + t.getCause());
            }
        } else {
            kind = UNEXPECTED;
            oddities.add("id " + id + " (" + describePlan(id) + ") failed with unexpected " + t);
        }
        outcome.set(id, kind);
        completedByProducer.incrementAndGet(id / PER_PRODUCER * 16);
        completed.incrementAndGet();
        return null;
    }

    // ------------------------------------------------------------------ verification

    /** Checks every request and the observer's counts; returns a summary, or fails listing every violation. */
    private String verify() {
        int[] counts = new int[OUTCOMES.length];
        int[] expiredBy = new int[5];
        Violations v = new Violations();
        for (int id = 0; id < TOTAL; id++) {
            int o = outcome.get(id);
            counts[o]++;
            if (o == EXPIRED) {
                expiredBy[expiredWhere[id]]++;
            }
            byte flags = plan[id];
            boolean poison = (flags & POISON) != 0;
            int clean = seenInCleanBatch.get(id);
            int poisoned = seenInPoisonedBatch.get(id);
            int seen = clean + poisoned;
            boolean beforeDispatch = cancelledBeforeDispatch.get(id) != 0;

            // (a) exactly once
            v.check(completions.get(id) == 1, "completion callback did not run exactly once", id);
            v.check(o != 0 && o != UNEXPECTED, "no outcome, or an unexpected exception", id);
            // (c) what expired or was cancelled before dispatch never reached the function
            v.check(o != EXPIRED || seen == 0, "failed with DeadlineExceededException although the function saw it", id);
            v.check(!beforeDispatch || seen == 0, "reported to onCancelled (cancelled before dispatch) but the function saw it", id);
            v.check(!beforeDispatch || o == CANCELLED, "reported to onCancelled but its future is not cancelled", id);
            v.check(o != OVERLOADED || seen == 0, "refused as overloaded but the function saw it", id);
            // sightings
            v.check(clean <= 1, "in more than one successful call", id);
            v.check(seen <= MAX_SIGHTINGS, "seen more often than halving can explain", id);
            v.check(poisoned > 0 || seen <= 1, "seen twice though never in a failing batch", id);
            // values and isolation
            v.check(o != VALUE || clean == 1, "has a value but was not in exactly one successful call", id);
            v.check(!poison || o != VALUE, "poison input got a value", id);
            v.check(poison || o != MODEL_FAILURE, "non-poison input failed with ModelException (isolation broken)", id);
            v.check(o != MODEL_FAILURE || poisoned > 0, "ModelException but the function never saw it", id);
            v.check(poison || poisoned == 0 || o == VALUE || o == CANCELLED,
                    "non-poison neighbour of a poison input did not succeed", id);
            v.check((flags & CANCEL) != 0 || o != CANCELLED, "cancelled but nobody cancelled it", id);
            v.check((flags & DEADLINE) != 0 || o != EXPIRED, "expired without a deadline", id);
        }
        v.check(oddities.isEmpty(), "oddities (wrong values, wrong causes, bad batches): " + first(oddities, 10), -1);
        // (b) batch sizes, as the function and the observer saw them
        v.check(largestBatch.get() <= MAX_BATCH, "the function got a batch of " + largestBatch.get(), -1);
        v.check(largestObservedBatch.get() <= MAX_BATCH, "onBatch reported a batch of " + largestObservedBatch.get(), -1);
        v.check(observedBatches.sum() == functionCalls.get(),
                "onBatch calls " + observedBatches.sum() + " != function calls " + functionCalls.get(), -1);
        long recorded = curveAfter.points().stream().mapToLong(CostCurve.Point::samples).sum();
        v.check(recorded == returnedCalls.get(),
                "the cost curve recorded " + recorded + " calls, the function returned " + returnedCalls.get(), -1);
        // outcomes add up; the observer's counts agree with them
        int total = 0;
        for (int c : counts) {
            total += c;
        }
        v.check(total == TOTAL && counts[0] == 0, "outcomes add up to " + total + ", " + counts[0] + " missing", -1);
        v.check(observedCancelled.sum() <= cancelCalls.sum(),
                "onCancelled " + observedCancelled.sum() + " > cancel() calls " + cancelCalls.sum(), -1);
        v.check(observedCancelled.sum() <= counts[CANCELLED],
                "onCancelled " + observedCancelled.sum() + " > cancelled futures " + counts[CANCELLED], -1);
        v.check(counts[EXPIRED] <= observedExpired.sum(),
                "DeadlineExceeded futures " + counts[EXPIRED] + " > onExpired " + observedExpired.sum(), -1);
        v.check(observedExpired.sum() <= counts[EXPIRED] + counts[CANCELLED],
                "onExpired " + observedExpired.sum() + " > deadline + cancelled futures", -1);
        v.check(observedOverloaded.sum() == counts[OVERLOADED],
                "onRejected(OVERLOADED or QUEUE_DELAY) " + observedOverloaded.sum() + " != overloaded futures " + counts[OVERLOADED], -1);
        v.check(observedOtherRejections.sum() == 0, "other rejections: " + observedOtherRejections.sum(), -1);

        StringBuilder s = new StringBuilder("outcomes:");
        for (int k = 1; k < OUTCOMES.length; k++) {
            s.append(' ').append(OUTCOMES[k]).append('=').append(counts[k]);
        }
        s.append(String.format(" (deadline: in queue %d, after dispatch %d, during a retry %d, other %d)",
                expiredBy[IN_QUEUE], expiredBy[AFTER_DISPATCH], expiredBy[DURING_RETRY], expiredBy[ELSEWHERE]));
        s.append(String.format("%nfunction calls=%d (largest %d, mean %.1f inputs); cancel() calls=%d (true %d);"
                        + " onCancelled=%d (attributed %d); onExpired=%d; producer window pauses=%d",
                functionCalls.get(), largestBatch.get(), inputsSeen.sum() / (double) Math.max(1, functionCalls.get()),
                cancelCalls.sum(), cancelReturnedTrue.sum(), observedCancelled.sum(),
                observedCancelledAttributed.sum(), observedExpired.sum(), windowPauses.sum()));
        s.append("\ncost curve: ").append(curveAfter);
        if (!v.isEmpty()) {
            fail("violations:\n" + v + s);
        }
        return s.toString();
    }

    /** Violations by kind, with a count and a few example ids each. */
    private final class Violations {
        private final Map<String, int[]> counts = new LinkedHashMap<>();
        private final Map<String, List<Integer>> examples = new LinkedHashMap<>();

        void check(boolean ok, String what, int id) {
            if (ok) {
                return;
            }
            counts.computeIfAbsent(what, k -> new int[1])[0]++;
            List<Integer> ex = examples.computeIfAbsent(what, k -> new ArrayList<>());
            if (id >= 0 && ex.size() < 5) {
                ex.add(id);
            }
        }

        boolean isEmpty() {
            return counts.isEmpty();
        }

        @Override
        public String toString() {
            StringBuilder s = new StringBuilder();
            for (Map.Entry<String, int[]> e : counts.entrySet()) {
                s.append("  ").append(e.getKey()).append(": ").append(e.getValue()[0]).append('\n');
                for (int id : examples.get(e.getKey())) {
                    s.append("    ").append(describe(id)).append('\n');
                }
            }
            return s.toString();
        }
    }

    private String describe(int id) {
        int o = outcome.get(id);
        String where = o != EXPIRED ? ""
                : new String[] {"", " in the queue", " after dispatch", " during a retry", " elsewhere"}[expiredWhere[id]];
        return "id " + id + " [" + describePlan(id) + "] outcome=" + OUTCOMES[o] + where
                + ", seen in successful/failing calls " + seenInCleanBatch.get(id) + "/" + seenInPoisonedBatch.get(id)
                + (cancelledBeforeDispatch.get(id) != 0 ? ", cancelled before dispatch" : "");
    }

    private String describePlan(int id) {
        byte f = plan[id];
        List<String> parts = new ArrayList<>();
        if ((f & DEADLINE) != 0) {
            parts.add("deadline " + timeoutNanos[id] / 1000 + " us");
        }
        if ((f & CANCEL) != 0) {
            parts.add("cancel");
        }
        if ((f & POISON) != 0) {
            parts.add("poison");
        }
        return parts.isEmpty() ? "plain" : String.join(", ", parts);
    }

    private String stuckReport(DynamicBatcher<Integer, Long> batcher) {
        StringBuilder s = new StringBuilder("HANG: " + completed.get() + " of " + TOTAL
                + " futures completed; queueDepth=" + batcher.queueDepth() + " runningBatches="
                + batcher.runningBatches() + "\nfirst incomplete:\n");
        int shown = 0;
        for (int id = 0; id < TOTAL && shown < 20; id++) {
            if (outcome.get(id) == 0) {
                shown++;
                s.append("  ").append(describe(id)).append('\n');
            }
        }
        return s.append(threadDump()).toString();
    }

    // ------------------------------------------------------------------ observer

    private final class CountingObserver implements BatchObserver {
        @Override
        public void onBatch(String batcher, int size, long[] queueWaitNanos, long executionNanos, Throwable failure) {
            observedBatches.increment();
            largestObservedBatch.accumulateAndGet(size, Math::max);
        }

        @Override
        public void onRejected(String batcher, Rejection reason) {
            if (reason == Rejection.OVERLOADED || reason == Rejection.QUEUE_DELAY) {
                observedOverloaded.increment();
            } else {
                observedOtherRejections.increment();
            }
        }

        @Override
        public void onExpired(String batcher, long queuedNanos) {
            observedExpired.increment();
        }

        @Override
        public void onCancelled(String batcher, long queuedNanos) {
            observedCancelled.increment();
            int id = CANCELLING.get()[0];
            if (id >= 0) {
                observedCancelledAttributed.increment();
                if (cancelledBeforeDispatch.incrementAndGet(id) != 1) {
                    oddities.add("onCancelled reported twice for id " + id);
                }
            }
        }
    }

    // ------------------------------------------------------------------ helpers

    private static Set<Thread> sluiceThreads() {
        Set<Thread> out = new HashSet<>();
        for (Thread t : Thread.getAllStackTraces().keySet()) {
            if (t.getName().startsWith("sluice-") && t.isAlive()) {
                out.add(t);
            }
        }
        return out;
    }

    private static String threadDump() {
        StringBuilder s = new StringBuilder("threads:\n");
        for (Map.Entry<Thread, StackTraceElement[]> e : Thread.getAllStackTraces().entrySet()) {
            Thread t = e.getKey();
            if (!t.getName().startsWith("sluice-") && !t.getName().startsWith("stress-")) {
                continue;
            }
            s.append('"').append(t.getName()).append("\" ").append(t.getState()).append('\n');
            for (StackTraceElement f : e.getValue()) {
                s.append("    at ").append(f).append('\n');
            }
        }
        return s.toString();
    }

    private static String first(Iterable<String> items, int n) {
        List<String> out = new ArrayList<>();
        for (String s : items) {
            if (out.size() == n) {
                out.add("...");
                break;
            }
            out.add(s);
        }
        return out.toString();
    }

    private static long ms(long nanos) {
        return TimeUnit.NANOSECONDS.toMillis(nanos);
    }
}
