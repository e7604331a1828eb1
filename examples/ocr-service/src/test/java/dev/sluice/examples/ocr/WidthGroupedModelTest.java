package dev.sluice.examples.ocr;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import dev.sluice.Model;
import dev.sluice.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The recognizer's batches: one run per width, and no run wider in all than the run width (issue 15). */
class WidthGroupedModelTest {
    /** Records each run's widths and answers each line with its own width and its index in the batch. */
    private static final class Recording implements Model<Map<String, Tensor>, Map<String, Tensor>> {
        final List<List<Long>> runs = new ArrayList<>();

        @Override
        public List<Map<String, Tensor>> predict(List<Map<String, Tensor>> batch) {
            List<Long> widths = new ArrayList<>();
            List<Map<String, Tensor>> out = new ArrayList<>();
            for (Map<String, Tensor> in : batch) {
                Tensor x = in.get("x");
                widths.add(x.dim(3));
                out.add(Map.of("y", x));
            }
            runs.add(widths);
            return out;
        }
    }

    private static Map<String, Tensor> line(int width) {
        return Map.of("x", Tensor.ofFloats("x", new long[] {1, 3, 48, width}, new float[3 * 48 * width]));
    }

    @Test
    void aBatchIsRunOneWidthAtATimeInRunsOfAtMostTheRunWidth() throws Exception {
        Recording model = new Recording();
        WidthGroupedModel grouped = new WidthGroupedModel(model, "x", 1600, null);
        List<Map<String, Tensor>> batch = List.of(line(320), line(1440), line(320), line(320), line(320), line(320),
                line(320), line(1440), line(800), line(800), line(800));
        List<Map<String, Tensor>> out = grouped.predict(batch);
        assertEquals(List.of(List.of(320L, 320L, 320L, 320L, 320L), List.of(320L), List.of(1440L), List.of(1440L),
                List.of(800L, 800L), List.of(800L)), model.runs);
        for (int i = 0; i < batch.size(); i++) {
            assertSame(batch.get(i).get("x"), out.get(i).get("y"), "line " + i + " gets its own answer");
        }
    }

    @Test
    void theRecognizersProbabilitiesAreAnsweredAsEachStepsBestClass() throws Exception {
        Model<Map<String, Tensor>, Map<String, Tensor>> model = batch -> batch.stream()
                .map(in -> Map.of("y", Tensor.ofFloats("y", new long[] {1, 2, 5}, CtcDecoderTest.steps(0.9, 3, 0))))
                .toList();
        List<Map<String, Tensor>> out = new WidthGroupedModel(model, "x", 1600, "y").predict(List.of(line(320), line(640)));
        for (Map<String, Tensor> o : out) {
            assertEquals(List.of(1L, 2L, 2L), java.util.Arrays.stream(o.get("y").shape()).boxed().toList());
            float[] best = o.get("y").toFloatArray();
            assertEquals(3, best[0]);
            assertEquals(0.9, best[1], 1e-6);
            assertEquals(0, best[2]);
        }
    }

    @Test
    void aBatchThatFitsIsOneRun() throws Exception {
        Recording model = new Recording();
        new WidthGroupedModel(model, "x", 1600, null).predict(List.of(line(320), line(320), line(320)));
        new WidthGroupedModel(model, "x", 1600, null).predict(List.of(line(3200)));
        assertEquals(List.of(List.of(320L, 320L, 320L), List.of(3200L)), model.runs);
    }
}
