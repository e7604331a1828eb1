package dev.sluice.tensor;

import dev.sluice.batching.InvalidInputException;
import dev.sluice.tensor.internal.TensorAccess;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Objects;

/**
 * A named, typed, shaped array: what models take and give. Fixed-size types keep their elements in a buffer in
 * native byte order: on the Java heap when Sluice makes it (the typed factories, and a copy of a buffer that is
 * not direct), so that the garbage collector sees its size and a service's memory follows its live requests;
 * a direct buffer in native order given to {@link #of} is shared as it is. Models that need native memory (ONNX
 * Runtime) copy a batch into buffers of their own, reused from call to call (code that hands {@link #data()} to
 * ONNX Runtime itself copies a heap buffer into a direct one first: ONNX Runtime 1.23's {@code
 * OnnxTensor.createTensor} fails on a read-only heap buffer). {@link DataType#BYTES}
 * tensors keep one byte string per element. Immutable: {@link #data()} is a read-only view.
 *
 * <p>Every factory checks that the data fits the shape and type and throws {@link InvalidInputException}
 * saying what was expected and what came, so bad input is refused before it reaches a batch.
 */
public final class Tensor {
    static {
        TensorAccess.open(new TensorAccess.Door() {
            @Override
            public List<byte[]> strings(Tensor tensor) {
                if (tensor.strings == null) {
                    throw new IllegalStateException("tensor '" + tensor.name + "' is " + tensor.type + ", not BYTES");
                }
                return tensor.strings;
            }

            @Override
            public Tensor ofSharedStrings(String name, long[] shape, List<byte[]> elements) {
                return stringsTensor(name, shape, elements, false);
            }

            @Override
            public Tensor ofOwned(String name, DataType type, long[] shape, ByteBuffer data) {
                if (data.order() != ByteOrder.nativeOrder()) {
                    throw new IllegalArgumentException("tensor '" + name + "': an owned buffer must be in native order");
                }
                return of(name, type, shape, data, false);
            }
        });
    }

    private final String name;
    private final DataType type;
    private final long[] shape;
    private final long count;
    private final ByteBuffer data;
    private final List<byte[]> strings;

    private Tensor(String name, DataType type, long[] shape, long count, ByteBuffer data, List<byte[]> strings) {
        this.name = name;
        this.type = type;
        this.shape = shape;
        this.count = count;
        this.data = data;
        this.strings = strings;
    }

    /**
     * A tensor of a fixed-size type over {@code data}'s remaining bytes: a direct buffer in native order is
     * shared read-only; any other buffer is copied (to the Java heap).
     *
     * @throws InvalidInputException if the shape has a negative dimension or the bytes do not fit it
     */
    public static Tensor of(String name, DataType type, long[] shape, ByteBuffer data) {
        return of(name, type, shape, data, true);
    }

    /** {@code copy}: whether a buffer that is not direct is copied (false: the caller gives it up, see the door). */
    private static Tensor of(String name, DataType type, long[] shape, ByteBuffer data, boolean copy) {
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(data, "data");
        if (type == DataType.BYTES) {
            throw new InvalidInputException("tensor '" + name + "': BYTES tensors hold byte strings; use ofStrings");
        }
        long[] s = checkShape(name, shape);
        long count = elements(name, s);
        long expected = count * type.byteSize();
        if (data.remaining() != expected) {
            throw new InvalidInputException("tensor '" + name + "': shape " + Arrays.toString(s) + " of " + type
                    + " needs " + expected + " bytes (" + count + " elements), got " + data.remaining() + " bytes");
        }
        ByteBuffer buffer;
        if ((data.isDirect() || !copy) && data.order() == ByteOrder.nativeOrder()) {
            buffer = data.slice().order(ByteOrder.nativeOrder());
        } else {
            buffer = allocate(expected);
            buffer.put(data.duplicate());
            buffer.flip();
        }
        return new Tensor(checkName(name), type, s, count, buffer.asReadOnlyBuffer().order(ByteOrder.nativeOrder()), null);
    }

    public static Tensor ofFloats(String name, long[] shape, float... values) {
        ByteBuffer b = sized(name, DataType.FP32, shape, values.length);
        b.asFloatBuffer().put(values);
        return of(name, DataType.FP32, shape, b);
    }

    public static Tensor ofDoubles(String name, long[] shape, double... values) {
        ByteBuffer b = sized(name, DataType.FP64, shape, values.length);
        b.asDoubleBuffer().put(values);
        return of(name, DataType.FP64, shape, b);
    }

    public static Tensor ofInts(String name, long[] shape, int... values) {
        ByteBuffer b = sized(name, DataType.INT32, shape, values.length);
        b.asIntBuffer().put(values);
        return of(name, DataType.INT32, shape, b);
    }

    public static Tensor ofLongs(String name, long[] shape, long... values) {
        ByteBuffer b = sized(name, DataType.INT64, shape, values.length);
        b.asLongBuffer().put(values);
        return of(name, DataType.INT64, shape, b);
    }

    /** A UINT8 tensor (raw bytes: images, say). */
    public static Tensor ofUint8(String name, long[] shape, byte... values) {
        ByteBuffer b = sized(name, DataType.UINT8, shape, values.length);
        b.put(values);
        b.flip();
        return of(name, DataType.UINT8, shape, b);
    }

