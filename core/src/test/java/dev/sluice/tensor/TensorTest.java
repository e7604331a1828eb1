package dev.sluice.tensor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.batching.InvalidInputException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.ReadOnlyBufferException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

class TensorTest {

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

    @Nested
    class Types {
        @Test
        void namesAreTheOpenInferenceProtocols() {
            assertEquals(DataType.FP32, DataType.fromOip("FP32"));
            assertEquals(DataType.BYTES, DataType.fromOip("BYTES"));
            assertEquals("INT64", DataType.INT64.oipName());
            assertEquals(2, DataType.FP16.byteSize());
            assertEquals(-1, DataType.BYTES.byteSize());
        }

        @Test
        void anUnknownTypeIsBadInputListingTheKnownOnes() {
            InvalidInputException e = assertThrows(InvalidInputException.class, () -> DataType.fromOip("FLOAT"));
            assertTrue(e.getMessage().contains("unknown data type 'FLOAT'"), e.getMessage());
            assertTrue(e.getMessage().contains("FP32"), e.getMessage());
            assertThrows(InvalidInputException.class, () -> DataType.fromOip(null));
        }
    }

    @Nested
    class Tensors {
        @Test
        void dataThatDoesNotFitTheShapeIsBadInputSayingWhatWasExpected() {
            InvalidInputException e = assertThrows(InvalidInputException.class,
                    () -> Tensor.ofFloats("x", s(2, 3), range(5, 0)));
            assertTrue(e.getMessage().contains("tensor 'x': shape [2, 3] needs 6 FP32 elements, got 5"), e.getMessage());
            ByteBuffer twenty = ByteBuffer.allocate(20);
            InvalidInputException bytes = assertThrows(InvalidInputException.class,
                    () -> Tensor.of("x", DataType.FP32, s(2, 3), twenty));
            assertTrue(bytes.getMessage().contains("needs 24 bytes (6 elements), got 20 bytes"), bytes.getMessage());
            InvalidInputException negative = assertThrows(InvalidInputException.class,
                    () -> Tensor.ofFloats("x", s(2, -3), range(6, 0)));
            assertTrue(negative.getMessage().contains("dimension 1 of shape [2, -3] is negative"), negative.getMessage());
            assertThrows(InvalidInputException.class, () -> Tensor.ofFloats("", s(1), 1f));
            assertThrows(InvalidInputException.class,
                    () -> Tensor.ofStrings("t", s(2), List.of("a".getBytes(StandardCharsets.UTF_8))));
        }

        @Test
        void dataIsAReadOnlyHeapBufferInNativeOrderSoTheCollectorSeesItsSize() {
            Tensor t = Tensor.ofFloats("x", s(2, 2), 1, 2, 3, 4);
            ByteBuffer data = t.data();
            assertFalse(data.isDirect(), "on the Java heap: a direct buffer's native memory is invisible to GC sizing");
            assertEquals(ByteOrder.nativeOrder(), data.order());
            assertThrows(ReadOnlyBufferException.class, () -> data.put(0, (byte) 1));
            assertArrayEquals(new float[] {1, 2, 3, 4}, t.toFloatArray());
            assertEquals(4, t.elementCount());
            long[] shape = t.shape();
            shape[0] = 99;
            assertEquals(2, t.dim(0), "the shape given out is a copy");
            assertThrows(IllegalStateException.class, t::toLongArray);
        }

        @Test
        void aHeapBufferIsCopiedAndADirectNativeOneShared() {
            ByteBuffer heap = ByteBuffer.allocate(8).order(ByteOrder.nativeOrder());
            heap.putInt(7).putInt(8).flip();
            Tensor copied = Tensor.of("h", DataType.INT32, s(2), heap);
            heap.putInt(0, 100);
            assertArrayEquals(new int[] {7, 8}, copied.toIntArray());
            assertFalse(copied.data().isDirect(), "copied to the heap");

            ByteBuffer direct = ByteBuffer.allocateDirect(8).order(ByteOrder.nativeOrder());
            direct.putInt(7).putInt(8).flip();
            Tensor shared = Tensor.of("d", DataType.INT32, s(2), direct);
            direct.putInt(0, 100);
            assertArrayEquals(new int[] {100, 8}, shared.toIntArray(), "no copy");
        }

        @Test
        void eachTypedFactoryWritesItsType() {
            assertArrayEquals(new int[] {1, -2}, Tensor.ofInts("i", s(2), 1, -2).toIntArray());
            assertArrayEquals(new double[] {0.5, 2}, Tensor.ofDoubles("d", s(2), 0.5, 2).toDoubleArray());
            Tensor u8 = Tensor.ofUint8("u", s(3), (byte) 0, (byte) 200, (byte) 7);
            assertEquals(DataType.UINT8, u8.dataType());
            assertEquals(200, u8.data().get(1) & 0xFF);
            Tensor flags = Tensor.ofBooleans("b", s(2), true, false);
            assertEquals(DataType.BOOL, flags.dataType());
            assertEquals(1, flags.data().get(0));
            assertEquals(0, flags.data().get(1));
            Tensor renamed = flags.withName("mask");
            assertEquals("mask", renamed.name());
            assertEquals(1, renamed.data().get(0), "same data under the new name");
        }

        @Test
        void bytesTensorsHoldByteStrings() {
            Tensor t = Tensor.ofStrings("text", s(2), List.of("héllo".getBytes(StandardCharsets.UTF_8), new byte[0]));
            assertEquals(DataType.BYTES, t.dataType());
            assertEquals("héllo", new String(t.strings().get(0), StandardCharsets.UTF_8));
            assertThrows(IllegalStateException.class, t::data);
            assertThrows(InvalidInputException.class, () -> Tensor.of("b", DataType.BYTES, s(1), ByteBuffer.allocate(1)));
        }
    }
}
