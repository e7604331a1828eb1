package dev.sluice.examples.ocr;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.tensor.Tensor;
import java.awt.image.BufferedImage;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Boxes in reading order, and the requests of the classifier and the recognizer. */
class LineImagesTest {
    final LineImages lines = new LineImages("c", "r", 3200, 320);

    @Test
    void boxesAreReadTopToBottomThenLeftToRightWithinALine() {
        Box right = new Box(300, 12, 100, 30, 0);   // a little lower than its neighbour, same line
        Box left = new Box(10, 10, 200, 30, 0);
        Box below = new Box(5, 60, 100, 30, 0);
        assertEquals(List.of(left, right, below), LineImages.readingOrder(List.of(below, right, left)));
    }

    @Test
    void regionsAreScaledFromTheMapToTheImage() {
        TextDetector.Regions found = new TextDetector.Regions(100, 50,
                List.of(new TextDetector.Region(50, 25, 40, 10, 0, 0.9)));
        assertEquals(List.of(new Box(60, 40, 80, 20, 0)), LineImages.boxes(found, 200, 100));
    }

    @Test
    void theRecognizerGetsLines48HighPaddedToAWidthBucket() {
        Tensor t = lines.recognizerInput(new LineImages.LineImage(new Box(0, 0, 10, 10, 0),
                new BufferedImage(330, 48, BufferedImage.TYPE_INT_RGB))).get("r");
        assertArrayEquals(new long[] {1, 3, 48, 480}, t.shape(), "330 rounded up to a multiple of 160");
        Tensor narrow = lines.recognizerInput(new LineImages.LineImage(new Box(0, 0, 10, 10, 0),
                new BufferedImage(50, 48, BufferedImage.TYPE_INT_RGB))).get("r");
        assertArrayEquals(new long[] {1, 3, 48, 320}, narrow.shape(), "at least 320, as PaddleOCR pads");
        float[] px = narrow.toFloatArray();
        assertEquals(-1f, px[0], 1e-6, "black is -1");
        assertEquals(0f, px[60], 1e-6, "padding is 0");
    }

    @Test
    void theClassifierGetsAShortLinePaddedTo192() {
        BufferedImage px = new BufferedImage(100, 48, BufferedImage.TYPE_INT_RGB); // black
        Tensor t = lines.classifierInput(new LineImages.LineImage(new Box(0, 0, 10, 10, 0), px)).get("c");
        assertArrayEquals(new long[] {1, 3, 48, 192}, t.shape());
        float[] v = t.toFloatArray();
        assertEquals(-1f, v[99], 1e-6, "the line as it is");
        assertEquals(0f, v[100], 1e-6, "padding is 0");
    }

    /** Squeezed to 192, a long line is a smear the classifier calls upside down as often as not (issue 15). */
    @Test
    void theClassifierGetsALongLineUnsqueezedInWindowsFromItsStartToItsEnd() {
        BufferedImage px = new BufferedImage(1000, 48, BufferedImage.TYPE_INT_RGB);
        for (int x = 0; x < px.getWidth(); x++) {
            px.setRGB(x, 0, (x / 4) * 0x010101); // the top row: a ramp, each grey 4 pixels wide
        }
        Tensor t = lines.classifierInput(new LineImages.LineImage(new Box(0, 0, 10, 10, 0), px)).get("c");
        assertArrayEquals(new long[] {3, 3, 48, 192}, t.shape(), "three windows, the most it takes");
        float[] v = t.toFloatArray();
        int window = 3 * 48 * 192;
        assertEquals(grey(0), v[0], 1e-6, "the first window starts at the line's start");
        assertEquals(grey(404), v[window], 1e-6, "the second in the middle: (1000 - 192) / 2");
        assertEquals(grey(808), v[2 * window], 1e-6, "the last ends at the line's end");
        assertEquals(grey(999), v[2 * window + 191], 1e-6, "at the line's own scale: not squeezed");

        Tensor two = lines.classifierInput(new LineImages.LineImage(new Box(0, 0, 10, 10, 0),
                new BufferedImage(300, 48, BufferedImage.TYPE_INT_RGB))).get("c");
        assertArrayEquals(new long[] {2, 3, 48, 192}, two.shape(), "a line up to twice 192 in two windows");
    }

    private static float grey(int x) {
        return (x / 4) / 127.5f - 1f;
    }

    @Test
    void aLineIsTurnedOnlyWhenTheClassifierIsSureItIsUpsideDown() {
        BufferedImage px = new BufferedImage(100, 48, BufferedImage.TYPE_INT_RGB);
        px.setRGB(0, 0, 0xffffff);
        LineImages.LineImage line = new LineImages.LineImage(new Box(0, 0, 10, 10, 0), px);
        LineImages.LineImage unsure = LineImages.orient(line, Map.of("p", Tensor.ofFloats("p", new long[] {1, 2}, 0.15f, 0.85f)), 0.9);
        assertEquals(line, unsure);
        LineImages.LineImage turned = LineImages.orient(line, Map.of("p", Tensor.ofFloats("p", new long[] {1, 2}, 0.05f, 0.95f)), 0.9);
        assertEquals(0xffffff, turned.pixels().getRGB(99, 47) & 0xffffff, "the top-left pixel is now bottom-right");
    }

    @Test
    void aLineReadInWindowsIsTurnedWhenTheirMeanSaysUpsideDown() {
        LineImages.LineImage line = new LineImages.LineImage(new Box(0, 0, 10, 10, 0),
                new BufferedImage(600, 48, BufferedImage.TYPE_INT_RGB));
        LineImages.LineImage oneWindowUnsure = LineImages.orient(line, Map.of("p", Tensor.ofFloats("p", new long[] {3, 2},
                0.01f, 0.99f, 0.02f, 0.98f, 0.80f, 0.20f)), 0.9);
        assertEquals(line, oneWindowUnsure, "a mean of 0.72 is not sure enough");
        LineImages.LineImage allSure = LineImages.orient(line, Map.of("p", Tensor.ofFloats("p", new long[] {3, 2},
                0.01f, 0.99f, 0.02f, 0.98f, 0.08f, 0.92f)), 0.9);
        assertTrue(allSure != line, "turned");
    }
}
