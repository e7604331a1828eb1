package dev.sluice.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.sluice.tensor.internal.TensorBatch;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** Half precision in plain Java: exact for every half, ties to even, and the JDK's answers where it has them. */
class Fp16Test {
    private static final int HALVES = 1 << 16;

    @Test
    void everyHalfRoundTripsThroughFloatToItsOwnBits() {
        for (int h = 0; h < HALVES; h++) {
            short half = (short) h;
            assertEquals(half, Fp16.fromFloat(Fp16.toFloat(half)), "half 0x" + Integer.toHexString(h));
        }
    }

    @Test
    void aValueBetweenTwoHalvesRoundsToTheNearerAndATieToTheEvenOne() {
        for (int h = 0; h < 0x7BFF; h++) { // each pair of adjacent finite positive halves
            float lo = Fp16.toFloat((short) h);
            float hi = Fp16.toFloat((short) (h + 1));
            float mid = (float) (((double) lo + hi) / 2); // exact: a half has 11 significant bits, a float 24
            int even = (h & 1) == 0 ? h : h + 1;
            String at = "between halves 0x" + Integer.toHexString(h) + " and the next";
            assertEquals((short) even, Fp16.fromFloat(mid), at);
            assertEquals((short) h, Fp16.fromFloat(Math.nextDown(mid)), at);
            assertEquals((short) (h + 1), Fp16.fromFloat(Math.nextUp(mid)), at);
            assertEquals((short) (even | 0x8000), Fp16.fromFloat(-mid), at + ", negative");
        }
    }

    @Test
    void pastTheLargestHalfIsInfinityAndBelowHalfTheSmallestIsZero() {
        assertEquals((short) 0x7BFF, Fp16.fromFloat(Math.nextDown(65520f)));
        assertEquals((short) 0x7C00, Fp16.fromFloat(65520f), "the tie between 65504 and 65536 goes to even: infinity");
        assertEquals((short) 0xFC00, Fp16.fromFloat(-1e9f));
        assertEquals((short) 0x0000, Fp16.fromFloat(0x1p-25f), "a tie with zero goes to zero");
        assertEquals((short) 0x0001, Fp16.fromFloat(Math.nextUp(0x1p-25f)));
        assertEquals((short) 0x8000, Fp16.fromFloat(-Float.MIN_VALUE));
    }

    @Test
    void aNanStaysANanWithItsSign() {
        for (int bits : new int[] {0x7FC00000, 0x7F800001, 0xFFC00001, 0x7FFFFFFF}) {
            short half = Fp16.fromFloat(Float.intBitsToFloat(bits));
            assertTrue(Float.isNaN(Fp16.toFloat(half)), Integer.toHexString(bits));
            assertEquals(bits < 0, half < 0, Integer.toHexString(bits));
        }
    }

    /**
     * Float bits and the half {@code Float.floatToFloat16} (Temurin 25) gives for them, written down so that the
     * rounding is checked against the JDK's on Java 17 too: ties to even at 1 + 2^-11 and 2049 / 2051, the
     * largest half (65504) and the first float that overflows (65520), the subnormal boundaries (2^-25 rounds to
     * zero, just above it to the smallest subnormal), the largest subnormal and the smallest normal.
     */
    private static final int[][] REFERENCE = {
            {0x00000000, 0x0000}, {0x80000000, 0x8000}, {0x3F800000, 0x3C00}, {0xBF800000, 0xBC00},
            {0x3DCCCCCD, 0x2E66}, {0x3EAAAA9F, 0x3555}, {0x477FE000, 0x7BFF}, {0x477FEFFF, 0x7BFF},
            {0x477FF000, 0x7C00}, {0xC77FF000, 0xFC00}, {0x322BCC77, 0x0000}, {0x33000000, 0x0000},
            {0x33000001, 0x0001}, {0x33800000, 0x0001}, {0x33C00000, 0x0002}, {0x387FC000, 0x03FF},
            {0x38800000, 0x0400}, {0x3F802000, 0x3C01}, {0x3F801000, 0x3C00}, {0x3F803000, 0x3C02},
            {0x45001000, 0x6800}, {0x45003000, 0x6802}, {0x7F7FFFFF, 0x7C00}, {0x00000001, 0x0000},
            {0x7F800000, 0x7C00}, {0xFF800000, 0xFC00}, {0x40490FDB, 0x4248}, {0xB627C5AC, 0x802A},
    };