    public static Tensor ofBooleans(String name, long[] shape, boolean... values) {
        ByteBuffer b = sized(name, DataType.BOOL, shape, values.length);
        for (boolean v : values) {
            b.put((byte) (v ? 1 : 0));
        }
        b.flip();
        return of(name, DataType.BOOL, shape, b);
    }

    /**
     * A BYTES tensor: one byte string per element (text, encoded images).
     *
     * @throws InvalidInputException if the number of strings does not fit the shape, or one is null
     */
    public static Tensor ofStrings(String name, long[] shape, List<byte[]> elements) {
        return stringsTensor(name, shape, elements, true);
    }

    private static Tensor stringsTensor(String name, long[] shape, List<byte[]> elements, boolean copy) {
        Objects.requireNonNull(elements, "elements");
        long[] s = checkShape(name, shape);
        long count = elements(name, s);
        if (elements.size() != count) {
            throw new InvalidInputException("tensor '" + name + "': shape " + Arrays.toString(s) + " needs " + count
                    + " BYTES elements, got " + elements.size());
        }
        List<byte[]> kept = new ArrayList<>(elements.size());
        for (int i = 0; i < elements.size(); i++) {
            byte[] e = elements.get(i);
            if (e == null) {
                throw new InvalidInputException("tensor '" + name + "': BYTES element " + i + " is null");
            }
            kept.add(copy ? e.clone() : e);
        }
        return new Tensor(checkName(name), DataType.BYTES, s, count, null, Collections.unmodifiableList(kept));
    }

    public String name() {
        return name;
    }

    public DataType dataType() {
        return type;
    }

    /** A copy of the shape. */
    public long[] shape() {
        return shape.clone();
    }

    public int rank() {
        return shape.length;
    }

    public long dim(int i) {
        return shape[i];
    }

    public long elementCount() {
        return count;
    }

    /**
     * The elements, read-only, positioned at 0, in native byte order.
     *
     * @throws IllegalStateException for a BYTES tensor (see {@link #strings()})
     */
    public ByteBuffer data() {
        if (data == null) {
            throw new IllegalStateException("tensor '" + name + "' is BYTES: read it with strings()");
        }
        return data.duplicate().order(ByteOrder.nativeOrder());
    }

    /**
     * The byte strings of a BYTES tensor, in row-major order (copies).
     *
     * @throws IllegalStateException for any other type
     */
    public List<byte[]> strings() {
        if (strings == null) {
            throw new IllegalStateException("tensor '" + name + "' is " + type + ", not BYTES");
        }
        List<byte[]> copy = new ArrayList<>(strings.size());
        strings.forEach(s -> copy.add(s.clone()));
        return copy;
    }

    /** Same data and shape, another name. */
    public Tensor withName(String newName) {
        return new Tensor(checkName(newName), type, shape, count, data, strings);
    }

    public float[] toFloatArray() {
        float[] out = new float[(int) count];
        expect(DataType.FP32).asFloatBuffer().get(out);
        return out;
    }

    public double[] toDoubleArray() {
        double[] out = new double[(int) count];
        expect(DataType.FP64).asDoubleBuffer().get(out);
        return out;
    }

    public int[] toIntArray() {
        int[] out = new int[(int) count];
        expect(DataType.INT32).asIntBuffer().get(out);
        return out;
    }

    public long[] toLongArray() {
        long[] out = new long[(int) count];
        expect(DataType.INT64).asLongBuffer().get(out);
        return out;
    }

    private ByteBuffer expect(DataType wanted) {
        if (type != wanted) {
            throw new IllegalStateException("tensor '" + name + "' is " + type + ", not " + wanted);
        }
        return data();
    }

    @Override
    public String toString() {
        return "Tensor[" + name + ", " + type + ", " + Arrays.toString(shape) + "]";
    }

    // ---------------------------------------------------------------- checks

    static ByteBuffer allocate(long bytes) {
        if (bytes > Integer.MAX_VALUE) {
            throw new InvalidInputException("a tensor of " + bytes + " bytes is larger than 2 GiB, which is the most "
                    + "one tensor may hold");
        }
        return ByteBuffer.allocate((int) bytes).order(ByteOrder.nativeOrder());
    }

    private static ByteBuffer sized(String name, DataType type, long[] shape, int values) {
        long[] s = checkShape(name, shape);
        long count = elements(name, s);
        if (count != values) {
            throw new InvalidInputException("tensor '" + name + "': shape " + Arrays.toString(s) + " needs " + count
                    + " " + type + " elements, got " + values);
        }
        return allocate(count * type.byteSize());
    }

    private static String checkName(String name) {
        if (name == null || name.isEmpty()) {
            throw new InvalidInputException("a tensor needs a name");
        }
        return name;
    }

    static long[] checkShape(String name, long[] shape) {
        if (shape == null) {
            throw new InvalidInputException("tensor '" + name + "': shape is missing");
        }
        long[] s = shape.clone();
        for (int i = 0; i < s.length; i++) {
            if (s[i] < 0) {
                throw new InvalidInputException("tensor '" + name + "': dimension " + i + " of shape "
                        + Arrays.toString(s) + " is negative");
            }
        }
        return s;
    }

    static long elements(String name, long[] shape) {
        long n = 1;
        for (long d : shape) {
            try {
                n = Math.multiplyExact(n, d);
            } catch (ArithmeticException e) {
                throw new InvalidInputException("tensor '" + name + "': shape " + Arrays.toString(shape)
                        + " has too many elements");
            }
        }
        return n;
    }
}
