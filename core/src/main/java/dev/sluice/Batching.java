package dev.sluice;

import dev.sluice.batching.BatchObserver;
import dev.sluice.batching.BatchPolicy;
import dev.sluice.batching.DynamicBatcher;
import dev.sluice.batching.ModelException;
import dev.sluice.batching.OverloadedException;
import dev.sluice.batching.internal.BatchingLimits;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * How a deployment forms batches: the settings of its queue. Immutable and valid once built: every setter of
 * its {@link Builder} checks its value at once and names the field it rejects, so a bad setting fails while
 * the {@link Deployment} is built, never at {@code deploy}.
 *
 * <p>Only what applies to a deployment can be expressed: how many batches run at once, and on which threads,
 * follow from the replicas ({@link Deployment.Builder#replicas}, {@link Deployment.Builder#maxOngoingBatchesPerReplica}).
 * The policy is given as a supplier, called once for each batcher the settings are applied to, so that a
 * deployment's versions never share a policy's state (during an update the old version's queue drains beside
 * the new one's).
 *
 * <pre>{@code
 * Batching b = Batching.builder().maxBatchSize(32).maxDelay(Duration.ofMillis(2)).policy(BatchPolicy::fixed).build();
 * }</pre>
 *
 * <p>Defaults (those of {@link DynamicBatcher}): {@code maxBatchSize} 32, {@code maxDelay} 2 ms,
 * {@code queueCapacity} 4096, {@code maxQueueDelay} measured ({@value BatchingLimits#DEFAULT_QUEUE_DELAY_MULTIPLE}
 * times the time of a batch of the size the policy aims for, at least one second), policy {@link BatchPolicy#adaptive()}
 * (batch sizes from the deployment's measured cost curve: full batches where a model call has a large fixed cost,
 * as on a GPU, small ones where larger batches cost as much or more per input, as on a CPU), failures isolated,
 * no observer, {@code closeGracePeriod} 30 s.
 */
public final class Batching {
    private static final Batching DEFAULTS = new Builder().build();

    private final int maxBatchSize;
    private final Duration maxDelay;
    private final int queueCapacity;
    /** A fixed bound (positive), 0 for the default measured one, -1 for none. */
    private final long maxQueueDelayNanos;
    private final Supplier<? extends BatchPolicy> policy;
    /** Ascending and distinct, or null for none. */
    private final int[] preferredBatchSizes;
    private final boolean isolateFailures;
    private final BatchObserver observer;
    private final Duration closeGracePeriod;

    private Batching(Builder b) {
        this.maxBatchSize = b.maxBatchSize;
        this.maxDelay = b.maxDelay;
        this.queueCapacity = b.queueCapacity;
        this.maxQueueDelayNanos = b.maxQueueDelayNanos;
        this.policy = b.policy;
        this.preferredBatchSizes = b.preferredBatchSizes;
        this.isolateFailures = b.isolateFailures;
        this.observer = b.observer;
        this.closeGracePeriod = b.closeGracePeriod;
    }

    /** The defaults listed above. */
    public static Batching defaults() {
        return DEFAULTS;
    }

    /** A builder holding the defaults. */
    public static Builder builder() {
        return new Builder();
    }

    /** A builder holding these settings, for a changed copy. */
    public Builder toBuilder() {
        Builder b = new Builder();
        b.maxBatchSize = maxBatchSize;
        b.maxDelay = maxDelay;
        b.queueCapacity = queueCapacity;
        b.maxQueueDelayNanos = maxQueueDelayNanos;
        b.policy = policy;
        b.preferredBatchSizes = preferredBatchSizes;
        b.isolateFailures = isolateFailures;
        b.observer = observer;
        b.closeGracePeriod = closeGracePeriod;
        return b;
    }

    /** Most inputs per call of the model. */
    public int maxBatchSize() {
        return maxBatchSize;
    }

    /** Longest a request waits for company once a replica is free to take it. */
    public Duration maxDelay() {
        return maxDelay;
    }

    /** Most requests waiting for a replica; beyond it, submissions fail with {@link OverloadedException}. */
    public int queueCapacity() {
        return queueCapacity;
    }

    /**
     * The fixed bound on the wait a new request can expect ({@link Builder#maxQueueDelay}); empty for the default
     * bound, which follows the measurements, and when switched off ({@link #queueDelayBounded()} says which).
     */
    public Optional<Duration> maxQueueDelay() {
        return maxQueueDelayNanos > 0 ? Optional.of(Duration.ofNanos(maxQueueDelayNanos)) : Optional.empty();
    }

    /** Whether requests are refused for their expected queue wait (false after {@link Builder#unboundedQueueDelay()}). */
    public boolean queueDelayBounded() {
        return maxQueueDelayNanos >= 0;
    }

    /** Makes the policy of one batcher; called once per batcher these settings are applied to. */
    public Supplier<? extends BatchPolicy> policy() {
        return policy;
    }

    /** The preferred batch sizes, ascending ({@link Builder#preferredBatchSizes}); empty for none. */
    public int[] preferredBatchSizes() {
        return preferredBatchSizes == null ? new int[0] : preferredBatchSizes.clone();
    }

    /** Whether a failed batch is split and retried so that only the inputs that fail alone fail. */
    public boolean isolateFailures() {
        return isolateFailures;
    }

    /** The deployment's own observer, told beside the runtime's; {@link BatchObserver#none()} when none. */
    public BatchObserver observer() {
        return observer;
    }

    /** How long closing the deployment's queue waits for admitted work. */
    public Duration closeGracePeriod() {
        return closeGracePeriod;
    }

    /**
     * Sets every one of these settings on {@code builder}, with a policy fresh from {@link #policy()} and the
     * observer added beside any it has, and returns it (for a plain {@link DynamicBatcher} that should batch
     * as a deployment does).
     *
     * @throws NullPointerException if the policy supplier returns null
     */
    public <I, O> DynamicBatcher.Builder<I, O> applyTo(DynamicBatcher.Builder<I, O> builder) {
        BatchPolicy p = Objects.requireNonNull(policy.get(), "the batching policy supplier returned null");
        if (preferredBatchSizes != null) {
            p = BatchPolicy.preferring(p, preferredBatchSizes);
        }
        builder.maxBatchSize(maxBatchSize).maxDelay(maxDelay).queueCapacity(queueCapacity).policy(p)
                .isolateFailures(isolateFailures).closeGracePeriod(closeGracePeriod);
        if (maxQueueDelayNanos > 0) {
            builder.maxQueueDelay(Duration.ofNanos(maxQueueDelayNanos));
        } else if (maxQueueDelayNanos < 0) {
            builder.unboundedQueueDelay();
        }
        if (observer != BatchObserver.none()) {
            builder.addObserver(observer);
        }
        return builder;
    }

    @Override
    public String toString() {
        return "Batching[maxBatchSize " + maxBatchSize + ", maxDelay " + maxDelay + ", queueCapacity " + queueCapacity
                + ", maxQueueDelay " + (maxQueueDelayNanos > 0 ? Duration.ofNanos(maxQueueDelayNanos).toString()
                        : maxQueueDelayNanos < 0 ? "unbounded" : "measured")
                + (preferredBatchSizes == null ? "" : ", preferred sizes " + java.util.Arrays.toString(preferredBatchSizes))
                + (isolateFailures ? "" : ", failures not isolated") + ", closeGracePeriod " + closeGracePeriod + "]";
    }

    /** Builds {@link Batching}. Setters check their value at once and throw {@link IllegalArgumentException} naming the field. */
    public static final class Builder {
        private int maxBatchSize = BatchingLimits.DEFAULT_MAX_BATCH_SIZE;
        private Duration maxDelay = BatchingLimits.DEFAULT_MAX_DELAY;
        private int queueCapacity = BatchingLimits.DEFAULT_QUEUE_CAPACITY;
        private long maxQueueDelayNanos;
        private Supplier<? extends BatchPolicy> policy = BatchingLimits::defaultPolicy;
        private int[] preferredBatchSizes;
        private boolean isolateFailures = true;
        private BatchObserver observer = BatchObserver.none();
        private Duration closeGracePeriod = BatchingLimits.DEFAULT_CLOSE_GRACE_PERIOD;

        private Builder() {}

        /** Most inputs per call of the model, at least 1. Default 32. */
        public Builder maxBatchSize(int maxBatchSize) {
            this.maxBatchSize = BatchingLimits.maxBatchSize(maxBatchSize);
            return this;
        }

        /**
         * Longest a request waits for company once a replica is free to take it, from zero (never wait) to one
         * day. Default 2 ms. It does not bound the wait for a free replica.
         */
        public Builder maxDelay(Duration maxDelay) {
            this.maxDelay = BatchingLimits.maxDelay(maxDelay);
            return this;
        }

        /** Most requests waiting for a replica, from 1 to 2^29; beyond it submissions fail. Default 4096. */
        public Builder queueCapacity(int queueCapacity) {
            this.queueCapacity = BatchingLimits.queueCapacity(queueCapacity);
            return this;
        }

        /**
         * A fixed bound on the wait a new request can expect, positive and at most one day: when the requests
         * queued ahead of it, at the cost per input the deployment measured for batches of the size its policy
         * aims for, shared over its replicas' workers, would keep it waiting longer than this (or than its own
         * timeout), it is refused at once with {@link OverloadedException}
         * ({@link OverloadedException.Limit#QUEUE_DELAY}, with a {@code retryAfter}; HTTP 429 with
         * {@code Retry-After}). A pipeline's steps are never refused this way: the pipeline admitted them.
         * Default: {@value BatchingLimits#DEFAULT_QUEUE_DELAY_MULTIPLE} times the measured time of a batch of the
         * size the policy aims for, at least one second (see {@link DynamicBatcher.Builder#maxQueueDelay}).
         */
        public Builder maxQueueDelay(Duration maxQueueDelay) {
            this.maxQueueDelayNanos = BatchingLimits.maxQueueDelay(maxQueueDelay).toNanos();
            return this;
        }

        /** No bound on the expected wait: only {@code queueCapacity} limits what the queue admits. */
        public Builder unboundedQueueDelay() {
            this.maxQueueDelayNanos = -1;
            return this;
        }

        /**
         * Makes each batcher's policy, e.g. {@code BatchPolicy::fixed}: called once per version of the
         * deployment, and it must return a new instance each time (a policy instance belongs to one batcher).
         * Default {@code BatchPolicy::adaptive}.
         */
        public Builder policy(Supplier<? extends BatchPolicy> policy) {
            this.policy = Objects.requireNonNull(policy, "policy");
            return this;
        }

        /**
         * When on (the default), a batch whose model call throws is split in halves and retried, down to single
         * inputs, so that only the inputs that fail alone fail with {@link ModelException}. When off, every input
         * of the batch fails with it.
         */
        public Builder isolateFailures(boolean isolateFailures) {
            this.isolateFailures = isolateFailures;
            return this;
        }

        /** The deployment's own observer of batches, rejections, expiries and cancellations (beside the runtime's). */
        public Builder observer(BatchObserver observer) {
            this.observer = Objects.requireNonNull(observer, "observer");
            return this;
        }

        /** How long closing the deployment's queue waits for admitted work, not negative. Default 30 s. */
        public Builder closeGracePeriod(Duration closeGracePeriod) {
            this.closeGracePeriod = BatchingLimits.closeGracePeriod(closeGracePeriod);
            return this;
        }

        /**
         * Sizes the model runs best (or only) at, as Triton's {@code preferred_batch_size}: the policy's batches
         * are cut to the largest of them that is waiting (see {@link BatchPolicy#preferring}); each from 1 to
         * {@code maxBatchSize} (checked at {@link #build()}). None given (the default): the policy's sizes.
         *
         * @throws IllegalArgumentException if a size is below 1
         */
        public Builder preferredBatchSizes(int... sizes) {
            int[] sorted = BatchingLimits.preferredBatchSizes(sizes);
            this.preferredBatchSizes = sorted.length == 0 ? null : sorted;
            return this;
        }

        /** @throws IllegalArgumentException if a preferred batch size is above {@code maxBatchSize} */
        public Batching build() {
            if (preferredBatchSizes != null && preferredBatchSizes[preferredBatchSizes.length - 1] > maxBatchSize) {
                throw new IllegalArgumentException("preferredBatchSizes: " + preferredBatchSizes[preferredBatchSizes.length - 1]
                        + " is above maxBatchSize " + maxBatchSize);
            }
            return new Batching(this);
        }
    }
}
