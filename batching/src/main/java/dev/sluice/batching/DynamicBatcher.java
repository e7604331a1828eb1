package dev.sluice.batching;

import dev.sluice.batching.internal.BatcherAccess;
import dev.sluice.batching.internal.BatchingLimits;
import dev.sluice.batching.internal.WorkerBatcher;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;

/**
 * Collects single requests into batches for a {@link BatchFunction}.
 *
 * <p>Requests wait in one bounded queue. A batch is formed only when a worker is free (late binding),
 * from whatever waits, up to the size the {@link BatchPolicy} chooses (at most {@code maxBatchSize}); the
 * policy also decides whether the free worker first waits a little for company, never past
 * {@code maxDelay}. The default policy chooses from the batcher's measured cost of each batch size
 * ({@link #costCurve()}): full batches where a call has a large fixed cost, small ones where larger
 * batches cost as much or more per input. At most {@code maxConcurrentBatches} batches run at once.
 *
 * <p>Admission is bounded twice, and neither bound blocks: by count ({@code queueCapacity}) and by the wait a
 * new request can expect ({@code maxQueueDelay}): the requests queued ahead of it, at the cost per input the
 * batcher measured for batches of the size its policy aims for, shared over its workers. A request that would
 * wait longer than the bound, or than its own timeout, is refused at once with {@link OverloadedException}
 * ({@link OverloadedException#retryAfter()} says when there should be room). The default bound follows the
 * measurements (see {@link Builder#maxQueueDelay}), so under overload what is admitted keeps a bounded wait
 * without any tuning; nothing is refused for its wait before the first measurements.
 *
 * <p>Every future returned by {@code submit} completes exactly once: with the function's output for that
 * input, or with {@link OverloadedException} (queue full, or too long a wait expected),
 * {@link DeadlineExceededException} (deadline passed before dispatch), {@link ModelException} (the function failed for it),
 * {@link InvalidInputException} (a null input, or the function rejected that input),
 * {@link ShutdownException} (closed), or as cancelled by its caller. {@code submit} never throws for bad
 * input. A request cancelled or expired before dispatch never reaches the function.
 *
 * <p>Threading: all methods are thread-safe; {@code submit} never blocks. A refused request's future has
 * failed before {@code submit} returns; the others complete on the batcher's threads (the threads that run
 * batches for results and model failures; the batch former, or a worker forming its next batch, for
 * expiries), so dependent stages added with non-async methods run there: keep them short, or use the
 * {@code *Async} variants. {@link BatchObserver} says which thread makes each observer call.
 *
 * <pre>{@code
 * DynamicBatcher<float[], float[]> b = DynamicBatcher.builder((List<float[]> in) -> model.run(in))
 *     .maxBatchSize(32).maxDelay(Duration.ofMillis(2))
 *     .build();
 * CompletableFuture<float[]> y = b.submit(x, Duration.ofMillis(50));
 * }</pre>
 *
 * @param <I> input type
 * @param <O> output type
 */
public interface DynamicBatcher<I, O> extends AutoCloseable {

    /**
     * Queues one input. Never blocks and never throws for bad input: a null input
     * ({@link InvalidInputException}), a full queue, too long an expected wait or a closed batcher fails the
     * returned future at once.
     * A null input is not an admission decision, so observers are not told of it.
     */
    CompletableFuture<O> submit(I input);

    /**
     * Queues one input that must be handed to the function within {@code timeout}; if it is not, its future
     * fails with {@link DeadlineExceededException} when the deadline passes (also while every worker is busy)
     * and the function never sees it. The deadline bounds the wait before the function first sees the input,
     * not the function's run time, nor the retries of failure isolation once it has seen it. A null
     * input fails the returned future with {@link InvalidInputException}, as in {@link #submit(Object)}.
     *
     * @throws NullPointerException if {@code timeout} is null (a programming error, not bad input)
     */
    CompletableFuture<O> submit(I input, Duration timeout);

