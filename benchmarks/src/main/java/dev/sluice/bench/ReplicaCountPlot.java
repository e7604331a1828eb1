package dev.sluice.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Draws replica counts over time as a small stand-alone SVG ({@link SvgPlot}): axes with ticks, the RUNNING
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
        SvgPlot plot = new SvgPlot(WIDTH, HEIGHT, LEFT, RIGHT, TOP, BOTTOM, title, subtitle);
        SvgPlot.Scale sx = plot.x(x0, x1);
        // Headroom above the top count keeps the legend clear of the lines.
        SvgPlot.Scale sy = plot.y(0, maxReplicas + 1.2);

        List<SvgPlot.Tick> counts = new ArrayList<>();
        for (int r = 0; r <= maxReplicas; r++) {
            counts.add(new SvgPlot.Tick(r, Integer.toString(r)));
        }
        plot.yGrid(sy, counts);
        plot.xTicks(sx, SvgPlot.linearTicks(x0, x1));
        plot.axes(xLabel, "replicas");

        // Load steps.
        for (Marker m : markers) {
            double x = sx.map(m.seconds());
            plot.element(String.format(Locale.ROOT, "<line class=\"marker\" x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\""
                    + " stroke=\"#c03030\" stroke-dasharray=\"3 3\"/>%n", x, TOP - 8, x, HEIGHT - BOTTOM));
            // About 7 px per character: a label that would run off the right edge goes left of its line.
            boolean left = x + 4 + 7 * m.label().length() > WIDTH;
            plot.element(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%d\" fill=\"#c03030\"%s>%s</text>%n",
                    left ? x - 4 : x + 4, TOP - 10, left ? " text-anchor=\"end\"" : "", SvgPlot.escape(m.label())));
        }

        double[] xs = new double[points.size()];
        double[] running = new double[points.size()];
        double[] target = new double[points.size()];
        for (int i = 0; i < points.size(); i++) {
            xs[i] = points.get(i).seconds();
            running[i] = points.get(i).running();
            target[i] = points.get(i).target();
        }
        plot.polyline("target", "#7a7a7a", "stroke-dasharray=\"6 4\" ", sx, sy, xs, target);
        plot.polyline("running", "#1f5fbf", "stroke-width=\"2\" ", sx, sy, xs, running);

        plot.legend("#1f5fbf", " stroke-width=\"2\"", "RUNNING replicas");
        plot.legend("#7a7a7a", " stroke-dasharray=\"6 4\"", "autoscaler target");
        return plot.finish();
    }
}
