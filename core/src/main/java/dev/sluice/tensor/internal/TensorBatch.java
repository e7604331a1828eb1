package dev.sluice.tensor.internal;

import dev.sluice.batching.InvalidInputException;
import dev.sluice.tensor.DataType;
import dev.sluice.tensor.Fp16;
import dev.sluice.tensor.Tensor;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.function.IntFunction;
import java.util.function.LongUnaryOperator;

/**
 * Collation of one input across the requests of a batch: {@link #stack} puts the requests' tensors one after
 * another along dimension 0 (each request may bring several rows), padding the dimensions declared ragged to
 * the largest in the batch; {@link #split} cuts a model output back into one tensor per request, cropping the
 * output dimensions that follow a padded input dimension back to each request's own extent.
 *
 * <p>For example, text-line images of shape {@code [1, 3, 48, W]} with different widths W stack into
 * {@code [n, 3, 48, Wmax]} (padded with the pad value); a recognizer's output {@code [n, Wmax / 8, C]} splits
 * back into {@code [1, W / 8, C]} per request with {@code Follow.dim(1, 3)}.
 *
 * <p>Memory: a stacked batch goes into a buffer the caller gives ({@link #stack(List, double, IntFunction, int...)}:
 * the ONNX runtime's own direct buffer, reused from batch to batch) or a new one on the Java heap; the parts of a
 * split are views of the output where a request's part is a run of whole rows, otherwise copies on the Java heap;
 * {@link #splitCopies} copies every part, for an output in a buffer that will be reused.
 *
 * <p>Not API (see the package): the ONNX runtime in {@code sluice-gpu} is its user. It reads tensors through
 * their public methods only. Threading: stateless, thread-safe.
 */
public final class TensorBatch {
    private TensorBatch() {}

    /**
     * The stacked tensor, and where each request sits in it.
     *
     * @param tensor the requests' tensors along dimension 0, padded
     * @param rows how many rows (dimension 0) each request brought, in order
     * @param shapes each request's own shape, to crop outputs back to it
     */
    public record Stacked(Tensor tensor, int[] rows, List<long[]> shapes) {
        public Stacked {
            Objects.requireNonNull(tensor, "tensor");
            rows = rows.clone();
            shapes = List.copyOf(shapes);
        }

        /** How many rows each request brought: a copy, as the constructor took one. */
        @Override
        public int[] rows() {
            return rows.clone();
        }

        public int requests() {
            return rows.length;
        }
    }

    /**
     * An output dimension whose size follows an input dimension that was padded, cropped back per request:
     * to {@code extent} of the request's own input extent when given (exact: e.g. {@code w -> Math.max(1, (w + 3) / 8)}
     * for a network that downsamples by 8 with padding), otherwise in proportion (output size x own extent /
     * padded extent, rounded), which is only right for an output exactly proportional to its input.
     *
     * @param outputDim the output's dimension (not 0)
     * @param inputDim the stacked input's ragged dimension
     * @param extent the output's size for an input of a given size, or null for proportional
     */
    public record Follow(int outputDim, int inputDim, LongUnaryOperator extent) {
        public Follow {
            if (outputDim < 1 || inputDim < 1) {
                throw new IllegalArgumentException("dimension 0 is the batch; a followed dimension is 1 or more, was "
                        + outputDim + " following " + inputDim);
            }
        }

        /** In proportion to the input (see the class comment for when that is right). */
        public static Follow dim(int outputDim, int inputDim) {
            return new Follow(outputDim, inputDim, null);
        }

        /** Exactly: the output's size is {@code extent} of the request's input size. */
        public static Follow dim(int outputDim, int inputDim, LongUnaryOperator extent) {
            return new Follow(outputDim, inputDim, Objects.requireNonNull(extent, "extent"));
        }

        long size(long outputSize, long ownExtent, long paddedExtent) {
            if (extent != null) {
                return Math.max(0, Math.min(outputSize, extent.applyAsLong(ownExtent)));
            }
            return paddedExtent == 0 ? 0 : Math.round((double) outputSize * ownExtent / paddedExtent);
        }
    }

    /**
     * Stacks {@code tensors} (one per request, all of one input) along dimension 0.
     *
     * @param padValue written where a request is shorter than the batch in a ragged dimension (as the nearest
     *     value of the input's type)
     * @param raggedDims the dimensions (1 or more) that may differ between requests; every other dimension
     *     but 0 must be equal
     * @throws InvalidInputException naming the request (by its index in the list) whose type, rank or
     *     dimension does not fit the others
     */
    public static Stacked stack(List<Tensor> tensors, double padValue, int... raggedDims) {
        return stack(tensors, padValue, null, raggedDims);
    }

