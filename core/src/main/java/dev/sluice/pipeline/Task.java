package dev.sluice.pipeline;

import dev.sluice.DeploymentHandle;
import dev.sluice.batching.internal.RequestOrigin;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

/**
 * The work of one pipeline step: a call to a deployment, a fan-out over a list to a deployment, or a plain
 * Java function (inline, on the pipeline's executor, or returning a future). Made by the factories below.
 *
 * @param <A> what the step takes
 * @param <O> what it produces
 */
public final class Task<A, O> {
    /** Starts one attempt. May throw: that attempt fails with it. */
    @FunctionalInterface
    interface Body<A, O> {
        CompletableFuture<O> start(A input, Attempt attempt) throws Exception;
    }

    final Body<A, O> body;
    final String kind;
    /** For a quick function: the function itself, which the executor calls directly (no future). */
    final Function<Object, Object> inline;
    /** For a call to a deployment ({@link #call}, {@link #each}): that deployment; else null. */
    final DeploymentHandle<?, ?> deployment;

    private Task(String kind, Body<A, O> body) {
        this(kind, body, null, null);
    }

    private Task(String kind, Body<A, O> body, DeploymentHandle<?, ?> deployment) {
        this(kind, body, null, deployment);
    }

    private Task(String kind, Body<A, O> body, Function<Object, Object> inline, DeploymentHandle<?, ?> deployment) {
        this.kind = kind;
        this.body = body;
        this.inline = inline;
        this.deployment = deployment;
    }

    /**
     * Submits the input to a deployment, with what is left of the pipeline's deadline (so an expired request
     * never reaches the model). Requests of many pipelines share the deployment's batches. The call counts
     * as old as the pipeline request: when calls wait for the runtime's execution budget, it goes before the
     * calls of requests submitted later.
     */
    public static <A, O> Task<A, O> call(DeploymentHandle<A, O> deployment) {
        Objects.requireNonNull(deployment, "deployment");
        return new Task<>("call " + deployment.name(), (input, attempt) -> {
            CompletableFuture<O> f = submit(deployment, input, attempt);
            return f.whenComplete((v, e) -> attempt.dispatched(f));
        }, deployment);
    }

    /**
     * Submits every element of the list to a deployment at once (they are batched with each other and with
     * other requests' elements) and gives the outputs in the list's order. The first failed element fails the
     * attempt and cancels the elements still queued; a retry resubmits only the elements that did not finish.
     */
    public static <A, O> Task<List<A>, List<O>> each(DeploymentHandle<A, O> deployment) {
        Objects.requireNonNull(deployment, "deployment");
        return new Task<>("each " + deployment.name(), (inputs, attempt) -> {
            int n = inputs.size();
            @SuppressWarnings("unchecked")
            O[] done = (O[]) attempt.memo(() -> new Object[n]);
            boolean[] have = attempt.memoFlags(n);
            CompletableFuture<List<O>> all = new CompletableFuture<>();
            AtomicInteger left = new AtomicInteger();
            List<Integer> todo = new ArrayList<>();
            synchronized (done) { // an earlier attempt's late elements may still be landing
                for (int i = 0; i < n; i++) {
                    if (!have[i]) {
                        todo.add(i);
                    }
                }
            }
            attempt.elements(n);
            if (todo.isEmpty()) {
                synchronized (done) {
                    all.complete(Arrays.asList(done.clone()));
                }
                return all;
            }
            left.set(todo.size());
            List<CompletableFuture<O>> sent = new ArrayList<>(todo.size());
            for (int i : todo) {
                CompletableFuture<O> f = submit(deployment, inputs.get(i), attempt);
                sent.add(f);
                f.whenComplete((v, e) -> {
                    attempt.dispatched(i, f);
                    if (e != null) {
                        if (all.completeExceptionally(e)) {
                            sent.forEach(other -> other.cancel(false));
                        }
                        return;
                    }
                    synchronized (done) {
                        done[i] = v;
                        have[i] = true;
                    }
                    if (left.decrementAndGet() == 0) {
                        synchronized (done) {
                            all.complete(Arrays.asList(done.clone()));
                        }
                    }
                });
            }
            return all;
        }, deployment);
    }

    /** A quick computation, run on the thread that completed the step's inputs (keep it short). */
    @SuppressWarnings("unchecked")
    public static <A, O> Task<A, O> of(Function<? super A, ? extends O> function) {
        Objects.requireNonNull(function, "function");
        return new Task<>("function", (input, attempt) -> CompletableFuture.completedFuture(function.apply(input)),
                (Function<Object, Object>) (Function<?, ?>) function, null);
    }

    /** A computation that may block (a database call): run on the pipeline's executor. */
    public static <A, O> Task<A, O> blocking(Function<? super A, ? extends O> function) {
        Objects.requireNonNull(function, "function");
        return new Task<>("blocking function", (input, attempt) -> {
            CompletableFuture<O> f = CompletableFuture.supplyAsync(() -> function.apply(input), attempt.executor());
            attempt.track(f);
            return f;
        });
    }

    /** A function that returns a future (an async client); cancelled if the step times out or is cancelled. */
    public static <A, O> Task<A, O> async(Function<? super A, ? extends CompletionStage<O>> function) {
        Objects.requireNonNull(function, "function");
        return new Task<>("async function", (input, attempt) -> {
            CompletableFuture<O> f = function.apply(input).toCompletableFuture();
            attempt.track(f);
            return f;
        });
    }

    /**
     * Submits with what is left of the deadline, and with the pipeline request's age, so that the runtime's
     * execution budget runs this step before the first steps of requests submitted after it; as work the
     * pipeline admitted, so the deployment never refuses it for its expected queue delay (refusing a step of an
     * admitted request would waste the work already done for it; the pipeline's own admission bounds the load).
     */
    private static <A, O> CompletableFuture<O> submit(DeploymentHandle<A, O> deployment, A input, Attempt attempt) {
        Duration left = attempt.remaining();
        CompletableFuture<O> f = RequestOrigin.submitAdmitted(attempt.requestAgeNanos(),
                () -> left == null ? deployment.submit(input) : deployment.submit(input, left));
        attempt.track(f);
        return f;
    }

    @Override
    public String toString() {
        return "Task[" + kind + "]";
    }
}
