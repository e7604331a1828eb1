package dev.sluice.tensor.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.sluice.batching.InvalidInputException;
import dev.sluice.tensor.DataType;
import dev.sluice.tensor.Tensor;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The protocol's raw tensor encoding: little-endian, row-major; BYTES length-prefixed; every check by name. */
class RawTensorsTest {
    private static final String WHAT = "input 'x'";
    private static final String SOURCE = "binary data";

    private static ByteBuffer le(int size) {
        return ByteBuffer.allocate(size).order(ByteOrder.LITTLE_ENDIAN);
    }

    private static Tensor read(DataType type, long[] shape, ByteBuffer raw) {
        return RawTensors.read(WHAT, SOURCE, "x", type, shape, raw);
    }

    private static byte[] bytes(ByteBuffer b) {
        byte[] out = new byte[b.remaining()];
        b.duplicate().get(out);
        return out;
    }

    @Test
    void fixedSizeElementsAreLittleEndianWhateverTheBuffersOrder() {
        ByteBuffer raw = le(8).putInt(1).putInt(-2).flip();
        Tensor t = read(DataType.INT32, new long[] {2}, raw.order(ByteOrder.BIG_ENDIAN));
        assertArrayEquals(new int[] {1, -2}, t.toIntArray());
        assertEquals(0, raw.position(), "the caller's buffer is not moved");
        assertArrayEquals(new byte[] {1, 0, 0, 0, -2, -1, -1, -1}, bytes(RawTensors.littleEndian(t)));
    }

    @ParameterizedTest
    @EnumSource(DataType.class)
    void everyTypeReadsBackWhatWasWritten(DataType type) {
        Tensor t;
        if (type == DataType.BYTES) {
            t = Tensor.ofStrings("x", new long[] {3}, List.of("a".getBytes(StandardCharsets.UTF_8), new byte[0],
                    "héllo".getBytes(StandardCharsets.UTF_8)));
        } else {
            ByteBuffer data = ByteBuffer.allocate(3 * type.byteSize()).order(ByteOrder.nativeOrder());
            for (int i = 0; i < data.capacity(); i++) {
                data.put(i, (byte) (type == DataType.BOOL ? i % 2 : 0x11 * (i + 1)));
            }
            t = Tensor.of("x", type, new long[] {3}, data);
        }
        ByteBuffer out = ByteBuffer.allocate(RawTensors.size(t) + 2).order(ByteOrder.BIG_ENDIAN);
        out.put((byte) 9);
        RawTensors.write(t, out);
        assertEquals(RawTensors.size(t) + 1, out.position());
        assertEquals(ByteOrder.BIG_ENDIAN, out.order(), "the buffer's own order is left as it was");
        assertArrayEquals(bytes(RawTensors.littleEndian(t)), bytes(out.flip().position(1)));

        Tensor back = read(type, new long[] {3}, out);
        if (type == DataType.BYTES) {
            assertEquals(3, back.strings().size());
            assertArrayEquals("héllo".getBytes(StandardCharsets.UTF_8), back.strings().get(2));
        } else {
            assertEquals(t.data(), back.data());
        }
    }

    @Test
    void bytesElementsAreAFourByteLengthAndTheirBytes() {
        ByteBuffer raw = le(11).putInt(2).put((byte) 'h').put((byte) 'i').putInt(1).put((byte) '!').flip();
        Tensor t = read(DataType.BYTES, new long[] {1, 2}, raw);
        assertEquals("hi", new String(t.strings().get(0), StandardCharsets.UTF_8));
        assertEquals("!", new String(t.strings().get(1), StandardCharsets.UTF_8));
    }

    @Test
    void aSizeThatDoesNotFitTheShapeIsRefusedNamingBoth() {
        InvalidInputException e = assertThrows(InvalidInputException.class,
                () -> read(DataType.FP32, new long[] {1, 4}, le(15)));
        assertEquals("input 'x': shape [1, 4] of FP32 needs 16 bytes of binary data (4 elements), it has 15",
                e.getMessage());
    }

    @Test
    void aBoolByteOtherThanZeroOrOneIsRefused() {
        InvalidInputException e = assertThrows(InvalidInputException.class,
                () -> read(DataType.BOOL, new long[] {2}, ByteBuffer.wrap(new byte[] {1, 2})));
        assertEquals("input 'x': element 1 is the byte 2; a raw BOOL element is 0 or 1", e.getMessage());
    }

    @Test
    void bytesElementsThatDoNotFillTheBytesExactlyAreRefused() {
        assertEquals("input 'x': BYTES element 0 declares 4294967295 bytes, only 0 follow in binary data",
                assertThrows(InvalidInputException.class,
                        () -> read(DataType.BYTES, new long[] {1}, le(4).putInt(-1).flip())).getMessage());
        assertEquals("input 'x': binary data hold 1 bytes after the 1 BYTES elements of shape [1]",
                assertThrows(InvalidInputException.class,
                        () -> read(DataType.BYTES, new long[] {1}, le(5).putInt(0).put((byte) 7).flip())).getMessage());
        assertEquals("input 'x': shape [2] needs 2 BYTES elements, binary data end after 1",
                assertThrows(InvalidInputException.class,
                        () -> read(DataType.BYTES, new long[] {2}, le(8).putInt(4).putInt(0).flip())).getMessage());
        assertEquals("input 'x': shape [1000000000] needs 1000000000 BYTES elements, but 8 bytes of binary data hold "
                + "at most 2", assertThrows(InvalidInputException.class,
                        () -> read(DataType.BYTES, new long[] {1_000_000_000}, le(8))).getMessage());
    }

    @Test
    void aShapeTooLargeForATensorIsRefusedBeforeAnythingIsAllocated() {
        assertEquals("input 'x': shape [4294967296, 4294967296] has more elements than a tensor can hold",
                assertThrows(InvalidInputException.class,
                        () -> RawTensors.elements(WHAT, new long[] {1L << 32, 1L << 32})).getMessage());
        assertEquals("input 'x': shape [1000000000] of FP64 needs 8000000000 bytes, more than the 2 GiB one tensor "
                + "may hold", assertThrows(InvalidInputException.class,
                        () -> RawTensors.byteSize(WHAT, DataType.FP64, new long[] {1_000_000_000})).getMessage());
        assertEquals(24, RawTensors.byteSize(WHAT, DataType.FP32, new long[] {3, 2}));
    }
}
