package dev.sluice.tensor.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.batching.InvalidInputException;
import dev.sluice.tensor.DataType;
import dev.sluice.tensor.Tensor;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Collation: a batch's tensors stacked along dimension 0 and model outputs split back per request. */
class TensorBatchTest {

    private static long[] s(long... dims) {
        return dims;
    }

    private static float[] range(int n, float from) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = from + i;
        }
        return v;
    }

    @Test
    void requestsStackAlongDimensionZeroAndSplitBack() {
        Tensor a = Tensor.ofFloats("in", s(1, 3), 1, 2, 3);
        Tensor b = Tensor.ofFloats("in", s(2, 3), 4, 5, 6, 7, 8, 9);
        TensorBatch.Stacked st = TensorBatch.stack(List.of(a, b), 0);
        assertArrayEquals(s(3, 3), st.tensor().shape());
        assertArrayEquals(range(9, 1), st.tensor().toFloatArray());
        assertArrayEquals(new int[] {1, 2}, st.rows());

        List<Tensor> parts = TensorBatch.split(st.tensor(), st);
        assertArrayEquals(a.toFloatArray(), parts.get(0).toFloatArray());
        assertArrayEquals(s(2, 3), parts.get(1).shape());
        assertArrayEquals(b.toFloatArray(), parts.get(1).toFloatArray());
    }

    @Test
    void raggedDimensionsArePaddedAndCroppedBackPerRequest() {
        // Two "images" [1, 2, W] of widths 2 and 4: stacked to [2, 2, 4], padding -1.
        Tensor narrow = Tensor.ofFloats("img", s(1, 2, 2), 1, 2, 3, 4);
        Tensor wide = Tensor.ofFloats("img", s(1, 2, 4), 5, 6, 7, 8, 9, 10, 11, 12);
        TensorBatch.Stacked st = TensorBatch.stack(List.of(narrow, wide), -1, 2);
        assertArrayEquals(s(2, 2, 4), st.tensor().shape());
        assertArrayEquals(new float[] {1, 2, -1, -1, 3, 4, -1, -1, 5, 6, 7, 8, 9, 10, 11, 12},
                st.tensor().toFloatArray());

        // An identity model: the output's dimension 2 follows the input's dimension 2.
        List<Tensor> back = TensorBatch.split(st.tensor(), st, TensorBatch.Follow.dim(2, 2));
        assertArrayEquals(narrow.shape(), back.get(0).shape());
        assertArrayEquals(narrow.toFloatArray(), back.get(0).toFloatArray());
        assertArrayEquals(wide.toFloatArray(), back.get(1).toFloatArray());

        // A model whose output [n, W/2, 3] follows the width at half resolution.
        Tensor out = Tensor.ofFloats("logits", s(2, 2, 3), range(12, 0));
        List<Tensor> cropped = TensorBatch.split(out, st, TensorBatch.Follow.dim(1, 2));
        assertArrayEquals(s(1, 1, 3), cropped.get(0).shape());
        assertArrayEquals(new float[] {0, 1, 2}, cropped.get(0).toFloatArray());
        assertArrayEquals(s(1, 2, 3), cropped.get(1).shape());
        assertArrayEquals(new float[] {6, 7, 8, 9, 10, 11}, cropped.get(1).toFloatArray());
    }

    @Test
    void anExactExtentFunctionDecidesEachRequestsOutputSize() {
        // Inputs 4 and 12 wide; the "model" gives (w + 3) / 4 steps.
        Tensor a = Tensor.ofFloats("img", s(1, 4), 1, 2, 3, 4);
        Tensor b = Tensor.ofFloats("img", s(1, 12), range(12, 0));
        TensorBatch.Stacked st = TensorBatch.stack(List.of(a, b), 0, 1);
        Tensor out = Tensor.ofFloats("steps", s(2, 3), 10, 11, 12, 20, 21, 22); // (12 + 3) / 4 = 3 steps
        List<Tensor> exact = TensorBatch.split(out, st, TensorBatch.Follow.dim(1, 1, w -> (w + 3) / 4));
        assertArrayEquals(new float[] {10}, exact.get(0).toFloatArray(), "(4 + 3) / 4 = 1 step");
        List<Tensor> proportional = TensorBatch.split(out, st, TensorBatch.Follow.dim(1, 1));
        assertEquals(1, proportional.get(0).dim(1), "round(3 * 4 / 12) = 1: agrees here");
        assertArrayEquals(new float[] {20, 21, 22}, exact.get(1).toFloatArray());
    }

    @Test
    void integerPadsAreWrittenInTheirType() {
        Tensor a = Tensor.ofLongs("ids", s(1, 1), 7);
        Tensor b = Tensor.ofLongs("ids", s(1, 3), 1, 2, 3);
        assertArrayEquals(new long[] {7, 0, 0, 1, 2, 3}, TensorBatch.stack(List.of(a, b), 0, 1).tensor().toLongArray());
        assertArrayEquals(new long[] {7, 99, 99, 1, 2, 3},
                TensorBatch.stack(List.of(a, b), 99, 1).tensor().toLongArray());
    }

    @Test
    void aRequestThatDoesNotFitIsBadInputNamingIt() {
        Tensor ok = Tensor.ofFloats("in", s(1, 3), 1, 2, 3);
        InvalidInputException dim = assertThrows(InvalidInputException.class,
                () -> TensorBatch.stack(List.of(ok, ok, Tensor.ofFloats("in", s(1, 4), range(4, 0))), 0));
        assertTrue(dim.getMessage().startsWith("request 2: tensor 'in' has dimension 1 of 4"), dim.getMessage());
        InvalidInputException rank = assertThrows(InvalidInputException.class,
                () -> TensorBatch.stack(List.of(ok, Tensor.ofFloats("in", s(3), 1, 2, 3)), 0));
        assertTrue(rank.getMessage().contains("request 1: tensor 'in' has rank 1 [3], expected rank 2"), rank.getMessage());
        InvalidInputException type = assertThrows(InvalidInputException.class,
                () -> TensorBatch.stack(List.of(ok, Tensor.ofDoubles("in", s(1, 3), 1, 2, 3)), 0));
        assertTrue(type.getMessage().contains("request 1: tensor 'in' is FP64, the batch's is FP32"), type.getMessage());
    }

    @Test
    void bytesTensorsStackAndSplitWithoutPadding() {
        Tensor a = Tensor.ofStrings("t", s(1), List.of("a".getBytes(StandardCharsets.UTF_8)));
        Tensor b = Tensor.ofStrings("t", s(2), List.of("b".getBytes(StandardCharsets.UTF_8), "c".getBytes(StandardCharsets.UTF_8)));
        TensorBatch.Stacked st = TensorBatch.stack(List.of(a, b), 0);
        assertEquals(3, st.tensor().elementCount());
        List<Tensor> parts = TensorBatch.split(st.tensor(), st);
        assertEquals("c", new String(parts.get(1).strings().get(1), StandardCharsets.UTF_8));
        // The strings move from the requests to the batch and back to the parts, never copied on the way.
        assertSame(TensorAccess.door().strings(b).get(1), TensorAccess.door().strings(parts.get(1)).get(1));
        assertThrows(IllegalArgumentException.class, () -> TensorBatch.stack(List.of(a, b), 0, 0));
    }

    @Test
    void anOutputWithoutTheBatchsRowsIsRefused() {
        TensorBatch.Stacked st = TensorBatch.stack(List.of(Tensor.ofFloats("in", s(2, 1), 1, 2)), 0);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> TensorBatch.split(Tensor.ofFloats("out", s(3, 1), 1, 2, 3), st));
        assertTrue(e.getMessage().contains("does not have the batch's 2 rows"), e.getMessage());
    }

    @Test
    void fp16PadsAreAnyValueOnAnyJava() {
        ByteBuffer one = ByteBuffer.allocate(2);
        Tensor a = Tensor.of("h", DataType.FP16, s(1, 1), one);
        Tensor b = Tensor.of("h", DataType.FP16, s(1, 2), ByteBuffer.allocate(4));
        assertEquals(8, TensorBatch.stack(List.of(a, b), 0, 1).tensor().data().remaining());
        byte[] pad = TensorBatch.padBytes(DataType.FP16, 1.0);
        ByteBuffer p = ByteBuffer.wrap(pad).order(ByteOrder.nativeOrder());
        assertEquals((short) 0x3C00, p.getShort(), "1.0 in half precision");
    }
}
