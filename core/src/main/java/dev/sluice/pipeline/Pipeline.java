package dev.sluice.pipeline;

import dev.sluice.DeploymentHandle;
import dev.sluice.batching.InvalidInputException;
import dev.sluice.batching.OverloadedException;
import dev.sluice.batching.Ticker;
import dev.sluice.internal.CpuMeter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BiFunction;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.ToLongFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A request made of several steps: a graph whose steps take earlier steps' outputs. Steps whose inputs are
 * ready run at once (independent steps in parallel); each step retries alone under its own
 * {@link RetryPolicy}, with its own timeout, and may fall back to a value; the pipeline's deadline bounds
 * every step under it. Every result carries a {@link Trace}.
 *
 * <pre>{@code
 * Pipeline.Builder<Image> b = Pipeline.builder("ocr");
 * Ref<Image> image = b.input();
 * Ref<List<Box>> boxes = b.step("detect").retry(RetryPolicy.attempts(3)).call(detector, image);
 * Ref<List<Crop>> crops = b.step("crop").apply(Crops::cut, image, boxes);
 * Ref<List<String>> lines = b.step("recognize").each(recognizer, crops);
 * Pipeline<Image, List<String>> ocr = b.build(lines);
 * Result<List<String>> r = ocr.submit(img, Duration.ofMillis(200)).join();
 * }</pre>
 *
 * <p>The returned future completes once every step has ended: with a {@link Result}, or with
 * {@link PipelineStepException} (a step failed for good; carries the trace), {@link OverloadedException}
 * (refused at once: see admission below), {@link InvalidInputException} (a null input), or as
 * cancelled. Cancelling it cancels the running steps (deployment requests still queued never reach their
 * model) and no further step starts. When a step fails for good, the steps still running are cancelled too.
 *
 * <p><b>Admission.</b> A request is refused at once with {@link OverloadedException} when the pipeline has
 * {@code maxInFlight} requests in flight ({@link OverloadedException.Limit#IN_FLIGHT}), or when the work it has
 * in flight, at the rate it measures it can finish work (what it finished while busy, over the share of its
 * runtime's CPU budget that model calls held meanwhile), would keep the new request longer than its latency
 * bound ({@link OverloadedException.Limit#EXPECTED_LATENCY}): by default {@value LatencyAdmission#DEFAULT_MULTIPLE}
 * times the latency of a request that runs alone, and never more than the request's own deadline. So under any
 * overload the requests it admits keep a bounded latency and the excess is refused fast, with no queue size to
 * tune. Each request counts as one unit of work unless {@link Builder#work} weighs it (by its input's size, for
 * example). The deployments its steps call never refuse those calls for their own queue delay: the pipeline
 * admitted the whole request. {@link #admission()} shows what it measured.
 *
 * <p>Threading: thread-safe; {@code submit} never blocks. Steps run on the threads that complete their
 * inputs (replica threads for deployment calls), on the pipeline's executor ({@link Task#blocking}), or on
 * the scheduler's thread after a backoff.
 *
 * @param <I> input type
 * @param <O> output type
 *
 * <p>Length: over 500 lines because the builder's small nested types ({@link Builder}, {@link StepRef},
 * {@link Inputs}) live here beside the pipeline, so its whole API reads in one file; running a request is
 * {@code PipelineRun} and {@code Attempt}, package-private.
 */
public final class Pipeline<I, O> {
    private static final Logger LOG = LoggerFactory.getLogger(Pipeline.class);
    private static final ExecutorService DEFAULT_EXECUTOR = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "sluice-pipeline-worker");
        t.setDaemon(true);
        return t;
    });

    final String name;
    final List<Node> nodes;
    final int output;
    final int maxInFlight;
    final Ticker ticker;
    final Scheduler scheduler;
    final Executor executor;
    private final Consumer<Trace> onTrace;
    private final AtomicInteger inFlight = new AtomicInteger();
    private final LatencyAdmission admission;
    private final ToLongFunction<? super I> work;

    private Pipeline(Builder<I> b, int output) {
        this.name = b.name;
        this.nodes = List.copyOf(b.nodes);
        this.output = output;
        this.maxInFlight = b.maxInFlight;
        this.ticker = b.ticker;
        this.scheduler = b.scheduler;
        this.executor = b.executor;
        this.onTrace = b.onTrace;
        // With the steps' deployments all on one runtime, admission knows how busy its CPUs were while it measured.
        this.admission = new LatencyAdmission(b.name, b.latencyBoundNanos,
                b.meters.size() == 1 ? b.meters.iterator().next() : null);
        @SuppressWarnings("unchecked")
        ToLongFunction<? super I> w = (ToLongFunction<? super I>) b.work;
        this.work = w;
    }

    /** Starts a pipeline named {@code name} whose input is of type {@code I}. */
    public static <I> Builder<I> builder(String name) {
        return new Builder<>(name);
    }

    public String name() {
        return name;
    }

    /** The steps' names, in the order they were added. */
    public List<String> steps() {
        return nodes.stream().skip(1).map(n -> n.name).toList();
    }

    /** Requests submitted and not yet ended. */
    public int inFlight() {
        return inFlight.get();
    }

    /** Runs the pipeline on {@code input}, without a deadline. Never blocks. */
    public CompletableFuture<Result<O>> submit(I input) {
        return start(input, null);
    }

    /**
     * Runs the pipeline on {@code input}; every step must end within {@code deadline} of now, and deployment
     * requests carry what is left of it (an expired one never reaches its model).
     */
    public CompletableFuture<Result<O>> submit(I input, Duration deadline) {
        Objects.requireNonNull(deadline, "deadline");
        return start(input, deadline);
    }

    private CompletableFuture<Result<O>> start(I input, Duration deadline) {
        if (input == null) {
            return CompletableFuture.failedFuture(new InvalidInputException("pipeline '" + name + "': input must not be null"));
        }
        if (inFlight.incrementAndGet() > maxInFlight) {
            inFlight.decrementAndGet();
            return CompletableFuture.failedFuture(new OverloadedException(name, OverloadedException.Limit.IN_FLIGHT, maxInFlight));
        }
        long units = workOf(input);
        long now = ticker.read();
        LatencyAdmission.Decision d = admission.admit(units, now, deadline == null ? Long.MAX_VALUE : nanos(deadline));
        if (d.refusal() != null) {
            inFlight.decrementAndGet();
            return CompletableFuture.failedFuture(d.refusal());
        }
        PipelineRun<I, O> run = new PipelineRun<>(this, deadline, now, units, d.alone());
        run.start(input);
        return run;
    }

    /** The input's work weight: 1 without a work function; a function that fails or answers below 1 counts 1. */
    private long workOf(I input) {
        if (work == null) {
            return 1;
        }
        try {
            return Math.max(1, work.applyAsLong(input));
        } catch (RuntimeException e) {
            LOG.debug("Pipeline '{}': the work function failed on an input; it counts as 1", name, e);
            return 1;
        }
    }

    private static long nanos(Duration d) {
        try {
            return d.toNanos();
        } catch (ArithmeticException tooLong) {
            return Long.MAX_VALUE;
        }
    }

    /** Called once per run when it has ended or was cancelled; {@code succeeded} when it ended with a value. */
    void ended(PipelineRun<I, O> run, boolean succeeded) {
        inFlight.decrementAndGet();
        long now = ticker.read();
        admission.ended(run.work, now - run.startedAt, run.admittedAlone, succeeded, now);
    }

    /**
     * What the pipeline's admission measured and bounds now (see the class's "Admission").
     *
     * @param bounded whether the latency bound applies (false when switched off with {@link Builder#unboundedLatency})
     * @param workPerSecond the smoothed rate at which it could finish work: what it finished while busy with company
     *     (more than one run at a time on average), divided by the share of its runtime's CPU budget held meanwhile
     *     where that was at least half; 0 until measured
     * @param idleLatency the latency of a request that ran alone, smoothed; null until one did
     * @param latencyBound the bound a new request's expected latency is held to; null while there is none
     * @param inFlight requests in flight
     * @param workInFlight their work
     * @param refused requests refused for their expected latency so far
     * @param budgetUtilization the share of the runtime's CPU budget held by model calls over the last rate
     *     sample, 0 to 1; NaN before the first, or when the steps call no deployment or deployments of several runtimes
     */
    public record AdmissionStatus(boolean bounded, double workPerSecond, Duration idleLatency, Duration latencyBound,
            int inFlight, long workInFlight, long refused, double budgetUtilization) {}

    /** A snapshot of the admission's measurements and bound. */
    public AdmissionStatus admission() {
        return admission.status();
    }

    /** Hands a finished run's trace to the listener, if any; a listener that throws is logged and ignored. */
    void traced(Trace trace) {
        if (onTrace == null) {
            return;
        }
        try {
            onTrace.accept(trace);
        } catch (RuntimeException e) {
            LOG.warn("The trace listener of pipeline '{}' threw; ignored", name, e);
        }
    }

    @Override
    public String toString() {
        return "Pipeline[" + name + ", steps " + steps() + "]";
    }

    // ---------------------------------------------------------------- the graph

    /** One step of the graph: where its input comes from and what it does. */
    static final class Node {
        /** The input of a step with one input: that input's value. */
        static final Function<Object[], Object> SINGLE = v -> v[0];

        final String name;
        final int[] deps;
        /** Builds the step's input from its dependencies' values (in {@code deps} order). */
        final Function<Object[], Object> assemble;
        final Task.Body<Object, Object> body;
        /** A quick function of the step's input, called directly by the executor; null for other tasks. */
        final Function<Object, Object> inline;
        RetryPolicy retry = RetryPolicy.none();
        long timeoutNanos = Long.MAX_VALUE;
        Function<Throwable, Object> fallback;

        Node(String name, int[] deps, Function<Object[], Object> assemble, Task.Body<Object, Object> body,
                Function<Object, Object> inline) {
            this.name = name;
            this.deps = deps;
            this.assemble = assemble;
            this.body = body;
            this.inline = inline;
        }
    }

    /** The values a {@code join} step was given, by the refs it named. */
    public static final class Inputs {
        private final Map<Ref<?>, Object> values;

        Inputs(Map<Ref<?>, Object> values) {
            this.values = values;
        }

        /** @throws IllegalArgumentException if {@code ref} is not one of the step's inputs */
        @SuppressWarnings("unchecked")
        public <T> T get(Ref<T> ref) {
            if (!values.containsKey(ref)) {
                throw new IllegalArgumentException("'" + ref.step + "' is not an input of this step; inputs: "
                        + values.keySet().stream().map(r -> r.step).toList());
            }
            return (T) values.get(ref);
        }
    }

    /** A step's output that may still be given a fallback. */
    public static final class StepRef<T> extends Ref<T> {
        private final Node node;

        StepRef(Builder<?> owner, int index, Node node) {
            super(owner, index, node.name);
            this.node = node;
        }

        /** When the step fails for good, the pipeline goes on with {@code value} instead (shown in the trace). */
        public StepRef<T> orElse(T value) {
            return orElseGet(e -> value);
        }

        /** When the step fails for good, the pipeline goes on with what {@code fallback} makes of the failure. */
        public StepRef<T> orElseGet(Function<? super Throwable, ? extends T> fallback) {
            Objects.requireNonNull(fallback, "fallback");
            owner.checkOpen();
            node.fallback = fallback::apply;
            return this;
        }
    }

    /**
     * Builds a {@link Pipeline}. Every step names the refs it takes, which must come from this builder;
     * names must be unique. Not thread-safe.
     */
    public static final class Builder<I> {
        final String name;
        final List<Node> nodes = new ArrayList<>();
        private final Set<String> names = new HashSet<>();
        private final Ref<I> input;
        int maxInFlight = 1024;
        long latencyBoundNanos;
        ToLongFunction<?> work;
        Ticker ticker = Ticker.system();
        Scheduler scheduler = Scheduler.system();
        Executor executor = DEFAULT_EXECUTOR;
        Consumer<Trace> onTrace;
        /** The CPU meters of the runtimes whose deployments the steps call, in the order first called. */
        final Set<CpuMeter> meters = new LinkedHashSet<>();
        private boolean built;

        private Builder(String name) {
            Objects.requireNonNull(name, "name");
            if (name.isBlank()) {
                throw new IllegalArgumentException("pipeline name must not be blank");
            }
            this.name = name;
            nodes.add(new Node("input", new int[0], v -> null, null, null));
            names.add("input");
            this.input = new Ref<>(this, 0, "input");
        }

        /** The pipeline's input. */
        public Ref<I> input() {
            return input;
        }

        /**
         * Starts a step named {@code stepName}: set its options, then say what it does.
         *
         * @throws IllegalArgumentException if the name is blank or already taken
         */
        public Step step(String stepName) {
            checkOpen();
            Objects.requireNonNull(stepName, "step name");
            if (stepName.isBlank()) {
                throw new IllegalArgumentException("pipeline '" + name + "': step name must not be blank");
            }
            if (names.contains(stepName)) {
                throw new IllegalArgumentException("pipeline '" + name + "': step name '" + stepName + "' is taken"
                        + ("input".equals(stepName) ? " by the pipeline's input" : " by an earlier step"));
            }
            return new Step(stepName);
        }

        /** Requests in flight at most; past it {@code submit} fails at once with OverloadedException. Default 1024. */
        public Builder<I> maxInFlight(int max) {
            if (max < 1) {
                throw new IllegalArgumentException("maxInFlight must be at least 1, was " + max);
            }
            this.maxInFlight = max;
            return this;
        }

        /**
         * A fixed latency bound: a request whose expected latency (the work in flight at the rate the pipeline
         * finishes work) exceeds it is refused at once ({@link OverloadedException.Limit#EXPECTED_LATENCY}).
         * Default: {@value LatencyAdmission#DEFAULT_MULTIPLE} times the latency of a request that runs alone,
         * as measured.
         */
        public Builder<I> latencyBound(Duration bound) {
            Objects.requireNonNull(bound, "bound");
            if (bound.isNegative() || bound.isZero()) {
                throw new IllegalArgumentException("pipeline '" + name + "': latencyBound must be positive, was " + bound);
            }
            this.latencyBoundNanos = nanos(bound);
            return this;
        }

        /**
         * No latency bound: only {@code maxInFlight} and the requests' own deadlines limit what is admitted
         * (the behaviour before admission was measured). For a caller that bounds its own concurrency.
         */
        public Builder<I> unboundedLatency() {
            this.latencyBoundNanos = -1;
            return this;
        }

        /**
         * The work a request brings, in any unit that grows with what its steps will cost (an image's pixels,
         * a document's pages): admission then measures the rate in that unit and weighs each request by it.
         * Called once per {@code submit}, on the caller's thread; it must be cheap. An answer below 1, or a
         * function that throws, counts as 1. Default: every request is 1.
         */
        public Builder<I> work(ToLongFunction<? super I> workOfInput) {
            this.work = Objects.requireNonNull(workOfInput, "workOfInput");
            return this;
        }

        /** The clock of the trace and of deadlines. Default {@link Ticker#system()}. */
        public Builder<I> ticker(Ticker ticker) {
            this.ticker = Objects.requireNonNull(ticker, "ticker");
            return this;
        }

        /** Runs timeouts and retry backoffs. Default {@link Scheduler#system()}. */
        public Builder<I> scheduler(Scheduler scheduler) {
            this.scheduler = Objects.requireNonNull(scheduler, "scheduler");
            return this;
        }

        /**
         * Called with the trace of every request once all its steps have ended (succeeded, failed or
         * cancelled), on the thread that ended the last one: to log slow requests, or to export spans
         * ({@link OpenTelemetryTraces#exporter}). None by default.
         */
        public Builder<I> onTrace(Consumer<Trace> listener) {
            this.onTrace = Objects.requireNonNull(listener, "listener");
            return this;
        }

        /** Runs {@link Task#blocking} steps. Default: a shared pool of daemon threads. */
        public Builder<I> executor(Executor executor) {
            this.executor = Objects.requireNonNull(executor, "executor");
            return this;
        }

        /**
         * The pipeline whose result is {@code output}.
         *
         * @throws IllegalArgumentException if {@code output} comes from another builder
         */
        public <O> Pipeline<I, O> build(Ref<O> output) {
            checkOpen();
            check(output, "the pipeline's output");
            built = true;
            return new Pipeline<>(this, output.index);
        }

        void checkOpen() {
            if (built) {
                throw new IllegalStateException("pipeline '" + name + "' was built; its builder cannot change it");
            }
        }

        private void check(Ref<?> ref, String usedBy) {
            Objects.requireNonNull(ref, () -> usedBy + ": an input ref is null");
            if (ref.owner != this) {
                throw new IllegalArgumentException("pipeline '" + name + "': " + usedBy + " takes '" + ref.step
                        + "', which is not a step of this pipeline (it comes from pipeline '" + ref.owner.name + "')");
            }
        }

        private <T> StepRef<T> add(String stepName, Ref<?>[] inputs, Function<Object[], Object> assemble,
                Task.Body<Object, Object> body, Function<Object, Object> inline, RetryPolicy retry, long timeoutNanos) {
            checkOpen();
            int[] deps = new int[inputs.length];
            for (int i = 0; i < inputs.length; i++) {
                check(inputs[i], "step '" + stepName + "'");
                deps[i] = inputs[i].index;
            }
            if (names.contains(stepName)) {
                throw new IllegalArgumentException("pipeline '" + name + "': step name '" + stepName + "' is taken");
            }
            Node node = new Node(stepName, deps, assemble, body, inline);
            node.retry = retry;
            node.timeoutNanos = timeoutNanos;
            nodes.add(node);
            names.add(stepName);
            return new StepRef<>(this, nodes.size() - 1, node);
        }

        /** One step being added: its options, then what it does (which adds it). */
        public final class Step {
            private final String stepName;
            private RetryPolicy retry = RetryPolicy.none();
            private long timeoutNanos = Long.MAX_VALUE;
            private boolean added;

            private Step(String stepName) {
                this.stepName = stepName;
            }

            /** How this step retries. Default {@link RetryPolicy#none()}. */
            public Step retry(RetryPolicy policy) {
                this.retry = Objects.requireNonNull(policy, "retry");
                return this;
            }

            /**
             * Each attempt of this step may take at most {@code timeout}; a late one is cancelled and fails with
             * {@link StepTimeoutException} (its work may have reached a model), which the step's retry policy
             * may retry. A step without a timeout still ends when the request's deadline passes.
             */
            public Step timeout(Duration timeout) {
                Objects.requireNonNull(timeout, "timeout");
                if (timeout.isNegative() || timeout.isZero()) {
                    throw new IllegalArgumentException("step '" + stepName + "': timeout must be positive, was " + timeout);
                }
                this.timeoutNanos = timeout.toNanos();
                return this;
            }

            /** Runs {@code task} on the value of {@code in}. */
            @SuppressWarnings("unchecked")
            public <A, O> StepRef<O> run(Task<A, O> task, Ref<? extends A> in) {
                Objects.requireNonNull(task, "task");
                Task.Body<Object, Object> body = (Task.Body<Object, Object>) (Task.Body<?, ?>) task.body;
                if (task.deployment instanceof CpuMeter.Source source) {
                    meters.add(source.cpuMeter());
                }
                return done(new Ref<?>[] {in}, Node.SINGLE, body, task.inline);
            }

            /** Calls a deployment with the value of {@code in}: {@code run(Task.call(deployment), in)}. */
            public <A, O> StepRef<O> call(DeploymentHandle<A, O> deployment, Ref<? extends A> in) {
                return run(Task.call(deployment), in);
            }

            /** Calls a deployment once per element of a list, in order: {@code run(Task.each(deployment), list)}. */
            public <A, O> StepRef<List<O>> each(DeploymentHandle<A, O> deployment, Ref<? extends List<A>> list) {
                return run(Task.each(deployment), list);
            }

            /** A quick function of one earlier output, run inline. */
            public <A, O> StepRef<O> apply(Function<? super A, ? extends O> function, Ref<? extends A> in) {
                return run(Task.of(function), in);
            }

            /** A quick function of two earlier outputs, run inline: a join. */
            @SuppressWarnings("unchecked")
            public <A, B, O> StepRef<O> apply(BiFunction<? super A, ? super B, ? extends O> function,
                    Ref<? extends A> a, Ref<? extends B> b) {
                Objects.requireNonNull(function, "function");
                Function<Object, Object> both = in -> {
                    Object[] v = (Object[]) in;
                    return function.apply((A) v[0], (B) v[1]);
                };
                return done(new Ref<?>[] {a, b}, v -> v,
                        (in, attempt) -> CompletableFuture.completedFuture(both.apply(in)), both);
            }

            /** A quick function of any number of earlier outputs, read through {@link Inputs}: a join. */
            public <O> StepRef<O> join(Function<Inputs, ? extends O> function, Ref<?>... inputs) {
                Objects.requireNonNull(function, "function");
                Ref<?>[] refs = inputs.clone();
                return done(refs, v -> {
                    Map<Ref<?>, Object> byRef = new LinkedHashMap<>();
                    for (int i = 0; i < refs.length; i++) {
                        byRef.put(refs[i], v[i]);
                    }
                    return new Inputs(byRef);
                }, (in, attempt) -> CompletableFuture.completedFuture(function.apply((Inputs) in)),
                        in -> function.apply((Inputs) in));
            }

            /**
             * Runs one of {@code branches}: the one named by what {@code selector} answers for the value of
             * {@code in}. The others never run; the trace says which ran and why.
             *
             * @throws IllegalArgumentException if two branches share a name or there are none
             */
            @SafeVarargs
            @SuppressWarnings("unchecked")
            public final <A, O> StepRef<O> choose(Ref<? extends A> in, Function<? super A, String> selector,
                    Branch<A, O>... branches) {
                Objects.requireNonNull(selector, "selector");
                Map<String, Branch<A, O>> byName = branchesByName(branches);
                return done(new Ref<?>[] {in}, Node.SINGLE, (input, attempt) -> {
                    String key = selector.apply((A) input);
                    Branch<A, O> branch = byName.get(key);
                    if (branch == null) {
                        throw new IllegalArgumentException("step '" + stepName + "': the selector answered '" + key
                                + "', which names no branch; branches: " + byName.keySet());
                    }
                    attempt.note("branch '" + branch.name + "' (selector answered '" + key + "')");
                    return (CompletableFuture<Object>) branch.task.body.start((A) input, attempt);
                }, null);
            }

            /**
             * Runs one of {@code branches}, picked at random in proportion to their weights: a canary split
             * (90% to one deployment, 10% to another). With a {@code key} function that answers non-null, the
             * pick is a hash of the key, so a given key always takes the same branch. The trace says which
             * branch ran and why.
             *
             * @param key the request's key, or null for a random pick; the function may be null
             * @throws IllegalArgumentException if two branches share a name, there are none, or no weight is positive
             */
            @SafeVarargs
            @SuppressWarnings("unchecked")
            public final <A, O> StepRef<O> split(Ref<? extends A> in, Function<? super A, ?> key, Branch<A, O>... branches) {
                Map<String, Branch<A, O>> byName = branchesByName(branches);
                List<Branch<A, O>> list = List.copyOf(byName.values());
                double total = list.stream().mapToDouble(b -> b.weight).sum();
                if (!(total > 0)) {
                    throw new IllegalArgumentException("step '" + stepName + "': no branch has a positive weight");
                }
                return done(new Ref<?>[] {in}, Node.SINGLE, (input, attempt) -> {
                    Object k = key == null ? null : key.apply((A) input);
                    double u = k == null ? ThreadLocalRandom.current().nextDouble() : unit(k);
                    double at = u * total;
                    Branch<A, O> pick = list.get(list.size() - 1);
                    double sum = 0;
                    for (Branch<A, O> b : list) {
                        sum += b.weight;
                        if (at < sum && b.weight > 0) {
                            pick = b;
                            break;
                        }
                    }
                    attempt.note(String.format(Locale.ROOT, "branch '%s' (weight %s of %s, %s)", pick.name,
                            trim(pick.weight), trim(total), k == null ? "random pick" : "key '" + k + "'"));
                    return (CompletableFuture<Object>) pick.task.body.start((A) input, attempt);
                }, null);
            }

            private <A, O> Map<String, Branch<A, O>> branchesByName(Branch<A, O>[] branches) {
                if (branches.length == 0) {
                    throw new IllegalArgumentException("step '" + stepName + "': a routing step needs at least one branch");
                }
                Map<String, Branch<A, O>> byName = new LinkedHashMap<>();
                for (Branch<A, O> b : branches) {
                    Objects.requireNonNull(b, "branch");
                    if (byName.put(b.name, b) != null) {
                        throw new IllegalArgumentException("step '" + stepName + "': two branches are named '" + b.name + "'");
                    }
                }
                return byName;
            }

            private <O> StepRef<O> done(Ref<?>[] inputs, Function<Object[], Object> assemble, Task.Body<Object, Object> body,
                    Function<Object, Object> inline) {
                if (added) {
                    throw new IllegalStateException("step '" + stepName + "' was already added");
                }
                StepRef<O> ref = add(stepName, inputs, assemble, body, inline, retry, timeoutNanos);
                added = true;
                return ref;
            }
        }
    }

    /** A key's place in [0, 1), the same for equal keys in every run. */
    static double unit(Object key) {
        long h = key.hashCode() * 0x9E3779B97F4A7C15L;
        h ^= h >>> 32;
        h *= 0xBF58476D1CE4E5B9L;
        h ^= h >>> 29;
        return (h >>> 11) * 0x1.0p-53;
    }

    private static String trim(double d) {
        return d == Math.rint(d) ? Long.toString((long) d) : Double.toString(d);
    }

    static String describe(int[] deps, List<Node> nodes) {
        return Arrays.stream(deps).mapToObj(d -> nodes.get(d).name).toList().toString();
    }
}
