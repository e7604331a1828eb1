package dev.sluice.tensor.internal;

import dev.sluice.batching.InvalidInputException;
import dev.sluice.tensor.DataType;
import dev.sluice.tensor.Tensor;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Not API. Tensors to and from the Open Inference Protocol's raw encoding, which its gRPC {@code raw_*_contents}
 * and its REST binary tensor data extension share: the elements flat, row-major, little-endian, without padding;
 * a BOOL element one byte, 0 or 1; an FP16 element its two IEEE half-precision bytes; a BYTES element a 4-byte
 * little-endian unsigned length followed by that many bytes.
 *
 * <p>Reading checks the bytes against the shape before anything is allocated, so what is built is never larger
 * than a small multiple of the bytes that came. Every problem is an {@link InvalidInputException} that starts with
 * {@code what} (for example {@code input 'x'}) and names the shape, what was expected and what came; {@code
 * source} names the bytes in the message ({@code "raw contents"}, {@code "binary data"}).
 *
 * <p>Stateless, thread-safe.
 */
public final class RawTensors {
    /** The most bytes one tensor may hold (the largest array a JVM reliably allocates). */
    private static final long MAX_BYTES = Integer.MAX_VALUE - 8;

    private RawTensors() {}

    /**
     * How many elements {@code shape} holds.
     *
     * @throws InvalidInputException if that is more than an array can index
     */
    public static int elements(String what, long[] shape) {
        long n = 1;
        for (long d : shape) {
            try {
                n = Math.multiplyExact(n, d);
            } catch (ArithmeticException e) {
                n = Long.MAX_VALUE;
            }
            if (n > MAX_BYTES) {
                throw new InvalidInputException(what + ": shape " + Arrays.toString(shape)
                        + " has more elements than a tensor can hold");
            }
        }
        return (int) n;
    }

    /**
     * The raw size of a tensor of a fixed-size {@code type} and {@code shape}.
     *
     * @throws InvalidInputException if the shape holds more elements, or bytes, than a tensor can
     * @throws IllegalArgumentException for BYTES, whose size depends on its elements
     */
    public static int byteSize(String what, DataType type, long[] shape) {
        if (type == DataType.BYTES) {
            throw new IllegalArgumentException("BYTES elements have no fixed size");
        }
        long bytes = (long) elements(what, shape) * type.byteSize();
        if (bytes > MAX_BYTES) {
            throw new InvalidInputException(what + ": shape " + Arrays.toString(shape) + " of " + type + " needs "
                    + bytes + " bytes, more than the 2 GiB one tensor may hold");
        }
        return (int) bytes;
    }

    // ---------------------------------------------------------------- reading

    /**
     * The tensor whose raw encoding is exactly {@code raw}'s remaining bytes (read as little-endian whatever the
     * buffer's order; {@code raw}'s position is not moved).
     *
     * @param what the tensor in words, for messages: {@code input 'x'}
     * @param source the bytes in words, for messages: {@code raw contents}
     * @throws InvalidInputException if the bytes do not hold exactly the shape's elements, or a BOOL byte is
     *     neither 0 nor 1
     */
    public static Tensor read(String what, String source, String name, DataType type, long[] shape, ByteBuffer raw) {
        int count = elements(what, shape);
        ByteBuffer in = raw.slice().order(ByteOrder.LITTLE_ENDIAN);
        if (type == DataType.BYTES) {
            return TensorAccess.door().ofSharedStrings(name, shape, strings(what, source, shape, count, in));
        }
        long expected = (long) count * type.byteSize();
        if (in.remaining() != expected) {
            throw new InvalidInputException(what + ": shape " + Arrays.toString(shape) + " of " + type + " needs "
                    + expected + " bytes of " + source + " (" + count + " elements), it has " + in.remaining());
        }
        ByteBuffer b = ByteBuffer.allocate((int) expected).order(ByteOrder.nativeOrder());
        reorder(in, b, type.byteSize());
        b.flip();
        if (type == DataType.BOOL) {
            for (int i = 0; i < count; i++) {
                byte v = b.get(i);
                if (v != 0 && v != 1) {
                    throw new InvalidInputException(what + ": element " + i + " is the byte " + v + "; a raw BOOL "
                            + "element is 0 or 1");
                }
            }
        }
        return TensorBatch.owned(name, type, shape, b);
    }

