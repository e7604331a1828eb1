package dev.sluice.examples.ocr;

import dev.sluice.tensor.Tensor;
import java.awt.Graphics2D;
import java.awt.geom.AffineTransform;
import java.awt.image.BufferedImage;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

/**
 * The plain Java between the detector and the recognizer: boxes mapped back to the image and put in reading
 * order, each cut out and scaled to the recognizer's height, the direction classifier's and the recognizer's
 * requests, and the half turn of lines the classifier finds upside down. Thread-safe (immutable).
 */
public final class LineImages {
    /** The classifier and the recognizer read lines this many pixels high. */
    public static final int HEIGHT = 48;
    /** The classifier reads windows this wide: a line as it is, shorter ones padded, longer ones in windows. */
    public static final int CLASSIFIER_WIDTH = 192;
    /** The most windows of {@link #CLASSIFIER_WIDTH} the classifier reads of one line. */
    static final int CLASSIFIER_WINDOWS = 3;

    /** Recognizer inputs are padded to a multiple of this width: coarse enough that many lines share a run. */
    static final int WIDTH_STEP = 160;

    /** One line of text cut out of the image: where it was, and its pixels scaled to {@link #HEIGHT}. */
    public record LineImage(Box box, BufferedImage pixels) {}

    private final String classifierInput;
    private final String recognizerInput;
    private final int maxWidth;
    private final int minRecognizerWidth;

    /**
     * @param maxWidth the widest line handed to the recognizer (wider ones are squeezed)
     * @param minRecognizerWidth narrower lines are padded to this width (PaddleOCR pads to at least 320)
     */
    public LineImages(String classifierInput, String recognizerInput, int maxWidth, int minRecognizerWidth) {
        this.classifierInput = classifierInput;
        this.recognizerInput = recognizerInput;
        this.maxWidth = maxWidth;
        this.minRecognizerWidth = minRecognizerWidth;
    }

    /** The boxes of {@code found} on {@code image}, in reading order, each cut out and scaled to 48 pixels high. */
    public List<LineImage> cut(BufferedImage image, TextDetector.Regions found) {
        List<Box> boxes = boxes(found, image.getWidth(), image.getHeight());
        List<LineImage> lines = new ArrayList<>(boxes.size());
        for (Box box : boxes) {
            lines.add(new LineImage(box, cut(image, box)));
        }
        return lines;
    }

