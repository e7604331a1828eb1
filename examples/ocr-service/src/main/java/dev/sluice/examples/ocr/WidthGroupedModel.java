package dev.sluice.examples.ocr;

import dev.sluice.Model;
import dev.sluice.tensor.DataType;
import dev.sluice.tensor.Tensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Runs a batch of recognizer requests as one model run per input width, so no line is ever padded by its
 * batch neighbours. The recognizer mixes information along the whole width of a line (attention over its
 * time steps, with no mask for padding), so a line padded to a wider neighbour's width can read differently
 * (a space more or less); with lines padded only to their own width bucket (by {@link LineImages}) a line
 * reads the same alone and in any batch. The batch is still formed by the deployment's queue, across
 * requests: lines of the same bucket from many images share one run, as many as fit in {@code maxRunWidth}
 * pixels of width together (at least one). Wider runs cost more per line, not less: on one CPU thread a line
 * 1440 px wide took 197 ms alone and 291 to 348 ms in runs of 2 to 8; 320 px lines 33 ms alone or in 4 and
 * 44 ms in 8 (issue 15, disturbed; the runs' activations outgrow the caches). Not thread-safe beyond what the
 * wrapped model allows (the replica calls it from one thread at a time).
 */
final class WidthGroupedModel implements Model<Map<String, Tensor>, Map<String, Tensor>> {
    private final Model<Map<String, Tensor>, Map<String, Tensor>> model;
    private final String input;
    private final int maxRunWidth;
    private final String output;

    /**
     * @param maxRunWidth the most pixels of width of all the lines of one model run (at least one line a run)
     * @param output the output whose probabilities [1, T, classes] are answered as each step's best class and its
     *     probability, [1, T, 2] ({@link CtcDecoder#bestClasses}), right after each run; null: answered as they are
     */
    WidthGroupedModel(Model<Map<String, Tensor>, Map<String, Tensor>> model, String input, int maxRunWidth, String output) {
        this.model = model;
        this.input = input;
        this.maxRunWidth = maxRunWidth;
        this.output = output;
    }

    @Override
    public List<Map<String, Tensor>> predict(List<Map<String, Tensor>> batch) throws Exception {
        Map<Long, List<Integer>> byWidth = new LinkedHashMap<>();
        for (int i = 0; i < batch.size(); i++) {
            Tensor x = batch.get(i).get(input);
            long width = x == null ? -1 : x.dim(x.rank() - 1); // a malformed request: the model says what is wrong
            byWidth.computeIfAbsent(width, w -> new ArrayList<>()).add(i);
        }
        if (byWidth.size() == 1 && fits(byWidth.keySet().iterator().next(), batch.size())) {
            return best(model.predict(batch));
        }
        @SuppressWarnings("unchecked")
        Map<String, Tensor>[] out = new Map[batch.size()];
        for (Map.Entry<Long, List<Integer>> e : byWidth.entrySet()) {
            List<Integer> group = e.getValue();
            int perRun = e.getKey() <= 0 ? group.size() : (int) Math.max(1, Math.min(group.size(), maxRunWidth / e.getKey()));
            for (int from = 0; from < group.size(); from += perRun) {
                List<Integer> part = group.subList(from, Math.min(group.size(), from + perRun));
                List<Map<String, Tensor>> run = new ArrayList<>(part.size());
                for (int i : part) {
                    run.add(batch.get(i));
                }
                List<Map<String, Tensor>> results = best(model.predict(run));
                for (int k = 0; k < part.size(); k++) {
                    out[part.get(k)] = results.get(k);
                }
            }
        }
        return Arrays.asList(out);
    }

    /** Each result's probabilities as their steps' best classes: a line's answer shrinks from megabytes to kilobytes. */
    private List<Map<String, Tensor>> best(List<Map<String, Tensor>> results) {
        if (output == null) {
            return results;
        }
        List<Map<String, Tensor>> out = new ArrayList<>(results.size());
        for (Map<String, Tensor> r : results) {
            Tensor p = r.get(output);
            if (p == null || p.rank() < 2 || p.dataType() != DataType.FP32) { // not the recognizer's answer: the decoder refuses it
                out.add(r);
                continue;
            }
            int classes = (int) p.dim(p.rank() - 1);
            float[] best = CtcDecoder.bestClasses(p.data().asFloatBuffer(), classes);
            Map<String, Tensor> m = new LinkedHashMap<>(r);
            m.put(output, Tensor.ofFloats(output, new long[] {1, best.length / 2, 2}, best));
            out.add(m);
        }
        return out;
    }

    private boolean fits(long width, int lines) {
        return width <= 0 || lines == 1 || width * lines <= maxRunWidth;
    }

    @Override
    public boolean isHealthy() throws Exception {
        return model.isHealthy();
    }

    @Override
    public void close() throws Exception {
        model.close();
    }
}
