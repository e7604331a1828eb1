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
    /** Every setting, in a private copy that nothing else can change. */
    private final Settings<I, O> settings;

    private Deployment(Builder<I, O> b) {
        this.settings = b.s.copy(b.s.factory);
    }

    /**
     * Starts a deployment named {@code name} whose replicas each get a model from {@code factory}.
     *
     * @throws IllegalArgumentException if the name is blank
     */
    public static <I, O> Builder<I, O> builder(String name, ModelFactory<I, O> factory) {
        Objects.requireNonNull(name, "name");
        if (name.isBlank()) {
            throw new IllegalArgumentException("name must not be blank");
        }
        return new Builder<>(new Settings<>(name, Objects.requireNonNull(factory, "factory")));
    }

    /** A builder holding this deployment's settings, for a changed copy (e.g. for {@code update}). */
    public Builder<I, O> toBuilder() {
        return toBuilder(settings.factory);
    }

    /**
     * A builder holding every setting of this deployment (validator and signature included) with another
     * model factory.
     */
    public Builder<I, O> toBuilder(ModelFactory<I, O> factory) {
        return new Builder<>(settings.copy(Objects.requireNonNull(factory, "factory")));
    }

    public String name() {
        return settings.name;
    }

    public ModelFactory<I, O> factory() {
        return settings.factory;
    }

    /** How the deployment's queue forms batches. */
    public Batching batching() {
        return settings.batching;
    }

    /**
     * Applies this deployment's batching settings to a builder, with a policy instance of its own (the runtime
     * sets the name, clock and its observers; one call per version of the deployment).
     */
    void configureBatching(DynamicBatcher.Builder<I, O> builder) {
        settings.batching.applyTo(builder);
    }

    public int minReplicas() {
        return settings.minReplicas;
    }

    public int maxReplicas() {
        return settings.maxReplicas;
    }

    /** Replicas started at deploy time: the builder's value, or {@code max(min, 1)} capped at max. */
    public int initialReplicas() {
        int initial = settings.initialReplicas; // -1: the default, computed from min and max
        return initial >= 0 ? initial : Math.max(settings.minReplicas, Math.min(1, settings.maxReplicas));
    }

    public int maxOngoingBatchesPerReplica() {
        return settings.maxOngoingBatchesPerReplica;
    }

    public ReplicaResources resources() {
        return settings.resources;
    }

    public AutoscalingPolicy autoscaling() {
        return settings.autoscaling;
    }

    /** Period of {@link Model#isHealthy()} checks; {@link Duration#ZERO} when they are off. */
    public Duration healthCheckPeriod() {
        return settings.healthCheckPeriod;
    }

    public Duration healthCheckTimeout() {
        return settings.healthCheckTimeout;
    }

    /** How long one batch may run before its replica counts as hung; {@link Duration#ZERO} when off. */
    public Duration watchdog() {
        return settings.watchdog;
    }

    /** Whether the in-flight requests of a lost replica may run again on another. */
    public boolean idempotent() {
        return settings.idempotent;
    }

    /** How many times in a row a replica's model factory may fail before the runtime stops starting replicas. */
    public int startAttempts() {
        return settings.startAttempts;
    }

    /**
     * Checks one input as {@link DeploymentHandle#submit} does before admitting it.
     *
     * @throws InvalidInputException saying what was wrong with it
     */
    public void validate(I input) {
        Consumer<? super I> validator = settings.validator;
        if (validator == null) {
            return;
        }
        try {
            validator.accept(input);
        } catch (InvalidInputException e) {
            throw e;
        } catch (RuntimeException e) {
            throw new InvalidInputException("'" + settings.name + "': " + e.getMessage(), e);
        }
    }

    /** The tensor inputs and outputs this deployment declares, for a tensor deployment that declares them. */
    public Optional<TensorSignature> signature() {
        return Optional.ofNullable(settings.signature);
    }

    @Override
    public String toString() {
        return "Deployment[" + settings.name + ", replicas " + settings.minReplicas + ".." + settings.maxReplicas + ", "
                + settings.maxOngoingBatchesPerReplica + " ongoing batch(es) per replica, " + settings.resources + "]";
    }

    /**
     * Every setting of a deployment, held in one object so that a copy ({@link #toBuilder}) takes them all,
     * including any added later. Each field holds an immutable value (or a function the user supplied), so a
     * shallow copy is a full one.
     */
    private static final class Settings<I, O> implements Cloneable {
        final String name;
        ModelFactory<I, O> factory;
        Batching batching = Batching.defaults();
        int minReplicas = 1;
        int maxReplicas = 1;
        int initialReplicas = -1;
        int maxOngoingBatchesPerReplica = 1;
        ReplicaResources resources = ReplicaResources.defaults();
        AutoscalingPolicy autoscaling = AutoscalingPolicy.defaults();
        Duration healthCheckPeriod = Duration.ZERO;
        Duration healthCheckTimeout = Duration.ofSeconds(5);
        Duration watchdog = Duration.ZERO;
        boolean idempotent;
        int startAttempts = 3;
        Consumer<? super I> validator;
        TensorSignature signature;

        Settings(String name, ModelFactory<I, O> factory) {
            this.name = name;
            this.factory = factory;
        }

        @SuppressWarnings("unchecked")
        Settings<I, O> copy(ModelFactory<I, O> withFactory) {
            Settings<I, O> c;
            try {
                c = (Settings<I, O>) super.clone();
            } catch (CloneNotSupportedException e) {
                throw new AssertionError(e);
            }
            c.factory = withFactory;
            return c;
        }
    }

    /**
     * Builds a {@link Deployment}. Every setter validates at once and names the field it rejects.
     * Defaults: one replica ({@code replicas(1, 1)}), one ongoing batch per replica, one CPU per model
     * call, {@link Batching#defaults()}, {@link AutoscalingPolicy#defaults()}, no health checks,
     * no watchdog, not idempotent, three start attempts.
     */
    public static final class Builder<I, O> {
        private final Settings<I, O> s;

        private Builder(Settings<I, O> settings) {
            this.s = settings;
        }

        /**
         * Changes the batching settings, starting from the current ones (the defaults, or the copied
         * deployment's): {@code b -> b.maxBatchSize(32).maxDelay(Duration.ofMillis(2))}. See {@link Batching}
         * for the settings; a bad value fails here, naming the field. How many batches run at once follows
         * from {@link #maxOngoingBatchesPerReplica} and the replica count.
         *
         * @throws IllegalArgumentException naming the field, if a value is out of range
         */
        public Builder<I, O> batching(Consumer<Batching.Builder> batching) {
            Objects.requireNonNull(batching, "batching");
            Batching.Builder b = s.batching.toBuilder();
            batching.accept(b);
            s.batching = b.build();
            return this;
        }

        /** Replaces the batching settings. */
        public Builder<I, O> batching(Batching batching) {
            s.batching = Objects.requireNonNull(batching, "batching");
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
            s.minReplicas = min;
            s.maxReplicas = max;
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
            s.initialReplicas = initial;
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
            s.maxOngoingBatchesPerReplica = n;
            return this;
        }

        /**
         * What each replica needs, e.g. {@code r -> r.cpus(1).gpus(0.25)}: the CPUs each of its model calls
         * holds of the runtime's execution budget, and the GPU share it is placed on (see {@link ReplicaResources}).
         */
        public Builder<I, O> resources(Consumer<ReplicaResources.Builder> resources) {
            Objects.requireNonNull(resources, "resources");
            ReplicaResources.Builder b = ReplicaResources.builder();
            resources.accept(b);
            s.resources = b.build();
            return this;
        }

        public Builder<I, O> resources(ReplicaResources resources) {
            s.resources = Objects.requireNonNull(resources, "resources");
            return this;
        }

        public Builder<I, O> autoscaling(AutoscalingPolicy autoscaling) {
            s.autoscaling = Objects.requireNonNull(autoscaling, "autoscaling");
            return this;
        }

        /**
         * Runs {@link Model#isHealthy()} every {@code period} (on a runtime thread, possibly while the model
         * runs a batch); false, an exception, or no answer within {@code timeout} replaces the replica.
         */
        public Builder<I, O> healthCheck(Duration period, Duration timeout) {
            requirePositive(period, "healthCheck period");
            requirePositive(timeout, "healthCheck timeout");
            s.healthCheckPeriod = period;
            s.healthCheckTimeout = timeout;
            return this;
        }

        /**
         * A batch running longer than {@code limit} marks its replica hung: the replica is replaced and its
         * in-flight requests are retried elsewhere (idempotent) or failed. Off by default.
         */
        public Builder<I, O> watchdog(Duration limit) {
            requirePositive(limit, "watchdog");
            s.watchdog = limit;
            return this;
        }

        /**
         * Whether a request may run twice: when its replica is lost mid-batch (hang, {@code Error}, failed
         * health check) it is then retried once on another replica instead of failing. Default false.
         */
        public Builder<I, O> idempotent(boolean idempotent) {
            s.idempotent = idempotent;
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
            s.startAttempts = attempts;
            return this;
        }

        /**
         * A check run on the caller's thread by {@link DeploymentHandle#submit} before the input joins the
         * queue: an input it throws for fails at once with {@link InvalidInputException} (its message kept) and
         * never reaches a batch, so it cannot fail batch neighbours. Replaces a signature's check.
         */
        public Builder<I, O> validator(Consumer<? super I> validator) {
            s.validator = Objects.requireNonNull(validator, "validator");
            return this;
        }

        /**
         * Declares the deployment a tensor deployment (input and output {@code Map<String, Tensor>}) with these
         * inputs and outputs: each request is checked against them before it joins the queue (see
         * {@link TensorSignature#validate}), and adapters describe the deployment by them.
         */
        @SuppressWarnings("unchecked")
        public Builder<I, O> signature(TensorSignature signature) {
            TensorSignature sig = Objects.requireNonNull(signature, "signature");
            String name = s.name;
            s.signature = sig;
            s.validator = input -> {
                if (!(input instanceof Map<?, ?> request)) {
                    throw new InvalidInputException("'" + name + "' takes a map from input name to Tensor, got "
                            + input.getClass().getName());
                }
                sig.validate((Map<String, Tensor>) request);
            };
            return this;
        }

        /** @throws IllegalArgumentException if initialReplicas lies outside [min, max] */
        public Deployment<I, O> build() {
            if (s.initialReplicas >= 0 && (s.initialReplicas < s.minReplicas || s.initialReplicas > s.maxReplicas)) {
                throw new IllegalArgumentException("initialReplicas (" + s.initialReplicas + ") must lie between min ("
                        + s.minReplicas + ") and max (" + s.maxReplicas + ") replicas");
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