    /**
     * Like {@link #stack(List, double, int...)}, into a buffer from {@code into}, which is given the bytes the batch
     * needs and returns a buffer in native order, positioned at 0 with that limit, of any contents (every byte is
     * written): e.g. a direct buffer the caller reuses from batch to batch. The stacked tensor is then a view of that
     * buffer, valid while the caller does not reuse it. A lone request whose data is already direct, in native order,
     * is not copied; a lone request on the heap is (a model reading native memory needs it there).
     *
     * @param into the buffer to stack into; null for a new one on the Java heap (and no copy for a lone request)
     */
    public static Stacked stack(List<Tensor> tensors, double padValue, IntFunction<ByteBuffer> into, int... raggedDims) {
        Objects.requireNonNull(tensors, "tensors");
        if (tensors.isEmpty()) {
            throw new IllegalArgumentException("nothing to stack: no tensors");
        }
        Tensor first = tensors.get(0);
        DataType type = first.dataType();
        int rank = first.rank();
        boolean[] ragged = new boolean[rank];
        for (int d : raggedDims) {
            if (d < 1 || d >= rank) {
                throw new IllegalArgumentException("ragged dimension " + d + " is not 1.." + (rank - 1)
                        + " of a rank-" + rank + " input");
            }
            ragged[d] = true;
        }
        if (rank == 0) {
            throw new InvalidInputException("tensor '" + first.name() + "': a scalar has no batch dimension to stack on");
        }
        long[] out = first.shape();
        long total = 0;
        int[] rows = new int[tensors.size()];
        List<long[]> shapes = new ArrayList<>(tensors.size());
        for (int i = 0; i < tensors.size(); i++) {
            Tensor t = tensors.get(i);
            if (t.dataType() != type) {
                throw new InvalidInputException("request " + i + ": tensor '" + t.name() + "' is " + t.dataType()
                        + ", the batch's is " + type);
            }
            if (t.rank() != rank) {
                throw new InvalidInputException("request " + i + ": tensor '" + t.name() + "' has rank " + t.rank()
                        + " " + Arrays.toString(t.shape()) + ", expected rank " + rank + " like "
                        + Arrays.toString(first.shape()));
            }
            long[] s = t.shape();
            for (int d = 1; d < rank; d++) {
                if (ragged[d]) {
                    out[d] = Math.max(out[d], s[d]);
                } else if (s[d] != out[d]) {
                    throw new InvalidInputException("request " + i + ": tensor '" + t.name() + "' has dimension " + d
                            + " of " + s[d] + " " + Arrays.toString(s) + ", expected " + out[d] + " (only dimensions "
                            + Arrays.toString(raggedDims) + " may differ)");
                }
            }
            if (s[0] > Integer.MAX_VALUE - total) {
                throw new InvalidInputException("request " + i + ": the batch has too many rows");
            }
            rows[i] = (int) s[0];
            total += s[0];
            shapes.add(s);
        }
        out[0] = total;
        if (tensors.size() == 1 && (into == null || type == DataType.BYTES || first.data().isDirect())) {
            return new Stacked(first, rows, shapes); // one request: nothing to stack or pad, no copy
        }
        if (type == DataType.BYTES) {
            if (raggedDims.length > 0) {
                throw new IllegalArgumentException("BYTES tensors cannot be padded");
            }
            List<byte[]> all = new ArrayList<>();
            tensors.forEach(t -> all.addAll(TensorAccess.door().strings(t))); // moved, not copied
            return new Stacked(TensorAccess.door().ofSharedStrings(first.name(), out, all), rows, shapes);
        }
        int size = type.byteSize();
        int bytes = bytes(first.name(), out, size);
        ByteBuffer dst = into == null ? ByteBuffer.allocate(bytes).order(ByteOrder.nativeOrder()) : into.apply(bytes);
        if (dst.order() != ByteOrder.nativeOrder() || dst.position() != 0 || dst.limit() != bytes) {
            throw new IllegalStateException("the buffer to stack into must be in native order, at 0, with a limit of "
                    + bytes + "; was " + dst + " " + dst.order());
        }
        boolean padded = false;
        for (long[] s : shapes) {
            for (int d = 1; d < rank; d++) {
                padded |= s[d] != out[d];
            }
        }
        if (padded) {
            fill(dst, bytes, padBytes(type, padValue), into == null); // a reused buffer holds the last batch's bytes
        }
        long row = 0;
        for (int i = 0; i < tensors.size(); i++) {
            long[] s = shapes.get(i);
            copyBlock(tensors.get(i).data(), s, 0, dst, out, row, s, size);
            row += s[0];
        }
        return new Stacked(TensorAccess.door().ofOwned(first.name(), type, out, dst), rows, shapes);
    }

