package dev.sluice.bench;

import java.util.List;
import java.util.Locale;

/**
 * Draws replica counts over time as a small stand-alone SVG (no library): axes with ticks, the RUNNING
 * count as a solid line and the autoscaler's target as a dashed one (one vertex per sample, so a 100 ms
 * sampling period shows each change within 100 ms), and vertical markers for the load steps.
 */
final class ReplicaCountPlot {

    /** One sample: seconds on the x axis, replicas running and wanted. */
    record Point(double seconds, int running, int target) {}

    /** A vertical line at {@code seconds}, labelled. */
    record Marker(double seconds, String label) {}

    static final int WIDTH = 760;
    static final int HEIGHT = 400;
    private static final int LEFT = 60;
    private static final int RIGHT = 20;
    private static final int TOP = 70;
    private static final int BOTTOM = 55;

    private ReplicaCountPlot() {}

    /**
     * @param title the heading drawn above the plot
     * @param subtitle a smaller line under it (settings)
     * @param xLabel the x axis's label
     * @param points the samples, in time order, at least one
     * @param markers load steps (or other events) to mark
     * @param maxReplicas the y axis runs from 0 to this
     * @return the SVG document
     */
    static String svg(String title, String subtitle, String xLabel, List<Point> points, List<Marker> markers,
            int maxReplicas) {
        if (points.isEmpty()) {
            throw new IllegalArgumentException("points must not be empty");
        }
        if (maxReplicas < 1) {
            throw new IllegalArgumentException("maxReplicas must be at least 1, was " + maxReplicas);
        }
        double x0 = points.get(0).seconds();
        double x1 = points.get(points.size() - 1).seconds();
        for (Marker m : markers) {
            x0 = Math.min(x0, m.seconds());
            x1 = Math.max(x1, m.seconds());
        }
        if (x1 <= x0) {
            x1 = x0 + 1;
        }
        Scale sx = new Scale(x0, x1, LEFT, WIDTH - RIGHT);
        // Headroom above the top count keeps the legend clear of the lines.
        Scale sy = new Scale(0, maxReplicas + 1.2, HEIGHT - BOTTOM, TOP);
        StringBuilder s = new StringBuilder();
        s.append("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
        s.append(String.format(Locale.ROOT, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\""
                + " viewBox=\"0 0 %d %d\" font-family=\"sans-serif\" font-size=\"12\">%n", WIDTH, HEIGHT, WIDTH, HEIGHT));
        s.append(String.format(Locale.ROOT, "<rect width=\"%d\" height=\"%d\" fill=\"white\"/>%n", WIDTH, HEIGHT));
        s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"20\" font-size=\"14\" font-weight=\"bold\">%s</text>%n",
                LEFT, escape(title)));
        s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"38\" fill=\"#555555\">%s</text>%n", LEFT,
                escape(subtitle)));

        // Grid, ticks and labels.
        for (int r = 0; r <= maxReplicas; r++) {
            double y = sy.map(r);
            s.append(String.format(Locale.ROOT, "<line class=\"grid\" x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\""
                    + " stroke=\"#e0e0e0\"/>%n", LEFT, y, WIDTH - RIGHT, y));
            s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%d</text>%n",
                    LEFT - 6, y + 4, r));
        }
        double step = tickStep(x1 - x0);
        for (double t = Math.ceil(x0 / step) * step; t <= x1 + 1e-9; t += step) {
            double x = sx.map(t);
            s.append(String.format(Locale.ROOT, "<line class=\"tick\" x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\""
                    + " stroke=\"black\"/>%n", x, HEIGHT - BOTTOM, x, HEIGHT - BOTTOM + 5));
            s.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%s</text>%n",
                    x, HEIGHT - BOTTOM + 18, number(t)));
        }
        s.append(String.format(Locale.ROOT, "<line class=\"axis\" x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"black\"/>%n",
                LEFT, HEIGHT - BOTTOM, WIDTH - RIGHT, HEIGHT - BOTTOM));
        s.append(String.format(Locale.ROOT, "<line class=\"axis\" x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"black\"/>%n",
                LEFT, TOP, LEFT, HEIGHT - BOTTOM));
        s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">%s</text>%n",
                (LEFT + WIDTH - RIGHT) / 2, HEIGHT - 12, escape(xLabel)));
        s.append(String.format(Locale.ROOT, "<text x=\"16\" y=\"%d\" text-anchor=\"middle\" transform=\"rotate(-90 16 %d)\">"
                + "replicas</text>%n", (TOP + HEIGHT - BOTTOM) / 2, (TOP + HEIGHT - BOTTOM) / 2));

        // Load steps.
        for (Marker m : markers) {
            double x = sx.map(m.seconds());
            s.append(String.format(Locale.ROOT, "<line class=\"marker\" x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\""
                    + " stroke=\"#c03030\" stroke-dasharray=\"3 3\"/>%n", x, TOP - 8, x, HEIGHT - BOTTOM));
            // About 7 px per character: a label that would run off the right edge goes left of its line.
            boolean left = x + 4 + 7 * m.label().length() > WIDTH;
            s.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%d\" fill=\"#c03030\"%s>%s</text>%n",
                    left ? x - 4 : x + 4, TOP - 10, left ? " text-anchor=\"end\"" : "", escape(m.label())));
        }

        s.append(polyline("target", points, sx, sy, true, "#7a7a7a", "stroke-dasharray=\"6 4\" "));
        s.append(polyline("running", points, sx, sy, false, "#1f5fbf", "stroke-width=\"2\" "));

        // Legend, top right.
        int lx = WIDTH - RIGHT - 190;
        s.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#1f5fbf\" stroke-width=\"2\"/>%n",
                lx, TOP + 8, lx + 24, TOP + 8));
        s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\">RUNNING replicas</text>%n", lx + 30, TOP + 12));
        s.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#7a7a7a\""
                + " stroke-dasharray=\"6 4\"/>%n", lx, TOP + 26, lx + 24, TOP + 26));
        s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\">autoscaler target</text>%n", lx + 30, TOP + 30));
        s.append("</svg>\n");
        return s.toString();
    }

    private static String polyline(String id, List<Point> points, Scale sx, Scale sy, boolean target, String colour,
            String extra) {
        StringBuilder p = new StringBuilder();
        for (Point pt : points) {
            if (p.length() > 0) {
                p.append(' ');
            }
            p.append(String.format(Locale.ROOT, "%.1f,%.1f", sx.map(pt.seconds()),
                    sy.map(target ? pt.target() : pt.running())));
        }
        return String.format(Locale.ROOT, "<polyline id=\"%s\" fill=\"none\" stroke=\"%s\" %spoints=\"%s\"/>%n", id,
                colour, extra, p);
    }

    /** A tick spacing of 1, 2 or 5 times a power of ten, giving at most about 12 ticks over {@code span}. */
    static double tickStep(double span) {
        double raw = span / 12;
        double pow = Math.pow(10, Math.floor(Math.log10(raw)));
        for (double m : new double[] {1, 2, 5, 10}) {
            if (m * pow >= raw) {
                return m * pow;
            }
        }
        return 10 * pow;
    }

    private static String number(double t) {
        double r = Math.rint(t);
        return Math.abs(t - r) < 1e-9 ? String.format(Locale.ROOT, "%d", (long) r) : String.format(Locale.ROOT, "%.1f", t);
    }

    static String escape(String text) {
        return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }

    /** Maps data coordinates linearly onto pixels. */
    private record Scale(double from, double to, double pixelFrom, double pixelTo) {
        double map(double v) {
            return pixelFrom + (v - from) / (to - from) * (pixelTo - pixelFrom);
        }
    }
}
