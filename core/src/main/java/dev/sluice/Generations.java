package dev.sluice;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * The generations of one deployment: the one serving ({@link #current}), during an update the one
 * starting ({@link #next}), and the replaced ones still draining; and the work of replicas that have
 * stopped, so the autoscaler's counters never go back. A swap moves {@code next} to {@code current}.
 *
 * <p>Not thread-safe: used under the runtime's lock, except {@link #current()}, which submit() reads
 * without it.
 */
final class Generations<I, O> {
    private volatile Generation<I, O> current;
    private Generation<I, O> next;
    /** Completes when {@code next} takes over, or fails when it cannot. */
    private CompletableFuture<Void> nextSwapped;
    private final List<Generation<I, O>> retiring = new ArrayList<>();
    private long retiredBusyNanos;
    private long retiredItems;

    Generations(Generation<I, O> first) {
        this.current = first;
    }

    Generation<I, O> current() {
        return current;
    }

    /** The update in progress, or null. */
    Generation<I, O> next() {
        return next;
    }

    /** The future of the update in progress, or null. */
    CompletableFuture<Void> updateFuture() {
        return nextSwapped;
    }

    boolean isCurrentOrNext(Generation<I, O> g) {
        return g == current || g == next;
    }

    /** Every generation: the retiring ones, the current one, then the next one if any. */
    List<Generation<I, O>> all() {
        List<Generation<I, O>> all = new ArrayList<>(retiring);
        all.add(current);
        if (next != null) {
            all.add(next);
        }
        return all;
    }

    /** Starts an update to {@code g}; the returned future completes when it takes over. */
    CompletableFuture<Void> beginUpdate(Generation<I, O> g) {
        next = g;
        nextSwapped = new CompletableFuture<>();
        return nextSwapped;
    }

    /** Makes the update current; the old one retires. Returns what to complete once outside the lock. */
    CompletableFuture<Void> swap() {
        retiring.add(current);
        current = next;
        next = null;
        CompletableFuture<Void> f = nextSwapped;
        nextSwapped = null;
        return f;
    }

    /** Drops the update (its replicas could not start); it retires at once. Returns what to fail. */
    CompletableFuture<Void> abandonUpdate() {
        Generation<I, O> n = next;
        n.target = 0;
        n.drained = true;
        retiring.add(n);
        next = null;
        CompletableFuture<Void> f = nextSwapped;
        nextSwapped = null;
        return f;
    }

    /** Forgets a replaced generation once its last replica is gone. */
    void forgetIfDone(Generation<I, O> g) {
        if (!isCurrentOrNext(g) && g.replicas.isEmpty()) {
            retiring.remove(g);
        }
    }

    /** Keeps a stopping replica's work in the totals. */
    void retired(Replica<I, O> r, long now) {
        retiredBusyNanos += r.busyNanos(now);
        retiredItems += r.items();
    }

    /** Inputs run by every replica so far, stopped ones included. */
    long itemsRun() {
        long items = retiredItems;
        for (Generation<I, O> g : all()) {
            for (Replica<I, O> r : g.replicas) {
                if (r.state != Replica.State.STOPPED) {
                    items += r.items();
                }
            }
        }
        return items;
    }

    /** Time spent running batches by every replica so far, stopped ones included, running ones up to {@code now}. */
    long busyNanos(long now) {
        long busy = retiredBusyNanos;
        for (Generation<I, O> g : all()) {
            for (Replica<I, O> r : g.replicas) {
                if (r.state != Replica.State.STOPPED) {
                    busy += r.busyNanos(now);
                }
            }
        }
        return busy;
    }
}