    /** BYTES elements: each a 4-byte little-endian length and that many bytes, filling {@code in} exactly. */
    private static List<byte[]> strings(String what, String source, long[] shape, int count, ByteBuffer in) {
        int size = in.remaining();
        if (count > size / 4) { // each element takes at least its 4-byte length
            throw new InvalidInputException(what + ": shape " + Arrays.toString(shape) + " needs " + count
                    + " BYTES elements, but " + size + " bytes of " + source + " hold at most " + size / 4);
        }
        List<byte[]> values = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            if (in.remaining() < 4) {
                throw new InvalidInputException(what + ": shape " + Arrays.toString(shape) + " needs " + count
                        + " BYTES elements, " + source + " end after " + i);
            }
            long length = Integer.toUnsignedLong(in.getInt());
            if (length > in.remaining()) {
                throw new InvalidInputException(what + ": BYTES element " + i + " declares " + length
                        + " bytes, only " + in.remaining() + " follow in " + source);
            }
            byte[] value = new byte[(int) length];
            in.get(value);
            values.add(value);
        }
        if (in.hasRemaining()) {
            throw new InvalidInputException(what + ": " + source + " hold " + in.remaining() + " bytes after the "
                    + count + " BYTES elements of shape " + Arrays.toString(shape));
        }
        return values;
    }

    // ---------------------------------------------------------------- writing

    /**
     * The size of {@code t}'s raw encoding.
     *
     * @throws IllegalArgumentException if that is more than one array can hold (BYTES elements that add up past
     *     2 GiB)
     */
    public static int size(Tensor t) {
        if (t.dataType() != DataType.BYTES) {
            return t.data().remaining();
        }
        long size = 0;
        for (byte[] s : TensorAccess.door().strings(t)) {
            size += 4 + s.length;
        }
        if (size > MAX_BYTES) {
            throw new IllegalArgumentException("tensor '" + t.name() + "' needs " + size
                    + " bytes of raw contents, more than one array can hold");
        }
        return (int) size;
    }

    /**
     * {@code t}'s raw encoding, read-only, positioned at 0: the tensor's own buffer, not copied, where the
     * platform is little-endian or the elements are single bytes; a new buffer otherwise, and for BYTES.
     */
    public static ByteBuffer littleEndian(Tensor t) {
        if (t.dataType() != DataType.BYTES
                && (ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN || t.dataType().byteSize() == 1)) {
            return t.data().order(ByteOrder.LITTLE_ENDIAN);
        }
        ByteBuffer out = ByteBuffer.allocate(size(t));
        write(t, out);
        out.flip();
        return out.asReadOnlyBuffer().order(ByteOrder.LITTLE_ENDIAN);
    }

    /**
     * Puts {@code t}'s raw encoding ({@link #size} bytes) into {@code out} at its position, which advances.
     *
     * @throws java.nio.BufferOverflowException if {@code out} has less room
     */
    public static void write(Tensor t, ByteBuffer out) {
        ByteOrder order = out.order();
        out.order(ByteOrder.LITTLE_ENDIAN);
        try {
            if (t.dataType() == DataType.BYTES) {
                for (byte[] s : TensorAccess.door().strings(t)) {
                    out.putInt(s.length).put(s);
                }
            } else {
                reorder(t.data(), out, t.dataType().byteSize());
            }
        } finally {
            out.order(order);
        }
    }

    /** Copies {@code in}'s elements of {@code size} bytes into {@code out}, each in {@code out}'s byte order. */
    private static void reorder(ByteBuffer in, ByteBuffer out, int size) {
        if (size == 1 || in.order() == out.order()) {
            out.put(in);
            return;
        }
        while (in.hasRemaining()) {
            switch (size) {
                case 2 -> out.putShort(in.getShort());
                case 4 -> out.putInt(in.getInt());
                case 8 -> out.putLong(in.getLong());
                default -> throw new IllegalArgumentException("element size " + size);
            }
        }
    }
}
