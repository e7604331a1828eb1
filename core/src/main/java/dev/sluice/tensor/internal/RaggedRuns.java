package dev.sluice.tensor.internal;

import dev.sluice.tensor.Tensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Plans how a ragged batch runs when padding is bounded: requests of very different sizes padded to the largest
 * one cost compute (and can change what a model reads), so the batch is split into runs of requests of similar
 * sizes. Requests are sorted by their elements (all inputs together); a new run starts whenever the next
 * request would take the run's padded elements past {@code (1 + maxPadding)} times its real ones.
 *
 * <p>For example, text lines 100, 2000, 110 and 1900 pixels wide with {@code maxPadding} 0.25 run as
 * {@code [0, 2]} and {@code [3, 1]}.
 *
 * <p>Threading: stateless, thread-safe.
 */
public final class RaggedRuns {
    private RaggedRuns() {}

    /**
     * The runs, each the indexes (into {@code batch}) of its requests, smallest requests first.
     *
     * @param batch the requests, each holding every input of {@code inputs}
     * @param inputs the inputs to stack (dimension 0 the batch, the others possibly ragged)
     * @param maxPadding the padding a run may add, as a fraction of its real elements (0 or more; infinity: one
     *     run)
     */
    public static List<int[]> plan(List<Map<String, Tensor>> batch, List<String> inputs, double maxPadding) {
        Objects.requireNonNull(batch, "batch");
        Objects.requireNonNull(inputs, "inputs");
        if (!(maxPadding >= 0)) {
            throw new IllegalArgumentException("maxPadding must be 0 or more, was " + maxPadding);
        }
        Integer[] order = new Integer[batch.size()];
        long[] size = new long[batch.size()];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
            for (String input : inputs) {
                size[i] += batch.get(i).get(input).elementCount();
            }
        }
        Arrays.sort(order, Comparator.comparingLong(i -> size[i]));
        List<int[]> runs = new ArrayList<>();
        List<Integer> current = new ArrayList<>();
        long[][] maxDims = new long[inputs.size()][];
        long real = 0;
        for (int i : order) {
            long[][] widened = new long[inputs.size()][];
            long padded = 0;
            for (int s = 0; s < inputs.size(); s++) {
                long[] dims = batch.get(i).get(inputs.get(s)).shape();
                widened[s] = dims;
                if (maxDims[s] != null) {
                    for (int d = 1; d < dims.length; d++) {
                        widened[s][d] = Math.max(dims[d], maxDims[s][d]);
                    }
                }
                long perRequest = 1;
                for (int d = 1; d < dims.length; d++) {
                    perRequest *= widened[s][d];
                }
                padded += perRequest * (current.size() + 1);
            }
            if (!current.isEmpty() && padded > (1 + maxPadding) * (real + size[i])) {
                runs.add(current.stream().mapToInt(Integer::intValue).toArray());
                current.clear();
                real = 0;
                for (int s = 0; s < inputs.size(); s++) {
                    widened[s] = batch.get(i).get(inputs.get(s)).shape();
                }
            }
            current.add(i);
            real += size[i];
            maxDims = widened;
        }
        runs.add(current.stream().mapToInt(Integer::intValue).toArray());
        return runs;
    }
}
