package dev.sluice;

import dev.sluice.batching.DynamicBatcher;
import dev.sluice.batching.InvalidInputException;
import dev.sluice.tensor.Tensor;
import dev.sluice.tensor.TensorSignature;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * What to serve and how: a named model factory with its batching, replica count, per-replica resources,
 * autoscaling, health checks and retry behaviour. Immutable; built with {@link #builder}, deployed with
 * {@link Sluice#deploy}.
 *
 * <pre>{@code
 * Deployment<float[], float[]> d = Deployment.<float[], float[]>builder("recognizer", ctx -> new MyModel(ctx))
 *     .batching(b -> b.maxBatchSize(32).maxDelay(Duration.ofMillis(2)))
 *     .replicas(1, 4)
 *     .resources(r -> r.cpus(1).gpus(0.25))
 *     .build();
 * }</pre>
 *
 * @param <I> input type
 * @param <O> output type
 */
public final class Deployment<I, O> {
    private final String name;
    private final ModelFactory<I, O> factory;
    private final Consumer<DynamicBatcher.Builder<I, O>> batching;
    private final int minReplicas;
    private final int maxReplicas;
    private final int initialReplicas;
    private final int maxOngoingBatchesPerReplica;
    private final ReplicaResources resources;
    private final AutoscalingPolicy autoscaling;
    private final Duration healthCheckPeriod;
    private final Duration healthCheckTimeout;
    private final Duration watchdog;
    private final boolean idempotent;
    private final int startAttempts;
    private final Consumer<? super I> validator;
    private final TensorSignature signature;

    private Deployment(Builder<I, O> b) {
        this.name = b.name;
        this.factory = b.factory;
        this.batching = b.batching;
        this.minReplicas = b.minReplicas;
        this.maxReplicas = b.maxReplicas;
        this.initialReplicas = b.initialReplicas; // -1: the default, computed from min and max
        this.maxOngoingBatchesPerReplica = b.maxOngoingBatchesPerReplica;
        this.resources = b.resources;
        this.autoscaling = b.autoscaling;
        this.healthCheckPeriod = b.healthCheckPeriod;
        this.healthCheckTimeout = b.healthCheckTimeout;
        this.watchdog = b.watchdog;
        this.idempotent = b.idempotent;
        this.startAttempts = b.startAttempts;
        this.validator = b.validator;
        this.signature = b.signature;
    }

    /**
     * Starts a deployment named {@code name} whose replicas each get a model from {@code factory}.
     *
     * @throws IllegalArgumentException if the name is blank
     */
    public static <I, O> Builder<I, O> builder(String name, ModelFactory<I, O> factory) {
        return new Builder<>(name, factory);
    }

    /** A builder holding this deployment's settings, for a changed copy (e.g. for {@code update}). */
    public Builder<I, O> toBuilder() {
        return toBuilder(factory);
    }

    /** A builder holding this deployment's settings with another model factory. */
    public Builder<I, O> toBuilder(ModelFactory<I, O> factory) {
        Builder<I, O> b = new Builder<>(name, factory);
        b.batching = batching;
        b.minReplicas = minReplicas;
        b.maxReplicas = maxReplicas;
        b.initialReplicas = initialReplicas;
        b.maxOngoingBatchesPerReplica = maxOngoingBatchesPerReplica;
        b.resources = resources;
        b.autoscaling = autoscaling;
        b.healthCheckPeriod = healthCheckPeriod;
        b.healthCheckTimeout = healthCheckTimeout;
        b.watchdog = watchdog;
        b.idempotent = idempotent;
        b.startAttempts = startAttempts;
        return b;
    }

    public String name() {
        return name;
    }

    public ModelFactory<I, O> factory() {
        return factory;
    }

    /** Applies this deployment's batching settings to a builder (the runtime sets the name and clock). */
    void configureBatching(DynamicBatcher.Builder<I, O> builder) {
        batching.accept(builder);
    }

    public int minReplicas() {
        return minReplicas;
    }

    public int maxReplicas() {
        return maxReplicas;
    }

    /** Replicas started at deploy time: the builder's value, or {@code max(min, 1)} capped at max. */
    public int initialReplicas() {
        return initialReplicas >= 0 ? initialReplicas : Math.max(minReplicas, Math.min(1, maxReplicas));
    }

    public int maxOngoingBatchesPerReplica() {
        return maxOngoingBatchesPerReplica;
    }

    public ReplicaResources resources() {
        return resources;
    }

    public AutoscalingPolicy autoscaling() {
        return autoscaling;
    }

    /** Period of {@link Model#isHealthy()} checks; {@link Duration#ZERO} when they are off. */
    public Duration healthCheckPeriod() {
        return healthCheckPeriod;
    }

    public Duration healthCheckTimeout() {
        return healthCheckTimeout;
    }

    /** How long one batch may run before its replica counts as hung; {@link Duration#ZERO} when off. */
    public Duration watchdog() {
        return watchdog;
    }

    /** Whether the in-flight requests of a lost replica may run again on another. */
    public boolean idempotent() {
        return idempotent;
    }

    /** How many times in a row a replica's model factory may fail before the runtime stops starting replicas. */
    public int startAttempts() {
        return startAttempts;
    }

    /**
     * Checks one input as {@link DeploymentHandle#submit} does before admitting it.
     *
     * @throws InvalidInputException saying what was wrong with it
     */
    public void validate(I input) {
        if (validator == null) {
            return;
        }
        try {
            validator.accept(input);
        } catch (InvalidInputException e) {
            throw e;
        } catch (RuntimeException e) {
            throw new InvalidInputException("'" + name + "': " + e.getMessage(), e);
        }
    }

    /** The tensor inputs and outputs this deployment declares, for a tensor deployment that declares them. */
    public Optional<TensorSignature> signature() {
        return Optional.ofNullable(signature);
    }

    @Override
    public String toString() {
        return "Deployment[" + name + ", replicas " + minReplicas + ".." + maxReplicas + ", "
                + maxOngoingBatchesPerReplica + " ongoing batch(es) per replica, " + resources + "]";
    }

    /**
     * Builds a {@link Deployment}. Every setter validates at once and names the field it rejects.
     * Defaults: one replica ({@code replicas(1, 1)}), one ongoing batch per replica, one CPU slot per
     * replica, the batcher's own batching defaults, {@link AutoscalingPolicy#defaults()}, no health checks,
     * no watchdog, not idempotent, three start attempts.
     */
    public static final class Builder<I, O> {
        private final String name;
        private final ModelFactory<I, O> factory;
        private Consumer<DynamicBatcher.Builder<I, O>> batching = b -> {};
        private int minReplicas = 1;
        private int maxReplicas = 1;
        private int initialReplicas = -1;
        private int maxOngoingBatchesPerReplica = 1;
        private ReplicaResources resources = ReplicaResources.defaults();
        private AutoscalingPolicy autoscaling = AutoscalingPolicy.defaults();
        private Duration healthCheckPeriod = Duration.ZERO;
        private Duration healthCheckTimeout = Duration.ofSeconds(5);
        private Duration watchdog = Duration.ZERO;
        private boolean idempotent;
        private int startAttempts = 3;
        private Consumer<? super I> validator;
        private TensorSignature signature;

        private Builder(String name, ModelFactory<I, O> factory) {
            Objects.requireNonNull(name, "name");
            if (name.isBlank()) {
                throw new IllegalArgumentException("name must not be blank");
            }
            this.name = name;
            this.factory = Objects.requireNonNull(factory, "factory");
        }

        /**
         * Batching settings, applied to the deployment's queue: {@code maxBatchSize}, {@code maxDelay},
         * {@code queueCapacity}, {@code policy}, {@code isolateFailures}, {@code observer},
         * {@code closeGracePeriod}. Concurrency is set here by {@link #maxOngoingBatchesPerReplica} and the
         * replica count, so {@code maxConcurrentBatches} and {@code executor} are refused at deploy time.
         *
         * <p>Applied once per version of the deployment (at deploy, and again for each update, whose queue
         * runs beside the old one while it drains), so create a stateful policy inside the lambda
         * ({@code b -> b.policy(BatchPolicy.adaptive())}) rather than passing one instance to both.
         */
        public Builder<I, O> batching(Consumer<DynamicBatcher.Builder<I, O>> batching) {
            this.batching = Objects.requireNonNull(batching, "batching");
            return this;
        }

        /**
         * Replica count bounds; the autoscaler moves between them. {@code min = 0} allows scale to zero: the
         * first request after it waits for a replica to start and is then served.
         *
         * @throws IllegalArgumentException if {@code min < 0}, {@code max < 1} or {@code min > max}
         */
        public Builder<I, O> replicas(int min, int max) {
            if (min < 0) {
                throw new IllegalArgumentException("min replicas must not be negative, was " + min);
            }
            if (max < 1) {
                throw new IllegalArgumentException("max replicas must be at least 1, was " + max);
            }
            if (min > max) {
                throw new IllegalArgumentException("min replicas (" + min + ") must not exceed max replicas (" + max + ")");
            }
            if (max > 10_000) {
                throw new IllegalArgumentException("max replicas must be at most 10000, was " + max);
            }
            this.minReplicas = min;
            this.maxReplicas = max;
            return this;
        }

        /** A fixed number of replicas: {@code replicas(n, n)}. */
        public Builder<I, O> replicas(int n) {
            return replicas(n, n);
        }

        /**
         * Replicas to start with, between min and max (checked at {@link #build}). Default: min, but at
         * least one (so a scale-to-zero deployment starts warm).
         */
        public Builder<I, O> initialReplicas(int initial) {
            if (initial < 0) {
                throw new IllegalArgumentException("initialReplicas must not be negative, was " + initial);
            }
            this.initialReplicas = initial;
            return this;
        }

        /**
         * Batches one replica may run at once (each on its own thread of the replica; the model must then be
         * thread-safe). A batch is formed only when a replica has room, so this ties batching to admission.
         * Default 1.
         */
        public Builder<I, O> maxOngoingBatchesPerReplica(int n) {
            if (n < 1 || n > 64) {
                throw new IllegalArgumentException("maxOngoingBatchesPerReplica must be between 1 and 64, was " + n);
            }
            this.maxOngoingBatchesPerReplica = n;
            return this;
        }

        /** What each replica needs, e.g. {@code r -> r.cpus(1).gpus(0.25)}. */
        public Builder<I, O> resources(Consumer<ReplicaResources.Builder> resources) {
            Objects.requireNonNull(resources, "resources");
            ReplicaResources.Builder b = ReplicaResources.builder();
            resources.accept(b);
            this.resources = b.build();
            return this;
        }

        public Builder<I, O> resources(ReplicaResources resources) {
            this.resources = Objects.requireNonNull(resources, "resources");
            return this;
        }

        public Builder<I, O> autoscaling(AutoscalingPolicy autoscaling) {
            this.autoscaling = Objects.requireNonNull(autoscaling, "autoscaling");
            return this;
        }

        /**
         * Runs {@link Model#isHealthy()} every {@code period} (on a runtime thread, possibly while the model
         * runs a batch); false, an exception, or no answer within {@code timeout} replaces the replica.
         */
        public Builder<I, O> healthCheck(Duration period, Duration timeout) {
            requirePositive(period, "healthCheck period");
            requirePositive(timeout, "healthCheck timeout");
            this.healthCheckPeriod = period;
            this.healthCheckTimeout = timeout;
            return this;
        }

        /**
         * A batch running longer than {@code limit} marks its replica hung: the replica is replaced and its
         * in-flight requests are retried elsewhere (idempotent) or failed. Off by default.
         */
        public Builder<I, O> watchdog(Duration limit) {
            requirePositive(limit, "watchdog");
            this.watchdog = limit;
            return this;
        }

        /**
         * Whether a request may run twice: when its replica is lost mid-batch (hang, {@code Error}, failed
         * health check) it is then retried once on another replica instead of failing. Default false.
         */
        public Builder<I, O> idempotent(boolean idempotent) {
            this.idempotent = idempotent;
            return this;
        }

        /**
         * Consecutive model factory failures after which the runtime stops starting replicas and reports the
         * last failure in the status (an update starts afresh). Default 3.
         */
        public Builder<I, O> startAttempts(int attempts) {
            if (attempts < 1 || attempts > 100) {
                throw new IllegalArgumentException("startAttempts must be between 1 and 100, was " + attempts);
            }
            this.startAttempts = attempts;
            return this;
        }

        /**
         * A check run on the caller's thread by {@link DeploymentHandle#submit} before the input joins the
         * queue: an input it throws for fails at once with {@link InvalidInputException} (its message kept) and
         * never reaches a batch, so it cannot fail batch neighbours. Replaces a signature's check.
         */
        public Builder<I, O> validator(Consumer<? super I> validator) {
            this.validator = Objects.requireNonNull(validator, "validator");
            return this;
        }

        /**
         * Declares the deployment a tensor deployment (input and output {@code Map<String, Tensor>}) with these
         * inputs and outputs: each request is checked against them before it joins the queue (see
         * {@link TensorSignature#validate}), and adapters describe the deployment by them.
         */
        @SuppressWarnings("unchecked")
        public Builder<I, O> signature(TensorSignature signature) {
            TensorSignature s = Objects.requireNonNull(signature, "signature");
            this.signature = s;
            this.validator = input -> {
                if (!(input instanceof Map<?, ?> request)) {
                    throw new InvalidInputException("'" + name + "' takes a map from input name to Tensor, got "
                            + input.getClass().getName());
                }
                s.validate((Map<String, Tensor>) request);
            };
            return this;
        }

        /** @throws IllegalArgumentException if initialReplicas lies outside [min, max] */
        public Deployment<I, O> build() {
            if (initialReplicas >= 0 && (initialReplicas < minReplicas || initialReplicas > maxReplicas)) {
                throw new IllegalArgumentException("initialReplicas (" + initialReplicas + ") must lie between min ("
                        + minReplicas + ") and max (" + maxReplicas + ") replicas");
            }
            return new Deployment<>(this);
        }

        private static void requirePositive(Duration d, String field) {
            Objects.requireNonNull(d, field);
            if (d.isNegative() || d.isZero()) {
                throw new IllegalArgumentException(field + " must be positive, was " + d);
            }
        }
    }
}