    /** The name given at build time, used in error messages and observer calls. */
    String name();

    /** Requests admitted and not yet dispatched, expired or cancelled. */
    int queueDepth();

    /** The most inputs one batch holds. */
    int maxBatchSize();

    /** Batches running now. */
    int runningBatches();

    /**
     * What the batcher has measured of its function's cost, by batch size, and the batch size its policy aims
     * for: a snapshot, made on each call (not on a hot path). Thread-safe.
     */
    CostCurve costCurve();

    /**
     * The admission by expected queue delay as it stands: its bound, the wait a request submitted now could
     * expect, and how many requests it refused. A snapshot, made on each call. Thread-safe.
     */
    QueueDelayStatus queueDelay();

    /** Whether {@link #close} has been called. */
    boolean isClosed();

    /**
     * Stops admitting (new submissions fail with {@link ShutdownException}), lets admitted requests
     * finish, and ends the batcher's threads; waits at most the builder's {@code closeGracePeriod}, then
     * behaves as {@link #close(Duration)} past its grace. Idempotent. Called on one of the batcher's own
     * threads (from the function, or from a dependent stage of one of its futures), it starts the shutdown
     * and returns at once instead of waiting for itself.
     */
    @Override
    void close();

    /**
     * As {@link #close()}, waiting at most {@code grace}: whatever is still queued or running then fails
     * with {@link ShutdownException}, and the batcher's own worker threads are interrupted. Returns when
     * the batcher's threads have ended (a function that ignores interruption may keep its thread alive).
     * A grace too long to count in nanoseconds (about 292 years) waits without bound.
     *
     * <p>The argument is checked before anything changes: a refused call leaves the batcher open and
     * serving, so a later close still ends every future.
     *
     * @throws NullPointerException if {@code grace} is null
     * @throws IllegalArgumentException if {@code grace} is negative
     */
    void close(Duration grace);

    /**
     * What the batcher did with the request behind {@code future}: how long it waited in the queue, the size
     * of the batch it first reached the function in, and the worker (replica) that ran it. Read it once the
     * future has completed.
     *
     * @return the dispatch, or null if the future is not one a batcher returned (or a copy of one) nor a
     *     {@link dev.sluice.batching.internal.DispatchSource} (a remote request, which names its server), or its
     *     request never reached the function (refused, expired, cancelled while queued)
     */
    static Dispatch dispatchOf(CompletableFuture<?> future) {
        if (future instanceof PendingRequest<?, ?> r) {
            return r.dispatch();
        }
        return future instanceof dev.sluice.batching.internal.DispatchSource d ? d.dispatch() : null;
    }

    /**
     * Starts a builder for a batcher that feeds {@code function}.
     *
     * @throws NullPointerException if {@code function} is null
     */
    static <I, O> Builder<I, O> builder(BatchFunction<I, O> function) {
        return new Builder<>(Objects.requireNonNull(function, "function"));
    }

    /**
     * Configures a {@link DynamicBatcher}. Setters validate at once and throw
     * {@link IllegalArgumentException} naming the field; a builder may build several batchers, except that
     * a {@link BatchPolicy} instance must not be shared between them.
     */
    final class Builder<I, O> {
        static {
            BatcherAccess.open(new BatcherAccess.Door() {
                @Override
                public <I, O> Builder<I, O> workerBuilder() {
                    return new Builder<>(null);
                }
            });
        }

        final BatchFunction<I, O> function;
        String name = "batcher";
        int maxBatchSize = BatchingLimits.DEFAULT_MAX_BATCH_SIZE;
        Duration maxDelay = BatchingLimits.DEFAULT_MAX_DELAY;
        int queueCapacity = BatchingLimits.DEFAULT_QUEUE_CAPACITY;
        int maxConcurrentBatches = 1;
        boolean maxConcurrentBatchesSet;
        Executor executor;
        BatchPolicy policy;
        boolean isolateFailures = true;
        BatchObserver observer = BatchObserver.none();
        Ticker ticker = Ticker.system();
        Duration closeGracePeriod = BatchingLimits.DEFAULT_CLOSE_GRACE_PERIOD;
        /** A fixed bound (positive), 0 for the default measured one, -1 for none. */
        long maxQueueDelayNanos;

