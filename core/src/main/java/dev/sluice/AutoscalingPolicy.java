package dev.sluice;

import java.time.Duration;
import java.util.Objects;

/**
 * How a deployment's replica count follows its load. Immutable; {@link #defaults()} or {@link #builder()}.
 *
 * <p>The load is measured over the last {@code lookBack}, in replicas: the work the inputs run needed at
 * full batches (inputs times the fitted cost of one input in a full batch, {@code a / maxBatchSize + b}
 * for a batch cost {@code a + b*n}; never more than the replicas' busy time, and the busy time itself until
 * the cost is known), divided by the window, plus the mean queue depth in full batches ({@code depth /
 * maxBatchSize}). Counting work at full batches matters for models with a fixed cost per call: replicas
 * sharing a light load run small batches back to back and look busy, though fewer replicas would serve it
 * with larger batches. The autoscaler wants {@code ceil(load / targetUtilization)} replicas to scale up, and
 * scales down only to {@code ceil(load / (targetUtilization * (1 - tolerance)))}: the band between the two
 * keeps a steady load from flapping between two counts. A change is made once it has been wanted for the
 * whole {@code upscaleDelay} (or {@code downscaleDelay}); so a load step is answered within about
 * {@code lookBack + upscaleDelay}. The count stays within the deployment's {@code [min, max]}; with
 * {@code min = 0} it goes to zero after a {@code downscaleDelay} without any load, and a request arriving at
 * zero starts a replica at once (no delay).
 */
public final class AutoscalingPolicy {
    private static final AutoscalingPolicy DEFAULTS = builder().build();

    private final double targetUtilization;
    private final double tolerance;
    private final Duration lookBack;
    private final Duration upscaleDelay;
    private final Duration downscaleDelay;

    private AutoscalingPolicy(Builder b) {
        this.targetUtilization = b.targetUtilization;
        this.tolerance = b.tolerance;
        this.lookBack = b.lookBack;
        this.upscaleDelay = b.upscaleDelay;
        this.downscaleDelay = b.downscaleDelay;
    }

    /** Target utilization 0.7, tolerance 0.2, look-back 10 s, upscale delay 5 s, downscale delay 60 s. */
    public static AutoscalingPolicy defaults() {
        return DEFAULTS;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** The fraction of its time each replica should be busy. */
    public double targetUtilization() {
        return targetUtilization;
    }

    /** How far below the target the load must fall before a replica is removed. */
    public double tolerance() {
        return tolerance;
    }

    public Duration lookBack() {
        return lookBack;
    }

    public Duration upscaleDelay() {
        return upscaleDelay;
    }

    public Duration downscaleDelay() {
        return downscaleDelay;
    }

    @Override
    public String toString() {
        return "AutoscalingPolicy[target " + targetUtilization + ", tolerance " + tolerance + ", lookBack "
                + lookBack.toMillis() + " ms, upscaleDelay " + upscaleDelay.toMillis() + " ms, downscaleDelay "
                + downscaleDelay.toMillis() + " ms]";
    }

    /** Builds an {@link AutoscalingPolicy}; setters validate at once and name the field they reject. */
    public static final class Builder {
        private double targetUtilization = 0.7;
        private double tolerance = 0.2;
        private Duration lookBack = Duration.ofSeconds(10);
        private Duration upscaleDelay = Duration.ofSeconds(5);
        private Duration downscaleDelay = Duration.ofSeconds(60);

        private Builder() {}

        /** In (0, 1]. */
        public Builder targetUtilization(double target) {
            if (!(target > 0 && target <= 1)) {
                throw new IllegalArgumentException("targetUtilization must be in (0, 1], was " + target);
            }
            this.targetUtilization = target;
            return this;
        }

        /** In [0, 1). */
        public Builder tolerance(double tolerance) {
            if (!(tolerance >= 0 && tolerance < 1)) {
                throw new IllegalArgumentException("tolerance must be in [0, 1), was " + tolerance);
            }
            this.tolerance = tolerance;
            return this;
        }

        public Builder lookBack(Duration lookBack) {
            this.lookBack = positive(lookBack, "lookBack");
            return this;
        }

        public Builder upscaleDelay(Duration delay) {
            this.upscaleDelay = notNegative(delay, "upscaleDelay");
            return this;
        }

        public Builder downscaleDelay(Duration delay) {
            this.downscaleDelay = notNegative(delay, "downscaleDelay");
            return this;
        }

        public AutoscalingPolicy build() {
            return new AutoscalingPolicy(this);
        }

        private static Duration positive(Duration d, String field) {
            Objects.requireNonNull(d, field);
            if (d.isNegative() || d.isZero()) {
                throw new IllegalArgumentException(field + " must be positive, was " + d);
            }
            return d;
        }

        private static Duration notNegative(Duration d, String field) {
            Objects.requireNonNull(d, field);
            if (d.isNegative()) {
                throw new IllegalArgumentException(field + " must not be negative, was " + d);
            }
            return d;
        }
    }
}
