package dev.sluice.bench;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.tensor.DataType;
import dev.sluice.tensor.Tensor;
import java.util.HashSet;
import java.util.Set;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

class RecognizerImagesTest {

    @Test
    void imagesAreTextLinesOfTheirWidthWithValuesInMinusOneToOne() {
        RecognizerImages images = new RecognizerImages("x", new int[] {80, 320}, 2, 1);
        for (int w = 0; w < 2; w++) {
            for (int i = 0; i < 2; i++) {
                Tensor t = images.image(w, i);
                assertEquals("x", t.name());
                assertEquals(DataType.FP32, t.dataType());
                assertArrayEquals(new long[] {1, 3, 48, images.widths()[w]}, t.shape());
                for (float v : t.toFloatArray()) {
                    assertTrue(v >= -1 && v <= 1, "value " + v);
                }
            }
        }
    }

    @Test
    void theSameSeedSendsTheSameImagesInTheSameOrder() {
        RecognizerImages images = new RecognizerImages("x", new int[] {160, 320, 480}, 4, 1);
        Supplier<Tensor> a = images.sequence(7);
        Supplier<Tensor> b = images.sequence(7);
        Set<Long> widths = new HashSet<>();
        for (int i = 0; i < 200; i++) {
            Tensor t = a.get();
            assertSame(t, b.get());
            widths.add(t.dim(3));
        }
        assertEquals(Set.of(160L, 320L, 480L), widths, "every width is used");
    }

    @Test
    void noWidthsOrNoImagesAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> new RecognizerImages("x", new int[0], 1, 1));
        assertThrows(IllegalArgumentException.class, () -> new RecognizerImages("x", new int[] {0}, 1, 1));
        assertThrows(IllegalArgumentException.class, () -> new RecognizerImages("x", new int[] {10}, 0, 1));
    }
}
