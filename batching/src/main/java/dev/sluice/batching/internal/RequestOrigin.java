package dev.sluice.batching.internal;

import java.util.function.Supplier;

/**
 * The age of the work a request belongs to, handed from a caller to the batcher it submits to without a
 * parameter on {@code submit}: a pipeline sets it around the deployment calls of its steps, and the batcher
 * reads it when it admits the request. The request's origin is then its admission time minus that age, on
 * the batcher's own ticker (the caller's clock may be another), and the oldest origin of a batch orders it
 * in the {@link ExecutionGate}: a pipeline's later step of an old request goes before a new request's first.
 * Without it a request's origin is its admission time.
 *
 * <p>It also says whether the caller already admitted the work ({@link #submitAdmitted}: a pipeline, whose own
 * admission took the request in): the batcher then never refuses it for its expected queue delay, since refusing
 * a step of a request admitted upstream would waste the work already done for it (its queue capacity still
 * applies).
 *
 * <p>A thread-local, so it costs a plain read per submission; only a thread that set an age keeps a two-element
 * array between calls. Not API; see
 * {@link dev.sluice.batching.internal}.
 */
public final class RequestOrigin {
    /**
     * Set only on threads that called {@link #submitAged} or {@link #submitAdmitted}: a plain submitter's read
     * finds nothing and allocates nothing. {@code [0]}: the age; {@code [1]}: 1 while the work was admitted upstream.
     */
    private static final ThreadLocal<long[]> AGE = new ThreadLocal<>();

    private RequestOrigin() {}

    /**
     * Runs {@code submit} with requests admitted on this thread meanwhile taken as {@code ageNanos} old, and
     * returns its result. Nests: the previous age is restored afterwards.
     *
     * @param ageNanos how long ago the work began (negative counts as 0)
     */
    public static <T> T submitAged(long ageNanos, Supplier<T> submit) {
        long[] age = state();
        long before = age[0];
        age[0] = Math.max(0, ageNanos);
        try {
            return submit.get();
        } finally {
            age[0] = before;
        }
    }

    /**
     * As {@link #submitAged}, for work its caller has already admitted (a pipeline's step): requests admitted on
     * this thread meanwhile are never refused for their expected queue delay
     * ({@link dev.sluice.batching.OverloadedException.Limit#QUEUE_DELAY}). Nests: both the previous age and
     * the previous mark are restored afterwards.
     *
     * @param ageNanos how long ago the work began (negative counts as 0)
     */
    public static <T> T submitAdmitted(long ageNanos, Supplier<T> submit) {
        long[] age = state();
        long before = age[1];
        age[1] = 1;
        try {
            return submitAged(ageNanos, submit);
        } finally {
            age[1] = before;
        }
    }

    /** Whether requests submitted on this thread now belong to work admitted upstream ({@link #submitAdmitted}). */
    public static boolean admittedUpstream() {
        long[] age = AGE.get();
        return age != null && age[1] != 0;
    }

    private static long[] state() {
        long[] age = AGE.get();
        if (age == null) {
            age = new long[2];
            AGE.set(age);
        }
        return age;
    }

    /** The age set on this thread by {@link #submitAged}, or 0. */
    public static long age() {
        long[] age = AGE.get();
        return age == null ? 0 : age[0];
    }

    /**
     * The origin of a request admitted at {@code admittedAt} with the age set on this thread: its admission
     * time when none is set, and never below {@link Long#MIN_VALUE}.
     */
    public static long originAt(long admittedAt) {
        long age = age();
        long origin = admittedAt - age;
        return origin > admittedAt ? Long.MIN_VALUE : origin;
    }
}
