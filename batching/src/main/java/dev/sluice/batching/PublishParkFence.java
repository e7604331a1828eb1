package dev.sluice.batching;

import java.lang.invoke.VarHandle;

/**
 * The fence between producers and the batch former that keeps the former from sleeping through an arrival.
 *
 * <p>Before it parks, the former {@linkplain #announce announces} what it waits for and then looks at the
 * ring one last time; a producer publishes its request and then {@linkplain #stateAfterPublish reads} what
 * the former announced, and unparks it if its arrival matters. Claim: for every publish, the former's last
 * look sees the request, or the producer sees the announcement (or both). So no request is left waiting
 * for a former that parked as it landed.
 *
 * <p>This needs a full fence on each side. The ring publishes with a release store and the former polls
 * with acquire loads; that alone lets a producer's read of the state overtake its own publish (a
 * store-load reordering), so each side could miss the other. The fence costs producers one
 * {@link VarHandle#fullFence()} and no atomic read-modify-write.
 *
 * <p>The former thread, and only it, writes the announcement; any thread reads it.
 */
final class PublishParkFence {
    /** Forming batches (not parked): no producer needs to wake it. */
    static final int RUNNING = 0;
    /** Parked with nothing to do, or with a free worker the policy wants to wait for company: any arrival counts. */
    static final int AWAIT_ARRIVAL = 1;
    /** Parked waiting for a full batch (a fixed wait): only the arrival that completes a batch counts. */
    static final int AWAIT_FULL_BATCH = 2;
    /** Parked with every worker busy: arrivals do not count, only a freed worker (or an earlier deadline). */
    static final int AWAIT_WORKER = 3;

    private volatile int state = RUNNING;
    /** Ticker time at which the parked former wakes by itself. */
    private volatile long wakeAt = Long.MAX_VALUE;

    /** Former: announces what it is about to park for; its look at the ring must come after this returns. */
    void announce(int awaiting, long wakeAtTicks) {
        wakeAt = wakeAtTicks;
        state = awaiting;
        VarHandle.fullFence();
    }

    /** Former: awake again. */
    void running() {
        state = RUNNING;
    }

    /** Producer: what the former announced, read after (and ordered after) the producer's publish. */
    int stateAfterPublish() {
        VarHandle.fullFence();
        return state;
    }

    /** Whether the former has announced a park (no fence: for wake-ups that another handshake orders). */
    boolean parked() {
        return state != RUNNING;
    }

    /** Ticker time at which the parked former wakes by itself; {@link Long#MAX_VALUE} for never. */
    long wakeAt() {
        return wakeAt;
    }
}
