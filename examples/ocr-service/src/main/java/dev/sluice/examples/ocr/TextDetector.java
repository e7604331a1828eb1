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
public final class TextDetector {
    /** Per channel in the order PaddleOCR feeds them (its images are BGR): blue, green, red. */
    private static final float[] MEAN = {0.485f, 0.456f, 0.406f};
    private static final float[] STD = {0.229f, 0.224f, 0.225f};

    private final String input;
    private final int maxSide;
    private final long maxPixels;
    private final double pixelThreshold;
    private final double boxThreshold;
    private final double unclipRatio;
    private final int minSide;

    /**
     * @param input the detector's input name
     * @param maxSide the longest side the detector sees (larger images are scaled down)
     * @param maxPixels the most pixels the detector sees (larger images are scaled down)
     * @param pixelThreshold a pixel is text above this probability
     * @param boxThreshold a region is kept when its box's mean probability is at least this
     * @param unclipRatio how far a region's box grows: by {@code area * ratio / perimeter} on every side
     * @param minSide regions narrower or lower than this (in map pixels) are noise
     */
    public TextDetector(String input, int maxSide, long maxPixels, double pixelThreshold, double boxThreshold,
            double unclipRatio, int minSide) {
        this.input = input;
        this.maxSide = maxSide;
        this.maxPixels = maxPixels;
        this.pixelThreshold = pixelThreshold;
        this.boxThreshold = boxThreshold;
        this.unclipRatio = unclipRatio;
        this.minSide = minSide;
    }

