package dev.sluice.examples.ocr;

import dev.sluice.Model;
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
 * requests: lines of the same bucket from many images share one run. Not thread-safe beyond what the wrapped
 * model allows (the replica calls it from one thread at a time).
 */
final class WidthGroupedModel implements Model<Map<String, Tensor>, Map<String, Tensor>> {
    private final Model<Map<String, Tensor>, Map<String, Tensor>> model;
    private final String input;

    WidthGroupedModel(Model<Map<String, Tensor>, Map<String, Tensor>> model, String input) {
        this.model = model;
        this.input = input;
    }

    @Override
    public List<Map<String, Tensor>> predict(List<Map<String, Tensor>> batch) throws Exception {
        Map<Long, List<Integer>> byWidth = new LinkedHashMap<>();
        for (int i = 0; i < batch.size(); i++) {
            Tensor x = batch.get(i).get(input);
            long width = x == null ? -1 : x.dim(x.rank() - 1); // a malformed request: the model says what is wrong
            byWidth.computeIfAbsent(width, w -> new ArrayList<>()).add(i);
        }
        if (byWidth.size() == 1) {
            return model.predict(batch);
        }
        @SuppressWarnings("unchecked")
        Map<String, Tensor>[] out = new Map[batch.size()];
        for (List<Integer> group : byWidth.values()) {
            List<Map<String, Tensor>> run = new ArrayList<>(group.size());
            for (int i : group) {
                run.add(batch.get(i));
            }
            List<Map<String, Tensor>> results = model.predict(run);
            for (int k = 0; k < group.size(); k++) {
                out[group.get(k)] = results.get(k);
            }
        }
        return Arrays.asList(out);
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