    /**
     * A tensor over {@code data}'s remaining bytes (native order) without a copy, for a buffer the caller made
     * and gives up (such as a model output just copied out of native memory): no one else may change it.
     *
     * @throws InvalidInputException if the bytes do not fit the shape
     */
    public static Tensor owned(String name, DataType type, long[] shape, ByteBuffer data) {
        return TensorAccess.door().ofOwned(name, type, shape, data);
    }

    /**
     * Splits a model output for the batch {@code input} back into one tensor per request: rows along dimension
     * 0 as each request brought them, and each followed dimension cropped to that request's extent.
     *
     * @throws IllegalArgumentException if the output's dimension 0 is not the batch's row count, or a followed
     *     dimension does not exist
     */
    public static List<Tensor> split(Tensor output, Stacked input, Follow... follows) {
        return split(output, input, false, follows);
    }

    /**
     * Like {@link #split}, but every part is a copy of its own on the Java heap, never a view of {@code output}: for
     * an output in a buffer that will be reused once the batch is answered.
     */
    public static List<Tensor> splitCopies(Tensor output, Stacked input, Follow... follows) {
        return split(output, input, true, follows);
    }

    private static List<Tensor> split(Tensor output, Stacked input, boolean copy, Follow... follows) {
        Objects.requireNonNull(output, "output");
        Objects.requireNonNull(input, "input");
        long[] out = output.shape();
        long total = Arrays.stream(input.rows).asLongStream().sum();
        if (out.length == 0 || out[0] != total) {
            throw new IllegalArgumentException("output '" + output.name() + "' " + Arrays.toString(out)
                    + " does not have the batch's " + total + " rows in dimension 0");
        }
        long[] inPadded = input.tensor().shape();
        for (Follow f : follows) {
            if (f.outputDim() >= out.length || f.inputDim() >= inPadded.length) {
                throw new IllegalArgumentException(f + " names a dimension that output " + Arrays.toString(out)
                        + " or input " + Arrays.toString(inPadded) + " does not have");
            }
        }
        List<Tensor> parts = new ArrayList<>(input.requests());
        // Read once: data() hands out a fresh view on each call. Strings are moved to the parts, not copied.
        List<byte[]> strings = output.dataType() == DataType.BYTES ? TensorAccess.door().strings(output) : null;
        ByteBuffer data = output.dataType() == DataType.BYTES ? null : output.data();
        long rowElements = out[0] == 0 ? 0 : output.elementCount() / out[0];
        long row = 0;
        for (int i = 0; i < input.requests(); i++) {
            long[] block = out.clone();
            block[0] = input.rows[i];
            long[] own = input.shapes().get(i);
            for (Follow f : follows) {
                block[f.outputDim()] = f.size(out[f.outputDim()], own[f.inputDim()], inPadded[f.inputDim()]);
            }
            if (output.dataType() == DataType.BYTES) {
                if (follows.length > 0) {
                    throw new IllegalArgumentException("BYTES outputs cannot be cropped");
                }
                int from = (int) (row * rowElements);
                parts.add(TensorAccess.door().ofSharedStrings(output.name(), block,
                        strings.subList(from, from + (int) (block[0] * rowElements))));
            } else if (Arrays.equals(block, 1, block.length, out, 1, out.length)) {
                // Whole rows (nothing cropped, as when every request of the batch had the same extent): a run of the
                // output's bytes, a view of it (which keeps the batch's buffer alive while it lives) or a copy.
                long rowBytes = rowElements * output.dataType().byteSize();
                ByteBuffer view = data.duplicate();
                view.position((int) (row * rowBytes)).limit((int) ((row + block[0]) * rowBytes));
                ByteBuffer part = view.slice().order(ByteOrder.nativeOrder());
                if (copy) {
                    ByteBuffer copied = ByteBuffer.allocate(part.remaining()).order(ByteOrder.nativeOrder());
                    copied.put(part).flip();
                    part = copied;
                }
                parts.add(TensorAccess.door().ofOwned(output.name(), output.dataType(), block, part));
            } else {
                int size = output.dataType().byteSize();
                ByteBuffer dst = ByteBuffer.allocate(bytes(output.name(), block, size)).order(ByteOrder.nativeOrder());
                copyBlock(data, out, row, dst, block, 0, block, size);
                parts.add(TensorAccess.door().ofOwned(output.name(), output.dataType(), block, dst));
            }
            row += input.rows[i];
        }
        return parts;
    }

