package dev.sluice.batching.internal;

/**
 * What a worker's batch waits for before it runs: in the Sluice runtime, tokens of the execution budget
 * that all deployments share, so that no more model calls run at once than the machine has room for. The
 * batcher acquires a permit after it claimed a batch and before it checks the batch's deadlines and times
 * the call (the cost of a batch never includes the wait, and a request whose deadline passes while its
 * batch waits never reaches the function), and releases it once the batch's last model call returned: before
 * the callers' futures complete, or, when failure isolation splits the batch, after its last retry. A worker
 * abandoned while it holds a permit has it released at once.
 *
 * <p>Not API: public only so that the runtime (another module) can give its replicas' workers one; see
 * {@link dev.sluice.batching.internal}.
 */
@FunctionalInterface
public interface ExecutionGate {

    /**
     * Blocks until the batch may run. Waiting batches are let through in the order of their keys, smallest
     * first, so an implementation shared by several batchers needs their keys on one clock.
     *
     * @param priorityKey the origin of the batch's oldest request (ticker time at which the work it belongs
     *     to began: its submission, or for a pipeline step its pipeline request's); older work goes first
     * @return the permit to release when the batch is over
     * @throws InterruptedException if the waiting thread is interrupted (a forced close); nothing is held then
     */
    Permit acquire(long priorityKey) throws InterruptedException;

    /**
     * {@link #acquire} that gives up at {@code deadline}: a batch stops waiting when the earliest deadline of its
     * requests passes, so those fail on time rather than when the budget lets the batch through. The default
     * waits without a limit (a gate that never waits long needs no more).
     *
     * @param deadline on the clock of the keys (the runtime's ticker); {@link Long#MAX_VALUE} for none
     * @return the permit, or null when the deadline passed first (then nothing is held)
     * @throws InterruptedException as {@link #acquire}
     */
    default Permit acquire(long priorityKey, long deadline) throws InterruptedException {
        return acquire(priorityKey);
    }

    /** A gate that never waits: the batcher's own workers, and models that need no share of the machine. */
    static ExecutionGate open() {
        return OpenGate.OPEN;
    }

    /** What a batch holds while it runs. */
    @FunctionalInterface
    interface Permit {
        /** Gives back what the permit holds. Idempotent; any thread. */
        void release();

        /**
         * The CPUs the batch's model calls may use while it holds this permit: what its deployment asks for,
         * or more when the gate lent it idle ones (see {@link dev.sluice.batching.BatchCall#cpus()}). At least 1.
         */
        default int cpus() {
            return 1;
        }

        /** How long the batch waited for this permit, on the gate's ticker; 0 when it was let through at once. */
        default long waitedNanos() {
            return 0;
        }
    }

    /** The one gate that never waits: the batcher runs a batch behind it without asking (no key, no permit). */
    enum OpenGate implements ExecutionGate {
        OPEN;

        private static final Permit NOTHING = () -> { };

        @Override
        public Permit acquire(long priorityKey) {
            return NOTHING;
        }
    }
}
