package dev.sluice;

import dev.sluice.batching.DeadlineExceededException;
import dev.sluice.batching.InvalidInputException;
import dev.sluice.batching.ModelException;
import dev.sluice.batching.OverloadedException;
import dev.sluice.batching.ShutdownException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeoutException;

/**
 * Submits requests to one deployment of a {@link Sluice} runtime, and changes it.
 *
 * <p>Every future returned by {@code submit} completes exactly once: with the model's output for that
 * input, or with {@link InvalidInputException} (a null input, or the model rejected it),
 * {@link OverloadedException} (the deployment's queue is full, or the requests queued ahead would keep it
 * waiting longer than the deployment's {@code maxQueueDelay} or its own timeout, see
 * {@link Batching.Builder#maxQueueDelay}; never for a pipeline's step), {@link DeadlineExceededException} (its
 * deadline passed before a replica took it), {@link ModelException} (the model failed on it, its replica
 * was lost, or no replica can start; the message names the deployment and, where known, the replica),
 * {@link ShutdownException} (the runtime is closing or the deployment is being undeployed), or as
 * cancelled by its caller.
 *
 * <p>Threading: all methods are thread-safe; {@code submit} never blocks. Futures complete on replica
 * threads (results and model failures) or the deployment's batch former (expiries): keep dependent stages
 * short or use the {@code *Async} variants.
 *
 * @param <I> input type
 * @param <O> output type
 */
public interface DeploymentHandle<I, O> {

    String name();

    /** Queues one input for the deployment's replicas. Never blocks and never throws for bad input. */
    CompletableFuture<O> submit(I input);

    /**
     * Queues one input that must reach a replica within {@code timeout}, otherwise its future fails with
     * {@link DeadlineExceededException} and no model sees it.
     */
    CompletableFuture<O> submit(I input, Duration timeout);

    /**
     * Swaps in a new model: starts replicas from {@code factory}, moves new requests to them once they
     * run, lets the old replicas finish what they were given, then closes them. No request is lost or fails
     * because of the swap. Every other setting is kept, validator and tensor signature included
     * ({@code update(deployment().toBuilder(factory).build())}). The returned future completes when new
     * requests go to the new replicas.
     *
     * <p>New replicas start beside the old ones as far as the resources allow. Traffic moves once every new
     * replica runs, or once the ones that could be placed run and the others wait for resources the old
     * ones hold; those start when the old replicas have drained and stopped, and new requests wait in the
     * queue until then (if none could be placed, until the first one starts).
     *
     * <p>Failures, in which case the old replicas keep serving: the returned future fails with
     * {@link ModelException} if the new model factory fails {@code startAttempts} times in a row (the cause is
     * its last exception); with {@link IllegalStateException} at once if another update of this deployment
     * has not yet taken over (one update at a time: wait for its future); with {@link ShutdownException} at
     * once if the runtime is closed or closing, or later if it closes before the update takes over.
     *
     * @throws NullPointerException if {@code factory} is null
     */
    CompletableFuture<Void> update(ModelFactory<I, O> factory);

    /**
     * Like {@link #update(ModelFactory)}, with new settings as well (batching, replicas, resources, ...); the
     * returned future fails in the same cases.
     *
     * @throws IllegalArgumentException if {@code deployment} has another name, or asks per replica for what
     *     the runtime can never give (more CPUs per call than its budget has, a GPU share when it has no GPU, more GPUs than
     *     it has, more GPU memory than its largest GPU); nothing changes then
     * @throws NullPointerException if {@code deployment} is null
     */
    CompletableFuture<Void> update(Deployment<I, O> deployment);

    /** The settings the deployment runs with now (the last update's once it has taken over). */
    Deployment<I, O> deployment();

    /**
     * The version serving now together with its settings, from one read that takes no lock: for code that
     * describes the deployment on every request (a protocol adapter), where two reads could straddle a swap and
     * {@link #status()} would take the runtime's lock.
     */
    Serving<I, O> serving();

    /**
     * A version of a deployment and its settings.
     *
     * @param version 1 when deployed, +1 per update (as in {@link SluiceStatus.DeploymentStatus#version()})
     * @param deployment the settings that version runs with
     */
    record Serving<I, O>(int version, Deployment<I, O> deployment) {}

    /** This deployment's part of {@link Sluice#status()}. */
    SluiceStatus.DeploymentStatus status();

    /**
     * Waits until the deployment serves from at least {@code max(1, min)} running replicas.
     *
     * <p>Blocks the calling thread for up to {@code timeout}. Running out of time
     * changes nothing: the replicas go on starting and requests submitted meanwhile go on waiting for them.
     *
     * @throws ModelException if the model factory failed {@code startAttempts} times in a row (the cause
     *     is its last exception)
     * @throws TimeoutException if that does not happen within {@code timeout} (the message says how many
     *     replicas run)
     * @throws ShutdownException if the runtime closes, or the deployment is undeployed, meanwhile
     * @throws InterruptedException if the calling thread is interrupted while it waits
     */
    void awaitReady(Duration timeout) throws InterruptedException, TimeoutException;
}
