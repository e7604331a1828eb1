package dev.sluice.examples.ocr;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

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
    void theClassifierGetsLinesSqueezedOrPaddedTo192() {
        Map<String, Tensor> in = lines.classifierInput(new LineImages.LineImage(new Box(0, 0, 10, 10, 0),
                new BufferedImage(700, 48, BufferedImage.TYPE_INT_RGB)));
        assertArrayEquals(new long[] {1, 3, 48, 192}, in.get("c").shape());
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
}
