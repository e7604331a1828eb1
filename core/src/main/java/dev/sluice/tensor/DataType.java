package dev.sluice.tensor;

import dev.sluice.batching.InvalidInputException;
import java.util.Arrays;

/**
 * The element type of a {@link Tensor}, named as the Open Inference Protocol (KServe v2) names it.
 * {@link #BYTES} holds variable-length byte strings; every other type has a fixed size.
 */
public enum DataType {
    BOOL(1),
    UINT8(1),
    UINT16(2),
    UINT32(4),
    UINT64(8),
    INT8(1),
    INT16(2),
    INT32(4),
    INT64(8),
    FP16(2),
    FP32(4),
    FP64(8),
    BYTES(-1);

    private final int byteSize;

    DataType(int byteSize) {
        this.byteSize = byteSize;
    }

    /** Bytes per element, or -1 for {@link #BYTES}. */
    public int byteSize() {
        return byteSize;
    }

    /** Its name in the Open Inference Protocol ({@code "FP32"}, {@code "INT64"}, ...). */
    public String oipName() {
        return name();
    }

    /**
     * The type named {@code name} in the Open Inference Protocol.
     *
     * @throws InvalidInputException for any other name, listing the known ones
     */
    public static DataType fromOip(String name) {
        if (name != null) {
            for (DataType t : values()) {
                if (t.name().equals(name)) {
                    return t;
                }
            }
        }
        throw new InvalidInputException("unknown data type '" + name + "'; expected one of "
                + Arrays.toString(values()));
    }
}
