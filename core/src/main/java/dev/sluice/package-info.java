/**
 * The Sluice runtime: deployments, replicas, pull-based dispatch, autoscaling and resources.
 *
 * <p>Filled by the core runtime issue; today it only depends on {@code dev.sluice.batching}.
 */
package dev.sluice;
