package dev.sluice.batching;

import java.util.Set;

/**
 * The handshake between the thread that gives a worker a batch and a thread that abandons that worker at
 * the same moment (a runtime giving up on a hung replica).
 *
 * <p>The assigner writes the batch into the worker's {@code current} and then reads the worker's state; the
 * abandoner moves the state to RETIRED and then reads {@code current}. Both are volatile, so (sequential
 * consistency of volatile accesses) the claim is: at least one of them sees the other. The assigner sees
 * RETIRED and abandons the batch itself instead of running it, or the abandoner sees the batch and
 * abandons it, or both, which is why abandoning a batch is idempotent ({@link Batch#markAbandoned}). No
 * batch runs unnoticed on an abandoned worker, and no abandoned worker's batch is left unabandoned.
 */
final class AssignAbandonHandshake {
    private AssignAbandonHandshake() {}

    /**
     * Assigner: makes {@code work} the worker's running batch (and one of {@code running}), then looks at
     * the worker's state.
     *
     * @return false if the worker was abandoned meanwhile: the caller must abandon {@code work} and not run it
     */
    static <I, O> boolean assign(Lane<I, O> worker, Batch<I, O> work, Set<Batch<I, O>> running) {
        worker.current = work;
        running.add(work);
        return worker.state.get() != Lane.RETIRED;
    }

    /**
     * Abandoner, after it moved the worker from BUSY or RETIRING to RETIRED: the batch to abandon (possibly
     * one the worker has finished, whose settled requests abandoning leaves alone), or null.
     */
    static <I, O> Batch<I, O> batchOfAbandoned(Lane<I, O> worker) {
        return worker.current;
    }
}
