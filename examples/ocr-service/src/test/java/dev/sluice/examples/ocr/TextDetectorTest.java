package dev.sluice.examples.ocr;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.tensor.Tensor;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Reading the detector's probability map, without the model: synthetic maps with known regions. */
class TextDetectorTest {
    final TextDetector detector = new TextDetector("x", 960, Long.MAX_VALUE, 0.3, 0.6, 1.5, 3);

    /** A map {@code w} x {@code h} of zeros with rectangles of probability {@code p}: {x0, y0, x1, y1} exclusive. */
    static float[] map(int w, int h, float p, int[]... rects) {
        float[] m = new float[w * h];
        for (int[] r : rects) {
            for (int y = r[1]; y < r[3]; y++) {
                for (int x = r[0]; x < r[2]; x++) {
                    m[y * w + x] = p;
                }
            }
        }
        return m;
    }

    @Test
    void separateRegionsGiveOneBoxEachGrownByTheUnclipDistance() {
        TextDetector.Regions r = detector.regions(map(200, 100, 0.9f, new int[] {10, 10, 110, 20}, new int[] {20, 60, 60, 70}),
                200, 100);
        assertEquals(2, r.regions().size());
        TextDetector.Region first = r.regions().get(0);
        double grow = 100.0 * 10 * 1.5 / (2 * (100 + 10)); // area * ratio / perimeter
        assertEquals(100 + 2 * grow, first.width(), 1e-6);
        assertEquals(10 + 2 * grow, first.height(), 1e-6);
        assertEquals(60, first.centerX(), 1e-6);
        assertEquals(15, first.centerY(), 1e-6);
        assertEquals(0, first.angle(), 1e-9);
    }

    @Test
    void diagonalNeighboursAreOneRegion() {
        float[] m = map(50, 50, 0.9f, new int[] {5, 5, 15, 15}, new int[] {15, 15, 25, 25});
        TextDetector lenient = new TextDetector("x", 960, Long.MAX_VALUE, 0.3, 0.1, 1.5, 3); // the two squares fill half their box
        assertEquals(1, lenient.regions(m, 50, 50).regions().size(), "8-connected");
    }

    @Test
    void regionsTooThinOrTooFaintAreDropped() {
        float[] thin = map(100, 100, 0.9f, new int[] {10, 10, 90, 12});
        assertEquals(0, detector.regions(thin, 100, 100).regions().size(), "2 pixels high");
        float[] faint = map(100, 100, 0.5f, new int[] {10, 10, 90, 30});
        assertEquals(0, detector.regions(faint, 100, 100).regions().size(), "mean probability 0.5 under 0.6");
    }

    @Test
    void aTurnedLineGetsATurnedRectangleNotATallUprightOne() {
        int w = 400;
        int h = 200;
        BufferedImage drawn = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = drawn.createGraphics();
        g.rotate(Math.toRadians(3), 200, 100);
        g.setColor(Color.WHITE);
        g.fillRect(50, 90, 300, 20);
        g.dispose();
        float[] m = new float[w * h];
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                m[y * w + x] = (drawn.getRGB(x, y) & 0xff) > 127 ? 0.95f : 0f;
            }
        }
        List<TextDetector.Region> found = detector.regions(m, w, h).regions();
        assertEquals(1, found.size());
        TextDetector.Region r = found.get(0);
        assertEquals(3, Math.toDegrees(r.angle()), 0.5);
        double grow = r.width() - 300;
        assertEquals(20 + grow, r.height(), 2, "as high as the bar (plus the unclip), not 20 + 300 * sin 3 degrees");
    }

    @Test
    void aRegionAsLargeAsTheMapIsFoundWithoutRecursion() {
        int side = 1000;
        float[] m = new float[side * side];
        java.util.Arrays.fill(m, 0.99f);
        List<TextDetector.Region> found = detector.regions(m, side, side).regions();
        assertEquals(1, found.size());
    }

    @Test
    void theDetectorInputHasSidesThatAreMultiplesOf32AndALongSideOfAtMost960() {
        Tensor x = detector.input(new BufferedImage(3000, 1000, BufferedImage.TYPE_INT_RGB)).get("x");
        assertEquals(List.of(1L, 3L, 320L, 960L), java.util.Arrays.stream(x.shape()).boxed().toList());
        Tensor small = detector.input(new BufferedImage(100, 10, BufferedImage.TYPE_INT_RGB)).get("x");
        assertEquals(List.of(1L, 3L, 32L, 96L), java.util.Arrays.stream(small.shape()).boxed().toList());
        float[] px = detector.input(new BufferedImage(64, 64, BufferedImage.TYPE_INT_RGB)).get("x").toFloatArray();
        assertEquals((0 - 0.485f) / 0.229f, px[0], 1e-5, "black, normalized with ImageNet's mean and deviation");
    }

    @Test
    void aPageIsSeenAtItsOwnSizeUntilItsLongSideOrItsPixelsAreOverTheLimits() {
        TextDetector defaults = new TextDetector("x", 4000, 6_000_000L, 0.3, 0.6, 1.5, 3);
        // Issue 15's full page: 14 px text stays 14 px (at 960 it was shrunk to 4 px and not found).
        assertEquals(List.of(1L, 3L, 3008L, 1408L), shape(defaults, 1400, 3000));
        assertEquals(List.of(1L, 3L, 1088L, 1920L), shape(defaults, 1920, 1080));
        // Over 4000 a side: scaled to 4000 (both sides rounded to 32).
        assertEquals(List.of(1L, 3L, 800L, 4000L), shape(defaults, 8000, 1600));
        // Over 6 megapixels: scaled to about 6 (3840 x 2160, 8.3 MP, by 0.85).
        assertEquals(List.of(1L, 3L, 1824L, 3264L), shape(defaults, 3840, 2160));
        assertEquals(0.85, defaults.scale(3840, 2160), 0.001);
        assertEquals(1.0, defaults.scale(2000, 3000), 0.0);
    }

    private static List<Long> shape(TextDetector d, int width, int height) {
        return java.util.Arrays.stream(d.input(new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB)).get("x")
                .shape()).boxed().toList();
    }

    @Test
    void theDetectorsOutputIsReadAsAProbabilityMap() {
        float[] m = map(64, 32, 0.9f, new int[] {4, 4, 40, 20});
        TextDetector.Regions r = detector.regions(Map.of("sigmoid_0.tmp_0", Tensor.ofFloats("sigmoid_0.tmp_0",
                new long[] {1, 1, 32, 64}, m)));
        assertEquals(64, r.mapWidth());
        assertEquals(32, r.mapHeight());
        assertEquals(1, r.regions().size());
        assertTrue(r.regions().get(0).score() > 0.6);
    }
}
