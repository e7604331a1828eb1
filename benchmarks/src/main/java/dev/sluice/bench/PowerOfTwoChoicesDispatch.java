package dev.sluice.bench;

import dev.sluice.Batching;
import dev.sluice.batching.BatchFunction;
import dev.sluice.batching.DynamicBatcher;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicIntegerArray;

/**
 * Push-based dispatch, what {@link DispatchBenchmark} sets against Sluice's one shared queue: each replica
 * has its own {@link DynamicBatcher} (its own queue, one batch at a time), and each request goes to the
 * replica that power of two choices picks over the requests outstanding at each replica (queued there or
 * in its running batch), as this router counts them. A request, once routed, waits for its replica even
 * if another one is idle.
 *
 * <p>Threading: {@link #submit} must be called from one thread at a time (the random picks are not
 * shared); futures complete on the batchers' threads.
 */
final class PowerOfTwoChoicesDispatch<I, O> implements AutoCloseable {
    private final List<DynamicBatcher<I, O>> batchers = new ArrayList<>();
    private final AtomicIntegerArray outstanding;
    private final PowerOfTwoChoices chooser;

    /**
     * @param replicas one batch function per replica
     * @param batching the batching settings every replica's batcher gets (as a deployment's are applied)
     * @param name prefix of the batchers' names ({@code name-1}, {@code name-2}, ...)
     * @param seed seed of the random picks
     */
    PowerOfTwoChoicesDispatch(List<? extends BatchFunction<I, O>> replicas,
            Batching batching, String name, long seed) {
        if (replicas.isEmpty()) {
            throw new IllegalArgumentException("replicas must not be empty");
        }
        for (int i = 0; i < replicas.size(); i++) {
            batchers.add(batching.applyTo(DynamicBatcher.builder(replicas.get(i))).name(name + "-" + (i + 1)).build());
        }
        this.outstanding = new AtomicIntegerArray(replicas.size());
        this.chooser = new PowerOfTwoChoices(replicas.size(), seed);
    }

    /** Routes one input to a replica's queue. Never blocks; a full queue fails the future at once. */
    CompletableFuture<O> submit(I input) {
        int i = chooser.choose(outstanding::get);
        outstanding.incrementAndGet(i);
        CompletableFuture<O> f = batchers.get(i).submit(input);
        f.whenComplete((v, e) -> outstanding.decrementAndGet(i));
        return f;
    }

    /** Requests routed to replica {@code i} that have not ended yet. */
    int outstanding(int i) {
        return outstanding.get(i);
    }

    int replicas() {
        return batchers.size();
    }

    /** Closes every replica's batcher, each finishing what it admitted. */
    @Override
    public void close() {
        for (DynamicBatcher<I, O> b : batchers) {
            b.close();
        }
    }
}
