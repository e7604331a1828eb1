package dev.sluice.pipeline;

/**
 * The output of one step (or the pipeline's input), to be given to later steps. Made by a
 * {@link Pipeline.Builder}; only valid in the pipeline that made it. A step can only take refs that exist
 * when it is added, so a pipeline's graph has no cycles by construction.
 *
 * @param <T> the type of the value it stands for
 */
public class Ref<T> {
    final Pipeline.Builder<?> owner;
    final int index;
    final String step;

    Ref(Pipeline.Builder<?> owner, int index, String step) {
        this.owner = owner;
        this.index = index;
        this.step = step;
    }

    /** The name of the step whose output this is ({@code "input"} for the pipeline's input). */
    public String step() {
        return step;
    }

    @Override
    public String toString() {
        return "Ref[" + step + "]";
    }
}