    /**
     * The detector's request for {@code image}: [1, 3, H, W], the image at its own size unless its long side is over
     * maxSide or it has more than maxPixels, then scaled down (in proportion) to fit both; either way both sides are
     * rounded to multiples of 32 (so a side may end up to 16 pixels over).
     */
    public Map<String, Tensor> input(BufferedImage image) {
        int w = image.getWidth();
        int h = image.getHeight();
        double ratio = scale(w, h);
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

    /**
     * The factor a {@code width} x {@code height} image is scaled by for the detector: 1, or less to fit maxSide and
     * maxPixels. Not more than 1: the detector finds text of the sizes a screen shows (12 px and up) at the image's own
     * resolution, as PaddleOCR 3 reads it by default (it scales down only past 4000 px a side); scaled down, small
     * text falls below what it finds (issue 15: 14 px text on a 1400 x 3000 page shrunk to 448 x 960 was not found).
     */
    double scale(int width, int height) {
        double side = Math.max(width, height) > maxSide ? (double) maxSide / Math.max(width, height) : 1.0;
        double area = (double) width * height > maxPixels ? Math.sqrt((double) maxPixels / ((double) width * height)) : 1.0;
        return Math.min(side, area);
    }

    /** Text regions found in a probability map, as boxes in the map's pixels. */
    public record Regions(int mapWidth, int mapHeight, List<Region> regions) {}

    /**
     * A region's box in map pixels: a rectangle {@code width} along the direction {@code angle} (radians from
     * the x axis, within a quarter turn of it) and {@code height} across it, around a centre; and its score.
     */
    public record Region(double centerX, double centerY, double width, double height, double angle, double score) {}

    /** Reads the detector's output: the first output, a probability map [1, 1, H, W]. */
    public Regions regions(Map<String, Tensor> output) {
        Tensor map = output.values().iterator().next();
        if (map.rank() != 4 || map.dim(0) != 1 || map.dim(1) != 1) {
            throw new IllegalStateException("the detector gave " + map + "; expected a probability map [1, 1, H, W]");
        }
        return regions(map.toFloatArray(), (int) map.dim(3), (int) map.dim(2));
    }

    /**
     * The text regions of a probability map {@code width} x {@code height} (row-major): 8-connected regions of
     * pixels above the pixel threshold, found with an explicit stack (a page-wide region must not overflow the
     * thread's stack). Each region's box is its smallest rectangle at any angle (a slightly turned line of text
     * has an axis-aligned box much taller than the line), scored by the mean probability inside it as DB does.
     */
    public Regions regions(float[] prob, int width, int height) {
        boolean[] seen = new boolean[prob.length];
        int[] stack = new int[prob.length];
        int[] rowMin = new int[height];
        int[] rowMax = new int[height];
        List<Region> found = new ArrayList<>();
        for (int start = 0; start < prob.length; start++) {
            if (seen[start] || prob[start] <= pixelThreshold) {
                continue;
            }
            java.util.Arrays.fill(rowMin, Integer.MAX_VALUE);
            java.util.Arrays.fill(rowMax, -1);
            int y0 = height;
            int y1 = -1;
            int top = 0;
            stack[top++] = start;
            seen[start] = true;
            while (top > 0) {
                int p = stack[--top];
                int x = p % width;
                int y = p / width;
                rowMin[y] = Math.min(rowMin[y], x);
                rowMax[y] = Math.max(rowMax[y], x);
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
            // The region's outline: the outer corners of each row's first and last pixels hold its convex hull.
            List<double[]> outline = new ArrayList<>();
            for (int y = y0; y <= y1; y++) {
                if (rowMax[y] >= 0) {
                    outline.add(new double[] {rowMin[y], y});
                    outline.add(new double[] {rowMin[y], y + 1});
                    outline.add(new double[] {rowMax[y] + 1, y});
                    outline.add(new double[] {rowMax[y] + 1, y + 1});
                }
            }
            Region box = smallestRectangle(convexHull(outline));
            if (Math.min(box.width(), box.height()) < minSide) {
                continue;
            }
            double score = meanInside(prob, width, height, box);
            if (score < boxThreshold) {
                continue;
            }
            double grow = box.width() * box.height() * unclipRatio / (2.0 * (box.width() + box.height()));
            found.add(new Region(box.centerX(), box.centerY(), box.width() + 2 * grow, box.height() + 2 * grow,
                    box.angle(), score));
        }
        return new Regions(width, height, found);
    }

    /** Andrew's monotone chain: the hull's corners counter-clockwise (in y-down pixels, clockwise on screen). */
    static List<double[]> convexHull(List<double[]> points) {
        List<double[]> p = new ArrayList<>(points);
        p.sort((a, b) -> a[0] != b[0] ? Double.compare(a[0], b[0]) : Double.compare(a[1], b[1]));
        if (p.size() < 3) {
            return p;
        }
        double[][] hull = new double[2 * p.size()][];
        int k = 0;
        for (double[] q : p) {
            while (k >= 2 && cross(hull[k - 2], hull[k - 1], q) <= 0) {
                k--;
            }
            hull[k++] = q;
        }
        for (int i = p.size() - 2, lower = k + 1; i >= 0; i--) {
            double[] q = p.get(i);
            while (k >= lower && cross(hull[k - 2], hull[k - 1], q) <= 0) {
                k--;
            }
            hull[k++] = q;
        }
        return java.util.Arrays.asList(java.util.Arrays.copyOf(hull, k - 1));
    }

    private static double cross(double[] o, double[] a, double[] b) {
        return (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0]);
    }

    /**
     * The smallest-area rectangle around a convex polygon: one of its sides lies on a side of the polygon, so
     * try each side's direction. Its {@code width} is along the direction nearest the x axis.
     */
    static Region smallestRectangle(List<double[]> hull) {
        double best = Double.MAX_VALUE;
        Region rect = null;
        for (int i = 0; i < hull.size(); i++) {
            double[] a = hull.get(i);
            double[] b = hull.get((i + 1) % hull.size());
            double angle = Math.atan2(b[1] - a[1], b[0] - a[0]);
            // Fold the direction to within a quarter turn of the x axis; the rectangle is the same.
            while (angle > Math.PI / 4) {
                angle -= Math.PI / 2;
            }
            while (angle <= -Math.PI / 4) {
                angle += Math.PI / 2;
            }
            double cos = Math.cos(angle);
            double sin = Math.sin(angle);
            double minU = Double.MAX_VALUE;
            double maxU = -Double.MAX_VALUE;
            double minV = Double.MAX_VALUE;
            double maxV = -Double.MAX_VALUE;
            for (double[] p : hull) {
                double u = p[0] * cos + p[1] * sin;
                double v = -p[0] * sin + p[1] * cos;
                minU = Math.min(minU, u);
                maxU = Math.max(maxU, u);
                minV = Math.min(minV, v);
                maxV = Math.max(maxV, v);
            }
            double area = (maxU - minU) * (maxV - minV);
            if (area < best - 1e-9) {
                best = area;
                double cu = (minU + maxU) / 2;
                double cv = (minV + maxV) / 2;
                rect = new Region(cu * cos - cv * sin, cu * sin + cv * cos, maxU - minU, maxV - minV, angle, 0);
            }
        }
        if (rect == null) { // a single point or a line: no area
            double[] p = hull.get(0);
            rect = new Region(p[0], p[1], 0, 0, 0, 0);
        }
        return rect;
    }

    /** The mean probability of the pixels whose centres lie inside {@code box}. */
    static double meanInside(float[] prob, int width, int height, Region box) {
        double cos = Math.cos(box.angle());
        double sin = Math.sin(box.angle());
        double reach = (Math.abs(box.width() * cos) + Math.abs(box.height() * sin)) / 2;
        double reachY = (Math.abs(box.width() * sin) + Math.abs(box.height() * cos)) / 2;
        int x0 = Math.max(0, (int) Math.floor(box.centerX() - reach));
        int x1 = Math.min(width - 1, (int) Math.ceil(box.centerX() + reach));
        int y0 = Math.max(0, (int) Math.floor(box.centerY() - reachY));
        int y1 = Math.min(height - 1, (int) Math.ceil(box.centerY() + reachY));
        double sum = 0;
        int n = 0;
        for (int y = y0; y <= y1; y++) {
            for (int x = x0; x <= x1; x++) {
                double dx = x + 0.5 - box.centerX();
                double dy = y + 0.5 - box.centerY();
                if (Math.abs(dx * cos + dy * sin) <= box.width() / 2 && Math.abs(-dx * sin + dy * cos) <= box.height() / 2) {
                    sum += prob[y * width + x];
                    n++;
                }
            }
        }
        return n == 0 ? 0 : sum / n;
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
