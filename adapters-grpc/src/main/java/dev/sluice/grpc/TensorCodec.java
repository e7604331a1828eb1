package dev.sluice.grpc;

import com.google.protobuf.ByteString;
import dev.sluice.batching.InvalidInputException;
import dev.sluice.grpc.proto.InferTensorContents;
import dev.sluice.tensor.DataType;
import dev.sluice.tensor.Tensor;
import dev.sluice.tensor.internal.TensorBatch;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Tensors to and from the protocol's two encodings: typed {@code contents} ({@link InferTensorContents}, one
 * repeated field per family of types) and raw bytes (flat, row-major, little-endian; a BYTES element is a 4-byte
 * little-endian length and its bytes). The server and the client both read and write through here.
 *
 * <p>A shape is checked against the data that came before anything is allocated, so the size of what is built
 * never exceeds a small multiple of the message that carried it. Every problem is an {@link InvalidInputException}
 * that starts with {@code what} (for example {@code input 'x'}) and says what was expected and what came.
 *
 * <p>Stateless, thread-safe.
 */
final class TensorCodec {
    /** InferTensorContents' fields, indexed as {@link #field} numbers them. */
    private static final String[] FIELDS = {"bool_contents", "int_contents", "int64_contents", "uint_contents",
        "uint64_contents", "fp32_contents", "fp64_contents", "bytes_contents"};
    private static final int MAX_RANK = 32;

    private TensorCodec() {}

    /** Which field of InferTensorContents carries {@code type}: an index into {@link #FIELDS}, -1 for FP16. */
    private static int field(DataType type) {
        return switch (type) {
            case BOOL -> 0;
            case INT8, INT16, INT32 -> 1;
            case INT64 -> 2;
            case UINT8, UINT16, UINT32 -> 3;
            case UINT64 -> 4;
            case FP32 -> 5;
            case FP64 -> 6;
            case BYTES -> 7;
            case FP16 -> -1;
        };
    }

    private static int[] counts(InferTensorContents c) {
        return new int[] {c.getBoolContentsCount(), c.getIntContentsCount(), c.getInt64ContentsCount(),
            c.getUintContentsCount(), c.getUint64ContentsCount(), c.getFp32ContentsCount(),
            c.getFp64ContentsCount(), c.getBytesContentsCount()};
    }

    // ---------------------------------------------------------------- reading

    /** The element type named {@code datatype}. */
    static DataType type(String what, String datatype) {
        try {
            return DataType.fromOip(datatype);
        } catch (InvalidInputException e) {
            throw new InvalidInputException(what + ": " + e.getMessage());
        }
    }

    /** The shape, checked: dimensions not negative, at most 32 of them. */
    static long[] shape(String what, List<Long> dims) {
        if (dims.size() > MAX_RANK) {
            throw new InvalidInputException(what + ": shape has " + dims.size() + " dimensions, more than "
                    + MAX_RANK);
        }
        long[] shape = new long[dims.size()];
        for (int i = 0; i < shape.length; i++) {
            shape[i] = dims.get(i);
            if (shape[i] < 0) {
                throw new InvalidInputException(what + ": dimension " + i + " of shape " + dims + " is negative");
            }
        }
        return shape;
    }

    /** How many elements {@code shape} holds; more than an array can index is an error. */
    static int elements(String what, long[] shape) {
        long n = 1;
        for (long d : shape) {
            try {
                n = Math.multiplyExact(n, d);
            } catch (ArithmeticException e) {
                n = Long.MAX_VALUE;
            }
            if (n > Integer.MAX_VALUE - 8) {
                throw new InvalidInputException(what + ": shape " + Arrays.toString(shape)
                        + " has more elements than a tensor can hold");
            }
        }
        return (int) n;
    }

    /**
     * A tensor as a message describes it: from {@code raw} when given, else from {@code contents}.
     *
     * @param what the tensor in words, for messages: {@code input 'x'}
     */
    static Tensor tensor(String what, String name, String datatype, List<Long> shape, InferTensorContents contents,
            ByteString raw) {
        DataType type = type(what, datatype);
        long[] dims = shape(what, shape);
        return raw != null ? fromRaw(what, name, type, dims, raw) : fromContents(what, name, type, dims, contents);
    }

