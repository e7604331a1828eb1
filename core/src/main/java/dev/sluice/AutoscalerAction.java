package dev.sluice;

/**
 * The autoscaler's last decision for a deployment, as {@link SluiceStatus.DeploymentStatus#autoscaler()}
 * reports it; {@code autoscalerReason} says what it measured. See {@link AutoscalingPolicy} for the rule.
 */
public enum AutoscalerAction {
    /** No control pass has run for the deployment yet. */
    NONE,
    /** The replica count stays: the load is within the target and its tolerance, or not measured yet. */
    HOLD,
    /** The load has called for more replicas for less than the policy's upscale delay. */
    WAITING_TO_SCALE_UP,
    /** The load has called for fewer replicas for less than the policy's downscale delay. */
    WAITING_TO_SCALE_DOWN,
    /** The target went up: load past the delay, requests waiting with no replica, or below the minimum. */
    SCALE_UP,
    /** The target went down: little load past the delay, or above the maximum. */
    SCALE_DOWN
}
