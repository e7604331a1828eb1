package dev.sluice.examples.ocr;

import dev.sluice.tensor.Tensor;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The plain-Java halves around the PaddleOCR DB text detector: its input (the image resized so both sides
 * are multiples of 32, normalized with the ImageNet mean and deviation) and the reading of its output, a map
 * of the probability that each pixel is text. Reading the map: threshold it, take the connected regions,
 * keep those whose mean probability is high enough, and grow each region's box (DB's "unclip": the model
 * is trained to mark a shrunk core of each text region). Thread-safe (immutable).
 */
final class TextDetector {
    /** Per channel in the order PaddleOCR feeds them (its images are BGR): blue, green, red. */
    private static final float[] MEAN = {0.485f, 0.456f, 0.406f};
    private static final float[] STD = {0.229f, 0.224f, 0.225f};

    private final String input;
    private final int maxSide;
    private final double pixelThreshold;
    private final double boxThreshold;
    private final double unclipRatio;
    private final int minSide;

    /**
     * @param input the detector's input name
     * @param maxSide the longest side the detector sees (larger images are scaled down)
     * @param pixelThreshold a pixel is text above this probability
     * @param boxThreshold a region is kept when its box's mean probability is at least this
     * @param unclipRatio how far a region's box grows: by {@code area * ratio / perimeter} on every side
     * @param minSide regions narrower or lower than this (in map pixels) are noise
     */
    TextDetector(String input, int maxSide, double pixelThreshold, double boxThreshold, double unclipRatio, int minSide) {
        this.input = input;
        this.maxSide = maxSide;
        this.pixelThreshold = pixelThreshold;
        this.boxThreshold = boxThreshold;
        this.unclipRatio = unclipRatio;
        this.minSide = minSide;
    }

    /** The detector's request for {@code image}: [1, 3, H, W] with H and W multiples of 32, the long side at most maxSide. */
    Map<String, Tensor> input(BufferedImage image) {
        int w = image.getWidth();
        int h = image.getHeight();
        double ratio = Math.max(w, h) > maxSide ? (double) maxSide / Math.max(w, h) : 1.0;
        int rw = Math.max(32, (int) Math.round(w * ratio / 32) * 32);
        int rh = Math.max(32, (int) Math.round(h * ratio / 32) * 32);
        int[] rgb = resize(image, rw, rh).getRGB(0, 0, rw, rh, null, 0, rw);
        int plane = rw * rh;
        float[] px = new float[3 * plane];
        for (int i = 0; i < plane; i++) {
            int p = rgb[i];
            px[i] = ((p & 0xff) / 255f - MEAN[0]) / STD[0];                     // blue
            px[plane + i] = (((p >> 8) & 0xff) / 255f - MEAN[1]) / STD[1];      // green
            px[2 * plane + i] = (((p >> 16) & 0xff) / 255f - MEAN[2]) / STD[2]; // red
        }
        return Map.of(input, Tensor.ofFloats(input, new long[] {1, 3, rh, rw}, px));
    }

    /** Text regions found in a probability map, as boxes in the map's pixels. */
    record Regions(int mapWidth, int mapHeight, List<Region> regions) {}

    /** A box in map pixels (fractional after growing) and its mean probability. */
    record Region(double x0, double y0, double x1, double y1, double score) {}

    /** Reads the detector's output: the first output, a probability map [1, 1, H, W]. */
    Regions regions(Map<String, Tensor> output) {
        Tensor map = output.values().iterator().next();
        if (map.rank() != 4 || map.dim(0) != 1 || map.dim(1) != 1) {
            throw new IllegalStateException("the detector gave " + map + "; expected a probability map [1, 1, H, W]");
        }
        return regions(map.toFloatArray(), (int) map.dim(3), (int) map.dim(2));
    }

    /**
     * The text regions of a probability map {@code width} x {@code height} (row-major): 8-connected regions of
     * pixels above the pixel threshold, found with an explicit stack (a page-wide region must not overflow the
     * thread's stack).
     */
    Regions regions(float[] prob, int width, int height) {
        boolean[] seen = new boolean[prob.length];
        int[] stack = new int[prob.length];
        List<Region> found = new ArrayList<>();
        for (int start = 0; start < prob.length; start++) {
            if (seen[start] || prob[start] <= pixelThreshold) {
                continue;
            }
            int x0 = width;
            int y0 = height;
            int x1 = -1;
            int y1 = -1;
            int top = 0;
            stack[top++] = start;
            seen[start] = true;
            while (top > 0) {
                int p = stack[--top];
                int x = p % width;
                int y = p / width;
                x0 = Math.min(x0, x);
                x1 = Math.max(x1, x);
                y0 = Math.min(y0, y);
                y1 = Math.max(y1, y);
                for (int dy = -1; dy <= 1; dy++) {
                    int ny = y + dy;
                    if (ny < 0 || ny >= height) {
                        continue;
                    }
                    for (int dx = -1; dx <= 1; dx++) {
                        int nx = x + dx;
                        if (nx < 0 || nx >= width) {
                            continue;
                        }
                        int q = ny * width + nx;
                        if (!seen[q] && prob[q] > pixelThreshold) {
                            seen[q] = true;
                            stack[top++] = q;
                        }
                    }
                }
            }
            int w = x1 - x0 + 1;
            int h = y1 - y0 + 1;
            if (Math.min(w, h) < minSide) {
                continue;
            }
            // DB scores a region by the mean probability inside its box, not only over its own pixels.
            double sum = 0;
            for (int y = y0; y <= y1; y++) {
                for (int x = x0; x <= x1; x++) {
                    sum += prob[y * width + x];
                }
            }
            double score = sum / ((double) w * h);
            if (score < boxThreshold) {
                continue;
            }
            double grow = (double) w * h * unclipRatio / (2.0 * (w + h));
            found.add(new Region(x0 - grow, y0 - grow, x1 + 1 + grow, y1 + 1 + grow, score));
        }
        return new Regions(width, height, found);
    }

    /** {@code image} scaled to {@code width} x {@code height} with bilinear interpolation. */
    static BufferedImage resize(BufferedImage image, int width, int height) {
        if (image.getWidth() == width && image.getHeight() == height) {
            return image;
        }
        BufferedImage out = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = out.createGraphics();
        try {
            g.setRenderingHint(RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_BILINEAR);
            g.setRenderingHint(RenderingHints.KEY_RENDERING, RenderingHints.VALUE_RENDER_QUALITY);
            g.drawImage(image, 0, 0, width, height, null);
        } finally {
            g.dispose();
        }
        return out;
    }
}