    /**
     * Copies the block of shape {@code block} starting at row {@code srcRow} of {@code src} (shape
     * {@code srcShape}) to row {@code dstRow} of {@code dst} (shape {@code dstShape}), row-major, one
     * contiguous run of the last dimension at a time. The block fits both shapes.
     */
    private static void copyBlock(ByteBuffer src, long[] srcShape, long srcRow, ByteBuffer dst, long[] dstShape,
            long dstRow, long[] block, int size) {
        int rank = block.length;
        for (long d : block) {
            if (d == 0) {
                return;
            }
        }
        long[] srcStride = strides(srcShape, size);
        long[] dstStride = strides(dstShape, size);
        int run = (int) (block[rank - 1] * size);
        long[] index = new long[Math.max(0, rank - 1)];
        while (true) {
            long s = srcRow * srcStride[0];
            long t = dstRow * dstStride[0];
            for (int d = 0; d < index.length; d++) {
                s += index[d] * srcStride[d];
                t += index[d] * dstStride[d];
            }
            if (rank == 1) {
                dst.put((int) (dstRow * dstStride[0]), src, (int) (srcRow * srcStride[0]), run);
                return;
            }
            dst.put((int) t, src, (int) s, run);
            int d = index.length - 1;
            while (d >= 0 && ++index[d] == block[d]) {
                index[d] = 0;
                d--;
            }
            if (d < 0) {
                return;
            }
        }
    }

    /**
     * The bytes of a tensor of {@code shape}.
     *
     * @throws InvalidInputException if it would hold more than one tensor may (2 GiB)
     */
    private static int bytes(String name, long[] shape, int elementSize) {
        long bytes = elementSize;
        try {
            for (long d : shape) {
                bytes = Math.multiplyExact(bytes, d);
            }
        } catch (ArithmeticException e) {
            bytes = Long.MAX_VALUE;
        }
        if (bytes > Integer.MAX_VALUE) {
            throw new InvalidInputException("tensor '" + name + "': a batch of shape " + Arrays.toString(shape)
                    + " is larger than 2 GiB, which is the most one tensor may hold");
        }
        return (int) bytes;
    }

    private static long[] strides(long[] shape, int size) {
        long[] stride = new long[shape.length];
        long s = size;
        for (int d = shape.length - 1; d >= 0; d--) {
            stride[d] = s;
            s *= shape[d];
        }
        return stride;
    }

    /** Writes {@code element} over the first {@code bytes} of {@code dst} (nothing when zero and the buffer is new). */
    private static void fill(ByteBuffer dst, int bytes, byte[] element, boolean fresh) {
        boolean zero = true;
        for (byte b : element) {
            zero &= b == 0;
        }
        if (zero && fresh) {
            return; // a new buffer is zeroed
        }
        if (bytes < element.length) {
            return;
        }
        dst.put(0, element);
        int filled = element.length; // then doubling: bytes is a whole number of elements, and so is filled
        while (filled < bytes) {
            int n = Math.min(filled, bytes - filled);
            dst.put(filled, dst, 0, n);
            filled += n;
        }
    }

    /** The pad value encoded as one element of {@code type}, in native order. */
    static byte[] padBytes(DataType type, double value) {
        ByteBuffer b = ByteBuffer.allocate(type.byteSize()).order(ByteOrder.nativeOrder());
        switch (type) {
            case BOOL, UINT8, INT8 -> b.put((byte) value);
            case UINT16, INT16 -> b.putShort((short) value);
            case UINT32, INT32 -> b.putInt((int) value);
            case UINT64, INT64 -> b.putLong((long) value);
            case FP32 -> b.putFloat((float) value);
            case FP64 -> b.putDouble(value);
            case FP16 -> b.putShort(Fp16.fromFloat((float) value));
            default -> throw new IllegalArgumentException(type + " has no pad value");
        }
        return b.array();
    }
}