    @Test
    void aFloatRoundsToTheHalfTheJdkGivesOnEveryJdk() {
        for (int[] pair : REFERENCE) {
            float f = Float.intBitsToFloat(pair[0]);
            assertEquals(pair[1], Fp16.fromFloat(f) & 0xFFFF, "float bits 0x" + Integer.toHexString(pair[0]));
        }
    }

    @Test
    void theJdksConversionsAgreeWhereTheJdkHasThem() throws Throwable {
        MethodHandle toHalf = jdk("floatToFloat16", short.class, float.class);
        MethodHandle toFloat = jdk("float16ToFloat", float.class, short.class);
        assumeTrue(toHalf != null && toFloat != null, "Float.floatToFloat16 needs Java 20 or newer");
        for (int h = 0; h < HALVES; h++) {
            short half = (short) h;
            float jdk = (float) toFloat.invokeExact(half);
            float ours = Fp16.toFloat(half);
            if (Float.isNaN(jdk)) { // the JDK may quiet a signalling NaN; a NaN with its sign is what is promised
                assertTrue(Float.isNaN(ours) && (Float.floatToRawIntBits(jdk) < 0) == (Float.floatToRawIntBits(ours) < 0),
                        "half 0x" + Integer.toHexString(h));
            } else {
                assertEquals(Float.floatToRawIntBits(jdk), Float.floatToRawIntBits(ours), "half 0x" + Integer.toHexString(h));
            }
        }
        SplittableRandom random = new SplittableRandom(16);
        for (int i = 0; i < 4_000_000; i++) {
            // Every exponent a float has, with random significands: finite, infinite and NaN, near halves and not.
            float f = Float.intBitsToFloat(random.nextInt());
            short jdk = (short) toHalf.invokeExact(f);
            short ours = Fp16.fromFloat(f);
            if (Float.isNaN(f)) {
                assertTrue(Float.isNaN(Fp16.toFloat(ours)) && (jdk < 0) == (ours < 0), Float.toString(f));
            } else {
                if (jdk != ours) {
                    assertEquals(jdk, ours, "float bits 0x" + Integer.toHexString(Float.floatToRawIntBits(f)));
                }
            }
        }
    }

    @Test
    void aRaggedFp16BatchIsPaddedWithThePadValueOnAnyJava() {
        Tensor one = Tensor.of("x", DataType.FP16, new long[] {1, 1}, halves(1f));
        Tensor two = Tensor.of("x", DataType.FP16, new long[] {1, 2}, halves(2f, 3f));

        Tensor stacked = TensorBatch.stack(java.util.List.of(one, two), 1.5, 1).tensor();

        java.nio.ByteBuffer data = stacked.data();
        float[] got = new float[4];
        for (int i = 0; i < got.length; i++) {
            got[i] = Fp16.toFloat(data.getShort());
        }
        org.junit.jupiter.api.Assertions.assertArrayEquals(new float[] {1f, 1.5f, 2f, 3f}, got);
    }

    private static java.nio.ByteBuffer halves(float... values) {
        java.nio.ByteBuffer b = java.nio.ByteBuffer.allocateDirect(2 * values.length).order(java.nio.ByteOrder.nativeOrder());
        for (float v : values) {
            b.putShort(Fp16.fromFloat(v));
        }
        return b.flip();
    }

    private static MethodHandle jdk(String name, Class<?> returns, Class<?> takes) {
        try {
            return MethodHandles.publicLookup().findStatic(Float.class, name, MethodType.methodType(returns, takes));
        } catch (ReflectiveOperationException e) {
            return null; // before Java 20
        }
    }
}