    /** A tensor from typed {@code contents}. */
    static Tensor fromContents(String what, String name, DataType type, long[] shape, InferTensorContents c) {
        int index = field(type);
        if (index < 0) {
            throw new InvalidInputException(what + ": FP16 has no field in contents; send its elements as raw "
                    + "contents (little-endian IEEE half precision)");
        }
        int[] counts = counts(c);
        for (int i = 0; i < counts.length; i++) {
            if (i != index && counts[i] != 0) {
                throw new InvalidInputException(what + ": a " + type + " tensor's elements go in " + FIELDS[index]
                        + ", but contents has " + counts[i] + " in " + FIELDS[i]);
            }
        }
        int count = elements(what, shape);
        if (counts[index] != count) {
            throw new InvalidInputException(what + ": shape " + Arrays.toString(shape) + " needs " + count + " "
                    + type + " elements, " + FIELDS[index] + " has " + counts[index]);
        }
        if (type == DataType.BYTES) {
            List<byte[]> values = new ArrayList<>(count);
            for (int i = 0; i < count; i++) {
                values.add(c.getBytesContents(i).toByteArray());
            }
            return Tensor.ofStrings(name, shape, values);
        }
        ByteBuffer b = ByteBuffer.allocate(Math.multiplyExact(count, type.byteSize())).order(ByteOrder.nativeOrder());
        for (int i = 0; i < count; i++) {
            switch (type) {
                case BOOL -> b.put((byte) (c.getBoolContents(i) ? 1 : 0));
                case INT8 -> b.put((byte) ranged(what, type, i, c.getIntContents(i), Byte.MIN_VALUE, Byte.MAX_VALUE));
                case INT16 -> b.putShort((short) ranged(what, type, i, c.getIntContents(i), Short.MIN_VALUE,
                        Short.MAX_VALUE));
                case INT32 -> b.putInt(c.getIntContents(i));
                case INT64 -> b.putLong(c.getInt64Contents(i));
                case UINT8 -> b.put((byte) ranged(what, type, i, Integer.toUnsignedLong(c.getUintContents(i)), 0, 0xFF));
                case UINT16 -> b.putShort((short) ranged(what, type, i, Integer.toUnsignedLong(c.getUintContents(i)), 0,
                        0xFFFF));
                case UINT32 -> b.putInt(c.getUintContents(i));
                case UINT64 -> b.putLong(c.getUint64Contents(i));
                case FP32 -> b.putFloat(c.getFp32Contents(i));
                case FP64 -> b.putDouble(c.getFp64Contents(i));
                default -> throw new IllegalStateException("no typed contents for " + type);
            }
        }
        b.flip();
        return TensorBatch.owned(name, type, shape, b);
    }

    private static long ranged(String what, DataType type, int i, long v, long min, long max) {
        if (v < min || v > max) {
            throw new InvalidInputException(what + ": element " + i + " is " + v + "; a " + type
                    + " element must be a whole number from " + min + " to " + max);
        }
        return v;
    }

