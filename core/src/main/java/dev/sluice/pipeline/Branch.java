package dev.sluice.pipeline;

import java.util.Objects;

/**
 * One alternative of a routing step: a name (shown in the trace), a weight (for a split), and its task.
 *
 * @param <A> what the routing step takes
 * @param <O> what it produces
 */
public final class Branch<A, O> {
    final String name;
    final double weight;
    final Task<A, O> task;

    private Branch(String name, double weight, Task<A, O> task) {
        Objects.requireNonNull(name, "name");
        if (name.isBlank()) {
            throw new IllegalArgumentException("branch name must not be blank");
        }
        if (!(weight >= 0) || Double.isInfinite(weight)) {
            throw new IllegalArgumentException("branch '" + name + "': weight must be a non-negative number, was " + weight);
        }
        this.name = name;
        this.weight = weight;
        this.task = Objects.requireNonNull(task, "task");
    }

    /** A branch of a {@code choose} step, picked when the selector answers {@code name}. */
    public static <A, O> Branch<A, O> of(String name, Task<A, O> task) {
        return new Branch<>(name, 1, task);
    }

    /** A branch of a {@code split} step, taking {@code weight} of the traffic (weights are relative). */
    public static <A, O> Branch<A, O> weighted(String name, double weight, Task<A, O> task) {
        return new Branch<>(name, weight, task);
    }

    public String name() {
        return name;
    }
}