        Builder(BatchFunction<I, O> function) {
            this.function = function;
        }

        /** Name used in thread names, error messages and observer calls. Default {@code "batcher"}. */
        public Builder<I, O> name(String name) {
            Objects.requireNonNull(name, "name");
            if (name.isBlank()) {
                throw new IllegalArgumentException("name must not be blank");
            }
            this.name = name;
            return this;
        }

        /**
         * Most inputs per call of the function, at least 1. Default 32. The default policy forms smaller
         * batches where its measurements say larger ones do not pay.
         */
        public Builder<I, O> maxBatchSize(int maxBatchSize) {
            this.maxBatchSize = BatchingLimits.maxBatchSize(maxBatchSize);
            return this;
        }

        /**
         * Longest a request waits for company once a worker is free to take it (zero: never wait).
         * Default 2 ms. It does not bound the wait for a free worker.
         */
        public Builder<I, O> maxDelay(Duration maxDelay) {
            this.maxDelay = BatchingLimits.maxDelay(maxDelay);
            return this;
        }

        /** Most requests waiting for dispatch; beyond it, submissions fail with {@link OverloadedException}. Default 4096. */
        public Builder<I, O> queueCapacity(int queueCapacity) {
            this.queueCapacity = BatchingLimits.queueCapacity(queueCapacity);
            return this;
        }

        /**
         * A fixed bound on the wait a new request can expect: when the requests queued ahead of it, at the cost
         * per input the batcher measured for batches of the size its policy aims for, shared over its workers,
         * would keep it waiting for dispatch longer than this (or than its own timeout), it is refused at once
         * with {@link OverloadedException} ({@link OverloadedException.Limit#QUEUE_DELAY}, with a
         * {@code retryAfter}). Positive, at most one day.
         *
         * <p>Default: {@value BatchingLimits#DEFAULT_QUEUE_DELAY_MULTIPLE} times the measured time of a batch of
         * the size the policy aims for, at least one second; that is, a request is refused when more than
         * {@value BatchingLimits#DEFAULT_QUEUE_DELAY_MULTIPLE} such batches per worker wait ahead of it. Either
         * way nothing is refused for its wait before the batcher has measured a batch size twice, nor with nothing
         * queued ahead, nor when a pipeline that admitted the request submits it (one of its steps).
         */
        public Builder<I, O> maxQueueDelay(Duration maxQueueDelay) {
            this.maxQueueDelayNanos = BatchingLimits.maxQueueDelay(maxQueueDelay).toNanos();
            return this;
        }

        /**
         * No bound on the expected wait: only {@code queueCapacity} limits what is admitted (and requests'
         * deadlines what is dispatched). For a caller that bounds its own load.
         */
        public Builder<I, O> unboundedQueueDelay() {
            this.maxQueueDelayNanos = -1;
            return this;
        }

        /** Most calls of the function running at once, at least 1. Default 1. */
        public Builder<I, O> maxConcurrentBatches(int maxConcurrentBatches) {
            if (maxConcurrentBatches < 1) {
                throw new IllegalArgumentException("maxConcurrentBatches must be at least 1, was " + maxConcurrentBatches);
            }
            this.maxConcurrentBatches = maxConcurrentBatches;
            this.maxConcurrentBatchesSet = true;
            return this;
        }

        /**
         * Runs batches on the caller's executor instead of the batcher's own threads (one per concurrent
         * batch). The batcher never gives it more than {@code maxConcurrentBatches} tasks at once and does not
         * shut it down. A task it rejects fails that batch with {@link ModelException}. Under sustained load a
         * task runs batch after batch until the queue runs empty, so give the batcher threads it may keep;
         * the executor must not run tasks on the submitting thread (no caller-runs policy), or deadlines
         * are not timed while that batch runs.
         */
        public Builder<I, O> executor(Executor executor) {
            this.executor = Objects.requireNonNull(executor, "executor");
            return this;
        }