    /** A tensor from raw contents. */
    static Tensor fromRaw(String what, String name, DataType type, long[] shape, ByteString raw) {
        int count = elements(what, shape);
        if (type == DataType.BYTES) {
            return Tensor.ofStrings(name, shape, strings(what, shape, count, raw));
        }
        long expected = (long) count * type.byteSize();
        if (raw.size() != expected) {
            throw new InvalidInputException(what + ": shape " + Arrays.toString(shape) + " of " + type + " needs "
                    + expected + " bytes of raw contents (" + count + " elements), it has " + raw.size());
        }
        ByteBuffer b = ByteBuffer.allocate((int) expected).order(ByteOrder.nativeOrder());
        reorder(raw.asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN), b, type.byteSize());
        b.flip();
        if (type == DataType.BOOL) {
            for (int i = 0; i < count; i++) {
                byte v = b.get(i);
                if (v != 0 && v != 1) {
                    throw new InvalidInputException(what + ": element " + i + " is the byte " + v
                            + "; a raw BOOL element is 0 or 1");
                }
            }
        }
        return TensorBatch.owned(name, type, shape, b);
    }

    /** BYTES elements from raw contents: each a 4-byte little-endian length and that many bytes. */
    private static List<byte[]> strings(String what, long[] shape, int count, ByteString raw) {
        ByteBuffer in = raw.asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
        if (count > in.remaining() / 4) { // each element takes at least its 4-byte length
            throw new InvalidInputException(what + ": shape " + Arrays.toString(shape) + " needs " + count
                    + " BYTES elements, but " + raw.size() + " bytes of raw contents hold at most "
                    + raw.size() / 4);
        }
        List<byte[]> values = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            if (in.remaining() < 4) {
                throw new InvalidInputException(what + ": shape " + Arrays.toString(shape) + " needs " + count
                        + " BYTES elements, raw contents end after " + i);
            }
            long length = Integer.toUnsignedLong(in.getInt());
            if (length > in.remaining()) {
                throw new InvalidInputException(what + ": BYTES element " + i + " declares " + length
                        + " bytes, only " + in.remaining() + " follow in raw contents");
            }
            byte[] value = new byte[(int) length];
            in.get(value);
            values.add(value);
        }
        if (in.hasRemaining()) {
            throw new InvalidInputException(what + ": raw contents hold " + in.remaining() + " bytes after the "
                    + count + " BYTES elements of shape " + Arrays.toString(shape));
        }
        return values;
    }

    // ---------------------------------------------------------------- writing

    /** Whether {@code type} can travel as typed contents (FP16 cannot). */
    static boolean hasContentsField(DataType type) {
        return field(type) >= 0;
    }

    /** The tensor's elements as typed contents. */
    static InferTensorContents contents(Tensor t) {
        InferTensorContents.Builder c = InferTensorContents.newBuilder();
        DataType type = t.dataType();
        if (type == DataType.BYTES) {
            for (byte[] s : t.strings()) {
                c.addBytesContents(ByteString.copyFrom(s));
            }
            return c.build();
        }
        ByteBuffer b = t.data();
        long n = t.elementCount();
        for (long i = 0; i < n; i++) {
            switch (type) {
                case BOOL -> c.addBoolContents(b.get() != 0);
                case INT8 -> c.addIntContents(b.get());
                case INT16 -> c.addIntContents(b.getShort());
                case INT32 -> c.addIntContents(b.getInt());
                case INT64 -> c.addInt64Contents(b.getLong());
                case UINT8 -> c.addUintContents(b.get() & 0xFF);
                case UINT16 -> c.addUintContents(b.getShort() & 0xFFFF);
                case UINT32 -> c.addUintContents(b.getInt());
                case UINT64 -> c.addUint64Contents(b.getLong());
                case FP32 -> c.addFp32Contents(b.getFloat());
                case FP64 -> c.addFp64Contents(b.getDouble());
                default -> throw new IllegalArgumentException("tensor '" + t.name() + "': " + type
                        + " has no field in contents; send it raw");
            }
        }
        return c.build();
    }

    /** The tensor's elements as raw contents. */
    static ByteString raw(Tensor t) {
        if (t.dataType() == DataType.BYTES) {
            List<byte[]> values = t.strings();
            long size = 0;
            for (byte[] s : values) {
                size += 4 + s.length;
            }
            if (size > Integer.MAX_VALUE - 8) {
                throw new IllegalArgumentException("tensor '" + t.name() + "' needs " + size
                        + " bytes of raw contents, more than one message can carry");
            }
            ByteBuffer out = ByteBuffer.allocate((int) size).order(ByteOrder.LITTLE_ENDIAN);
            for (byte[] s : values) {
                out.putInt(s.length).put(s);
            }
            out.flip();
            return ByteString.copyFrom(out);
        }
        ByteBuffer data = t.data();
        if (ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN || t.dataType().byteSize() == 1) {
            return ByteString.copyFrom(data);
        }
        ByteBuffer out = ByteBuffer.allocate(data.remaining()).order(ByteOrder.LITTLE_ENDIAN);
        reorder(data, out, t.dataType().byteSize());
        out.flip();
        return ByteString.copyFrom(out);
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