    /**
     * The box's pixels turned upright and scaled to {@link #HEIGHT} in one resampling, the width in proportion
     * (at most maxWidth); a box taller than 1.5 times its width is vertical text, read turned a quarter turn
     * counter-clockwise as PaddleOCR does. Outside the image is white.
     */
    BufferedImage cut(BufferedImage image, Box box) {
        boolean vertical = box.height() >= 1.5 * box.width();
        double along = vertical ? box.height() : box.width();
        double across = vertical ? box.width() : box.height();
        double scale = HEIGHT / across;
        int width = (int) Math.min(maxWidth, Math.max(1, Math.ceil(along * scale)));
        BufferedImage out = new BufferedImage(width, HEIGHT, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = out.createGraphics();
        try {
            g.setColor(java.awt.Color.WHITE);
            g.fillRect(0, 0, width, HEIGHT);
            g.setRenderingHint(java.awt.RenderingHints.KEY_INTERPOLATION,
                    java.awt.RenderingHints.VALUE_INTERPOLATION_BILINEAR);
            AffineTransform t = new AffineTransform();
            t.translate(width / 2.0, HEIGHT / 2.0);
            t.scale(width / along, scale); // squeezed along the line when it was wider than maxWidth
            t.rotate(-Math.toRadians(box.angle()) - (vertical ? Math.PI / 2 : 0));
            t.translate(-box.centerX(), -box.centerY());
            g.drawImage(image, t, null);
        } finally {
            g.dispose();
        }
        return out;
    }

    /** The regions' boxes in the image's pixels, top to bottom, and left to right within a line. */
    static List<Box> boxes(TextDetector.Regions found, int imageWidth, int imageHeight) {
        double sx = (double) imageWidth / found.mapWidth();
        double sy = (double) imageHeight / found.mapHeight();
        List<Box> boxes = new ArrayList<>();
        for (TextDetector.Region r : found.regions()) {
            // The map is scaled by slightly different factors across and down (both sides rounded to 32): scale
            // the rectangle's axes, which keeps it a rectangle closely enough for angles this small.
            double cos = Math.cos(r.angle());
            double sin = Math.sin(r.angle());
            double width = r.width() * Math.hypot(cos * sx, sin * sy);
            double height = r.height() * Math.hypot(sin * sx, cos * sy);
            double angle = Math.atan2(sin * sy, cos * sx);
            double cx = r.centerX() * sx;
            double cy = r.centerY() * sy;
            int w = Math.max(1, (int) Math.round(width));
            int h = Math.max(1, (int) Math.round(height));
            boxes.add(new Box((int) Math.round(cx - w / 2.0), (int) Math.round(cy - h / 2.0), w, h, Math.toDegrees(angle)));
        }
        return readingOrder(boxes);
    }

    /**
     * Top to bottom, then left to right: a box whose vertical middle lies within half a box height of the
     * first box of the current line (the lower of the two heights) is on that line.
     */
    static List<Box> readingOrder(List<Box> boxes) {
        List<Box> byMiddle = new ArrayList<>(boxes);
        byMiddle.sort(Comparator.comparingDouble(Box::centerY).thenComparingInt(Box::x));
        List<Box> ordered = new ArrayList<>(boxes.size());
        List<Box> line = new ArrayList<>();
        for (Box b : byMiddle) {
            if (!line.isEmpty()) {
                Box first = line.get(0);
                if (b.centerY() - first.centerY() > Math.min(first.height(), b.height()) / 2.0) {
                    line.sort(Comparator.comparingInt(Box::x));
                    ordered.addAll(line);
                    line.clear();
                }
            }
            line.add(b);
        }
        line.sort(Comparator.comparingInt(Box::x));
        ordered.addAll(line);
        return ordered;
    }

    /**
     * The classifier's request for one line: [n, 3, 48, 192], n windows of the line at its own proportions. A line
     * up to 192 wide is one window, padded with 0; a longer one is read in 2 or 3 windows evenly spread from its
     * start to its end (the first at its left end, the last at its right end), which {@link #orient} averages.
     * Not squeezed to 192 as PaddleOCR does: the classifier learnt text at its own proportions, and a line of a
     * browser's screenshot (2000 px at height 48) squeezed ten times is a smear it calls upside down as often as
     * not, with 0.99 (issue 15).
     */
    public Map<String, Tensor> classifierInput(LineImage line) {
        BufferedImage pixels = line.pixels();
        if (pixels.getHeight() != HEIGHT) { // not cut by this class: scaled to the height, in proportion
            int width = (int) Math.max(1, Math.round((double) pixels.getWidth() * HEIGHT / pixels.getHeight()));
            pixels = TextDetector.resize(pixels, width, HEIGHT);
        }
        int own = pixels.getWidth();
        int windows = Math.min(CLASSIFIER_WINDOWS, (own + CLASSIFIER_WIDTH - 1) / CLASSIFIER_WIDTH);
        int plane = 3 * HEIGHT * CLASSIFIER_WIDTH;
        float[] px = new float[windows * plane];
        for (int i = 0; i < windows; i++) {
            int x = windows == 1 ? 0 : (int) Math.round((double) i * (own - CLASSIFIER_WIDTH) / (windows - 1));
            BufferedImage window = pixels.getSubimage(x, 0, Math.min(CLASSIFIER_WIDTH, own - x), HEIGHT);
            pixels(window, CLASSIFIER_WIDTH, px, i * plane);
        }
        return Map.of(classifierInput, Tensor.ofFloats(classifierInput,
                new long[] {windows, 3, HEIGHT, CLASSIFIER_WIDTH}, px));
    }

    /**
     * The recognizer's request for one line: [1, 3, 48, W], the line padded with 0 to W, its width rounded up to
     * a multiple of {@link #WIDTH_STEP} (at least the minimum, at most maxWidth): lines of one bucket are run
     * together, without padding from their neighbours (see {@link WidthGroupedModel}).
     */
    public Map<String, Tensor> recognizerInput(LineImage line) {
        int own = line.pixels().getWidth();
        int width = Math.max(minRecognizerWidth, Math.min(maxWidth, (own + WIDTH_STEP - 1) / WIDTH_STEP * WIDTH_STEP));
        width = Math.max(width, own);
        return Map.of(recognizerInput, Tensor.ofFloats(recognizerInput, new long[] {1, 3, HEIGHT, width},
                pixels(line.pixels(), width)));
    }

    /**
     * The line turned by half a turn when the classifier's {@code [n, 2]} output (one row per window of
     * {@link #classifierInput}) says "180" with more than {@code minScore}, on average over the windows.
     */
    public static LineImage orient(LineImage line, Map<String, Tensor> classifierOutput, double minScore) {
        float[] p = classifierOutput.values().iterator().next().toFloatArray();
        if (p.length == 0 || p.length % 2 != 0) {
            return line;
        }
        double upright = 0;
        double upsideDown = 0;
        for (int i = 0; i < p.length; i += 2) {
            upright += p[i];
            upsideDown += p[i + 1];
        }
        int windows = p.length / 2;
        if (upsideDown > upright && upsideDown / windows > minScore) {
            return new LineImage(line.box(), turn(line.pixels(), Math.PI));
        }
        return line;
    }

    /**
     * Channels-first pixels scaled to [-1, 1] as PaddleOCR scales them ({@code (v / 255 - 0.5) / 0.5}), in its
     * blue, green, red order, the image at the left and 0 (mid grey) to the right of it up to {@code width}.
     */
    static float[] pixels(BufferedImage image, int width) {
        float[] px = new float[3 * width * image.getHeight()];
        pixels(image, width, px, 0);
        return px;
    }

    /**
     * As {@link #pixels(BufferedImage, int)}, written into {@code into} from {@code offset}, which must have room
     * for {@code 3 * width * height} floats there; where the image is narrower than {@code width} it is left as it
     * is (0 in a new array): a long line's classifier windows go one after another into one request, uncopied.
     */
    static void pixels(BufferedImage image, int width, float[] into, int offset) {
        int w = Math.min(width, image.getWidth());
        int h = image.getHeight();
        int[] rgb = image.getRGB(0, 0, w, h, null, 0, w);
        int plane = width * h;
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                int p = rgb[y * w + x];
                int i = offset + y * width + x;
                into[i] = (p & 0xff) / 127.5f - 1f;
                into[plane + i] = ((p >> 8) & 0xff) / 127.5f - 1f;
                into[2 * plane + i] = ((p >> 16) & 0xff) / 127.5f - 1f;
            }
        }
    }

    /** {@code image} turned by {@code radians} (a quarter or half turn; negative is counter-clockwise). */
    static BufferedImage turn(BufferedImage image, double radians) {
        boolean quarter = Math.abs(Math.abs(radians) - Math.PI / 2) < 1e-9;
        int w = quarter ? image.getHeight() : image.getWidth();
        int h = quarter ? image.getWidth() : image.getHeight();
        BufferedImage out = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = out.createGraphics();
        try {
            AffineTransform t = new AffineTransform();
            t.translate(w / 2.0, h / 2.0);
            t.rotate(radians);
            t.translate(-image.getWidth() / 2.0, -image.getHeight() / 2.0);
            g.drawImage(image, t, null);
        } finally {
            g.dispose();
        }
        return out;
    }

}
