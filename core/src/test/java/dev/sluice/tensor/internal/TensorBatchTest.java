package dev.sluice.tensor.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
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

    /** A reused buffer, as a model's kept stacking buffer: full of the last batch's bytes (here 77.0f). */
    private static ByteBuffer dirty(int bytes) {
        ByteBuffer b = ByteBuffer.allocateDirect(bytes + 64).order(ByteOrder.nativeOrder());
        while (b.remaining() >= 4) {
            b.putFloat(77);
        }
        return b.clear().limit(bytes);
    }

    @Test
    void stackingIntoAReusedBufferOverwritesTheLastBatchAndPadsEvenWithZero() {
        Tensor narrow = Tensor.ofFloats("img", s(1, 1, 2), 1, 2);
        Tensor wide = Tensor.ofFloats("img", s(1, 1, 4), 3, 4, 5, 6);
        ByteBuffer[] given = new ByteBuffer[1];
        TensorBatch.Stacked st = TensorBatch.stack(List.of(narrow, wide), 0, bytes -> given[0] = dirty(bytes), 2);
        assertEquals(32, given[0].limit(), "asked for exactly the batch's bytes");
        assertArrayEquals(new float[] {1, 2, 0, 0, 3, 4, 5, 6}, st.tensor().toFloatArray());
        assertTrue(st.tensor().data().isDirect(), "a view of the given buffer, which a model reads in place");
        given[0].putFloat(0, 99);
        assertEquals(99, st.tensor().toFloatArray()[0], "no copy: valid while the caller does not reuse it");
    }

    @Test
    void aLoneRequestOnTheHeapIsCopiedIntoTheGivenBufferAndALoneDirectOneIsReadInPlace() {
        Tensor heap = Tensor.ofFloats("x", s(1, 2), 1, 2);
        TensorBatch.Stacked copied = TensorBatch.stack(List.of(heap), 0, TensorBatchTest::dirty);
        assertTrue(copied.tensor().data().isDirect());
        assertArrayEquals(new float[] {1, 2}, copied.tensor().toFloatArray());

        ByteBuffer direct = ByteBuffer.allocateDirect(8).order(ByteOrder.nativeOrder());
        direct.putFloat(3).putFloat(4).flip();
        Tensor native_ = Tensor.of("x", DataType.FP32, s(1, 2), direct);
        assertSame(native_, TensorBatch.stack(List.of(native_), 0, b -> {
            throw new AssertionError("no buffer needed");
        }).tensor());
        assertSame(heap, TensorBatch.stack(List.of(heap), 0).tensor(), "no buffer given: no copy either");
    }

    @Test
    void splitCopiesOwnTheirDataSoTheOutputBufferCanBeReusedAtOnce() {
        Tensor a = Tensor.ofFloats("in", s(1, 2), 1, 2);
        Tensor b = Tensor.ofFloats("in", s(1, 4), 3, 4, 5, 6);
        TensorBatch.Stacked st = TensorBatch.stack(List.of(a, b), 0, 1);
        ByteBuffer reused = dirty(32);
        reused.asFloatBuffer().put(new float[] {1, 2, 0, 0, 3, 4, 5, 6});
        Tensor output = Tensor.of("out", DataType.FP32, s(2, 4), reused); // shared, as a model's kept output buffer
        List<Tensor> whole = TensorBatch.splitCopies(output, st);
        List<Tensor> cropped = TensorBatch.splitCopies(output, st, TensorBatch.Follow.dim(1, 1));
        reused.asFloatBuffer().put(new float[] {-1, -1, -1, -1, -1, -1, -1, -1}); // the next batch
        assertArrayEquals(new float[] {1, 2, 0, 0}, whole.get(0).toFloatArray());
        assertArrayEquals(new float[] {3, 4, 5, 6}, whole.get(1).toFloatArray());
        assertArrayEquals(new float[] {1, 2}, cropped.get(0).toFloatArray());
        assertArrayEquals(new float[] {3, 4, 5, 6}, cropped.get(1).toFloatArray());
        for (Tensor t : List.of(whole.get(0), whole.get(1), cropped.get(0), cropped.get(1))) {
            assertFalse(t.data().isDirect(), "on the Java heap");
        }
    }

    @Test
    void aFollowedDimensionThatNeedsNoCropGivesViewsLikeWholeRows() {
        // Every request of the same width (as the OCR recognizer's width groups): nothing to crop, nothing copied.
        Tensor a = Tensor.ofFloats("in", s(1, 2), 1, 2);
        Tensor b = Tensor.ofFloats("in", s(1, 2), 3, 4);
        TensorBatch.Stacked st = TensorBatch.stack(List.of(a, b), 0, 1);
        ByteBuffer out = ByteBuffer.allocate(16).order(ByteOrder.nativeOrder());
        out.asFloatBuffer().put(new float[] {1, 2, 3, 4});
        Tensor output = TensorBatch.owned("out", DataType.FP32, s(2, 2), out);
        List<Tensor> parts = TensorBatch.split(output, st, TensorBatch.Follow.dim(1, 1, w -> w));
        out.putFloat(8, 30);
        assertArrayEquals(new float[] {30, 4}, parts.get(1).toFloatArray(), "a view of the output");
        assertArrayEquals(new float[] {1, 2}, parts.get(0).toFloatArray());
    }
}
