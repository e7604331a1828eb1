package dev.sluice;

/** Where a replica is in its life, as {@link SluiceStatus.ReplicaStatus#state()} reports it. */
public enum ReplicaState {
    /** Wanted, but waiting for resources other replicas hold; its {@code pendingReason} says which. */
    PENDING,
    /** Placed; its model factory is running. It takes no request yet. */
    STARTING,
    /** Its model is loaded and it takes batches from the deployment's queue. */
    RUNNING,
    /** Being stopped (scaled down, replaced by an update, or lost): it takes no new batch. */
    DRAINING
}
