package dev.sluice.tensor;

/**
 * IEEE 754 half precision ({@link DataType#FP16}) to and from {@code float}, in plain Java so it works on the Java 17
 * baseline ({@code Float.floatToFloat16} arrived in Java 20) and gives the same answers as it: rounding to the
 * nearest half, ties to even; values past the largest half (65504) round to infinity, tiny ones to subnormal halves
 * or a signed zero; a NaN stays a NaN with its sign and the high bits of its payload.
 *
 * <p>Threading: stateless, thread-safe.
 */
public final class Fp16 {
    private Fp16() {}

    /** The half nearest to {@code value} (ties to even), as its 16 bits. */
    public static short fromFloat(float value) {
        int bits = Float.floatToRawIntBits(value);
        int sign = (bits >>> 16) & 0x8000;
        int exp = (bits >>> 23) & 0xFF;
        int mantissa = bits & 0x7FFFFF;
        if (exp == 0xFF) { // infinity, or NaN keeping the payload's top 10 bits (and at least one, to stay NaN)
            int payload = mantissa >>> 13;
            return (short) (sign | 0x7C00 | (mantissa != 0 && payload == 0 ? 0x200 : payload));
        }
        int e = exp - 127 + 15;
        if (e >= 0x1F) {
            return (short) (sign | 0x7C00);
        }
        if (e <= 0) { // subnormal half or zero
            if (e < -10) {
                return (short) sign; // below half the smallest subnormal half
            }
            int m = mantissa | 0x800000;
            int shift = 14 - e;
            int half = m >>> shift;
            int rest = m & ((1 << shift) - 1);
            int halfway = 1 << (shift - 1);
            if (rest > halfway || (rest == halfway && (half & 1) != 0)) {
                half++; // may carry into the smallest normal half: still correct
            }
            return (short) (sign | half);
        }
        int half = (e << 10) | (mantissa >>> 13);
        int rest = mantissa & 0x1FFF;
        if (rest > 0x1000 || (rest == 0x1000 && (half & 1) != 0)) {
            half++; // may carry into the exponent, up to infinity: still correct
        }
        return (short) (sign | half);
    }

    /** The {@code float} the half {@code value} (its 16 bits) stands for; exact, every half is a float. */
    public static float toFloat(short value) {
        int h = value & 0xFFFF;
        int sign = (h & 0x8000) << 16;
        int exp = (h >>> 10) & 0x1F;
        int mantissa = h & 0x3FF;
        if (exp == 0x1F) {
            return Float.intBitsToFloat(sign | 0x7F800000 | (mantissa << 13));
        }
        if (exp == 0) {
            float f = mantissa * 0x1p-24f;
            return sign != 0 ? -f : f;
        }
        return Float.intBitsToFloat(sign | ((exp - 15 + 127) << 23) | (mantissa << 13));
    }
}
