package dev.sluice.examples.ocr;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.sluice.tensor.Tensor;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Greedy CTC decoding: blank is class 0, the dictionary follows, a space is the last class. */
class CtcDecoderTest {
    final CtcDecoder ctc = new CtcDecoder(List.of("a", "b", "c")); // classes: blank, a, b, c, space

    /** One row per time step: the probability of {@code best} is {@code p}, the rest shared. */
    static float[] steps(double p, int... best) {
        float[] v = new float[best.length * 5];
        for (int t = 0; t < best.length; t++) {
            for (int c = 0; c < 5; c++) {
                v[t * 5 + c] = c == best[t] ? (float) p : (float) ((1 - p) / 4);
            }
        }
        return v;
    }

    @Test
    void repeatsCollapseBlanksSeparateAndTheLastClassIsASpace() {
        CtcDecoder.Reading r = ctc.decode(Tensor.ofFloats("y", new long[] {1, 9, 5},
                steps(0.8, 1, 1, 0, 1, 2, 4, 3, 3, 0)));
        assertEquals("aab c", r.text());
        assertEquals(0.8, r.confidence(), 1e-6, "the mean of the kept steps' probabilities");
    }

    @Test
    void onlyBlanksReadAsNothing() {
        CtcDecoder.Reading r = ctc.decode(Tensor.ofFloats("y", new long[] {1, 3, 5}, steps(0.9, 0, 0, 0)));
        assertEquals("", r.text());
        assertEquals(0, r.confidence());
    }

    @Test
    void eachStepsBestClassAloneReadsAsTheWholeDistribution() {
        float[] p = steps(0.7, 1, 1, 0, 1, 2, 4, 3, 3, 0);
        float[] best = CtcDecoder.bestClasses(p, 5);
        assertEquals(18, best.length, "two numbers a step: the class and its probability");
        CtcDecoder.Reading whole = ctc.decode(Tensor.ofFloats("y", new long[] {1, 9, 5}, p));
        CtcDecoder.Reading compact = ctc.decode(Tensor.ofFloats("y", new long[] {1, 9, 2}, best));
        assertEquals(whole, compact);
        assertEquals("aab c", compact.text());
        assertThrows(IllegalStateException.class, () -> ctc.decode(Tensor.ofFloats("y", new long[] {1, 1, 2}, 7, 0.9f)),
                "a class past the dictionary");
    }

    @Test
    void anOutputWithAnotherNumberOfClassesIsRefused() {
        assertThrows(IllegalStateException.class, () -> ctc.decode(Tensor.ofFloats("y", new long[] {1, 2, 4}, new float[8])));
    }
}
