/**
 * The Sluice runtime: deployments, replicas, pull-based dispatch, autoscaling and resources.
 *
 * <p>Being built by the core runtime issue. So far it holds the resource model: {@link dev.sluice.Resources}
 * (CPU slots and GPUs), {@link dev.sluice.GpuInventory}, what a replica asks for
 * ({@link dev.sluice.ReplicaResources}) and where it was placed ({@link dev.sluice.Placement}).
 */
package dev.sluice;
