package dev.sluice.grpc;

import com.google.protobuf.ByteString;
import dev.sluice.batching.InvalidInputException;
import dev.sluice.grpc.proto.InferTensorContents;
import dev.sluice.tensor.DataType;
import dev.sluice.tensor.Tensor;
import dev.sluice.tensor.internal.RawTensors;
import dev.sluice.tensor.internal.TensorBatch;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Tensors to and from the protocol's two encodings: typed {@code contents} ({@link InferTensorContents}, one
 * repeated field per family of types) and raw bytes (flat, row-major, little-endian; a BYTES element is a 4-byte
 * little-endian length and its bytes), whose codec core's {@link RawTensors} shares with the REST adapter's binary
 * tensor data. The server and the client both read and write through here.
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
    /** What raw bytes are called in messages. */
    private static final String RAW = "raw contents";

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
        return RawTensors.elements(what, shape);
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

    /** A tensor from raw contents (see {@link RawTensors}). */
    static Tensor fromRaw(String what, String name, DataType type, long[] shape, ByteString raw) {
        return RawTensors.read(what, RAW, name, type, shape, raw.asReadOnlyByteBuffer());
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

    /** The tensor's elements as raw contents (see {@link RawTensors}): one copy, into the message. */
    static ByteString raw(Tensor t) {
        return ByteString.copyFrom(RawTensors.littleEndian(t));
    }
}