        /**
         * How many waiting requests a free worker takes and whether it first waits for company:
         * {@link BatchPolicy#adaptive()} (default: sizes from the measured cost curve), {@link BatchPolicy#eager()}
         * or {@link BatchPolicy#fixed()} (both fill batches up to {@code maxBatchSize}), or one of your own.
         */
        public Builder<I, O> policy(BatchPolicy policy) {
            this.policy = Objects.requireNonNull(policy, "policy");
            return this;
        }

        /**
         * When on (the default), a batch whose function call throws is split in halves and retried, down to
         * single inputs, so that only the inputs that fail alone fail. When off, every input of the batch
         * fails with the same {@link ModelException}.
         */
        public Builder<I, O> isolateFailures(boolean isolateFailures) {
            this.isolateFailures = isolateFailures;
            return this;
        }

        /** Receives batch, rejection, expiry and cancellation events; replaces the observers set before. */
        public Builder<I, O> observer(BatchObserver observer) {
            this.observer = Objects.requireNonNull(observer, "observer");
            return this;
        }

        /**
         * Adds an observer beside those set before, told after them (e.g. a runtime's metrics beside a
         * deployment's own observer). One observer's exception does not keep the others from being told.
         */
        public Builder<I, O> addObserver(BatchObserver more) {
            Objects.requireNonNull(more, "observer");
            this.observer = observer == BatchObserver.none() ? more : new BothObservers(observer, more);
            return this;
        }

        /**
         * Clock for every timing decision. Default {@link Ticker#system()}. For tests, a {@link ManualTicker}:
         * each move wakes the batcher, which then decides with the new time (so a test moves time instead of
         * sleeping). Any other ticker is taken to run at about the speed of real time: the batcher sleeps
         * until the reading it waits for is due in real time, and reads the ticker again when it wakes.
         */
        public Builder<I, O> ticker(Ticker ticker) {
            this.ticker = Objects.requireNonNull(ticker, "ticker");
            return this;
        }

        /** How long {@link DynamicBatcher#close()} waits for admitted work. Default 30 s. */
        public Builder<I, O> closeGracePeriod(Duration closeGracePeriod) {
            this.closeGracePeriod = BatchingLimits.closeGracePeriod(closeGracePeriod);
            return this;
        }

        /**
         * Builds and starts a batcher that runs {@code function} on its own workers (its former thread starts
         * now; worker threads on first use).
         *
         * @throws IllegalStateException if this builder came from the runtime's worker batcher builder
         */
        public DynamicBatcher<I, O> build() {
            if (function == null) {
                throw new IllegalStateException("this builder has no function: it builds a WorkerBatcher, use buildWithWorkers()");
            }
            return new LateBindingBatcher<>(this, false);
        }

        /**
         * Builds a batcher with no workers of its own; batches run on the workers added to it. Not API: for
         * the Sluice runtime, from a builder of {@link WorkerBatcher#builder()}; it may change or go without
         * notice.
         *
         * @throws IllegalStateException if this builder was given a function, an executor or
         *     maxConcurrentBatches, which only apply to a batcher with its own workers
         */
        public WorkerBatcher<I, O> buildWithWorkers() {
            if (function != null) {
                throw new IllegalStateException("this builder has a function: build() it, or start from WorkerBatcher.builder()");
            }
            if (executor != null) {
                throw new IllegalStateException("executor does not apply to a WorkerBatcher: each worker brings its own");
            }
            if (maxConcurrentBatchesSet) {
                throw new IllegalStateException("maxConcurrentBatches does not apply to a WorkerBatcher: each worker runs one batch at a time");
            }
            return new LateBindingBatcher<>(this, true);
        }
    }
}
