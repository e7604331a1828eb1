package dev.sluice;

/**
 * What a deployment is doing, as {@link SluiceStatus.DeploymentStatus#state()} reports it; the status's
 * {@code stateDetail} says the same in words, with the numbers and reasons behind it.
 *
 * <p>Which states serve: {@link #SERVING}, {@link #UPDATING} and {@link #SCALED_TO_ZERO} answer requests
 * (the last after a replica started for them); {@link #STARTING} and {@link #WAITING_FOR_RESOURCES} queue
 * them until a replica runs; {@link #NOT_STARTING} fails them; {@link #CLOSED} refuses them.
 */
public enum DeploymentState {
    /** No replica runs yet; at least one is starting (its model factory is running). */
    STARTING,
    /**
     * No replica runs and none is starting: every wanted replica waits for resources (a GPU share or GPU
     * memory) that other replicas hold. Each waiting replica's {@code pendingReason} says what it needs.
     */
    WAITING_FOR_RESOURCES,
    /** At least one replica runs and no update is in progress. */
    SERVING,
    /**
     * An update is in progress: the current version serves while the replicas of the version in
     * {@code updatingTo} start. Requests are served throughout.
     */
    UPDATING,
    /**
     * The autoscaler stopped every replica because there was no load (only with a minimum of 0 replicas).
     * The deployment still admits requests: the first one starts a replica at once, and waits for it.
     */
    SCALED_TO_ZERO,
    /**
     * The model factory failed {@code startAttempts} times in a row and no replica runs: no more starts are
     * tried until an update, and requests fail with a {@code ModelException}. See {@code startFailure}.
     */
    NOT_STARTING,
    /** Undeployed or the runtime closed (or is closing): requests are refused with a {@code ShutdownException}. */
    CLOSED
}
