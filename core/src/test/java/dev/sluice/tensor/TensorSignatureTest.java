package dev.sluice.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.batching.InvalidInputException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class TensorSignatureTest {
    private static final TensorSignature SIG = new TensorSignature(
            List.of(new TensorSpec("x", DataType.FP32, new long[] {-1, 3, -1}),
                    new TensorSpec("k", DataType.INT64, new long[] {-1})),
            List.of(new TensorSpec("y", DataType.FP32, new long[] {-1, 2})));

    private static Map<String, Tensor> request(Tensor... tensors) {
        Map<String, Tensor> m = new LinkedHashMap<>();
        for (Tensor t : tensors) {
            m.put(t.name(), t);
        }
        return m;
    }

    private static Tensor x(long... shape) {
        int n = 1;
        for (long d : shape) {
            n *= (int) d;
        }
        return Tensor.ofFloats("x", shape, new float[n]);
    }

    private static final Tensor K = Tensor.ofLongs("k", new long[] {1}, 7);

    private static String rejection(Map<String, Tensor> request) {
        return assertThrows(InvalidInputException.class, () -> SIG.validate(request)).getMessage();
    }

    @Test
    void aRequestMatchingTheSignaturePassesWhateverItsOpenDimensions() {
        SIG.validate(request(x(1, 3, 5), K));
        SIG.validate(request(x(4, 3, 1), K));
    }

    @Test
    void eachKindOfMismatchIsBadInputNamingTheInputAndWhatWasExpected() {
        assertTrue(rejection(request(x(1, 3, 5))).contains("input 'k' is missing; the model takes [x, k]"));
        assertTrue(rejection(request(Tensor.ofInts("x", new long[] {1, 3, 1}, 1, 2, 3), K))
                .contains("input 'x' is INT32, the model takes FP32"));
        assertTrue(rejection(request(x(3, 5), K)).contains("the model takes rank 3"));
        assertTrue(rejection(request(x(1, 4, 5), K)).contains("dimension 1 of 4"));
        assertTrue(rejection(request(x(1, 3, 5), K, Tensor.ofFloats("z", new long[] {1}, 1f)))
                .contains("input 'z' is not one of the model's [x, k]"));
        assertTrue(rejection(null).contains("needs its input tensors [x, k]"));
    }

    @Test
    void namesMustBeUniqueAndDimensionsOpenOrNatural() {
        TensorSpec a = new TensorSpec("a", DataType.FP32, new long[] {-1});
        assertThrows(IllegalArgumentException.class, () -> new TensorSignature(List.of(a, a), List.of()));
        assertThrows(IllegalArgumentException.class, () -> new TensorSpec("b", DataType.FP32, new long[] {-2}));
        assertEquals(List.of("x", "k"), SIG.inputNames());
        assertEquals(2, SIG.output("y").orElseThrow().dim(1));
        assertTrue(SIG.input("y").isEmpty());
    }
}
