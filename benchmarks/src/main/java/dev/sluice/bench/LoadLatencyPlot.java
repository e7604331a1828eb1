package dev.sluice.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Latency against offered load for several sides of a comparison, as a small stand-alone SVG
 * ({@link SvgPlot}): per side its p99 as a solid line with a dot per load point and its p50 as a dashed
 * line, on a log latency axis (latency beyond a side's capacity grows by orders of magnitude), and a
 * vertical marker at load 1.
 */
final class LoadLatencyPlot {

    /**
     * One side's measurements, one entry per load point; a latency of zero or less (nothing measured) is left
     * out of its line.
     *
     * @param name the side's name in the legend
     * @param colour its lines' colour
     * @param loads the offered loads, increasing
     * @param p50Ms its p50 latency at each load, in milliseconds
     * @param p99Ms its p99 latency at each load, in milliseconds
     */
    record Series(String name, String colour, double[] loads, double[] p50Ms, double[] p99Ms) {
        Series {
            if (loads.length != p50Ms.length || loads.length != p99Ms.length) {
                throw new IllegalArgumentException("series " + name + ": " + loads.length + " loads, " + p50Ms.length
                        + " p50 values, " + p99Ms.length + " p99 values");
            }
            loads = loads.clone();
            p50Ms = p50Ms.clone();
            p99Ms = p99Ms.clone();
        }
    }

    static final int WIDTH = 760;
    static final int HEIGHT = 440;
    private static final int LEFT = 60;
    private static final int RIGHT = 20;
    private static final int TOP = 96;
    private static final int LEGEND_Y = 56;
    private static final int LEGEND_COLUMN = 230;
    private static final int BOTTOM = 55;

    private LoadLatencyPlot() {}

    /**
     * @param title the heading drawn above the plot
     * @param subtitle a smaller line under it (settings)
     * @param xLabel the x axis's label (what a load of 1 is)
     * @param series the sides, at least one, with at least one latency above zero among them
     * @return the SVG document
     */
    static String svg(String title, String subtitle, String xLabel, List<Series> series) {
        double maxLoad = 1;
        double minMs = Double.POSITIVE_INFINITY;
        double maxMs = 0;
        for (Series s : series) {
            for (int i = 0; i < s.loads().length; i++) {
                maxLoad = Math.max(maxLoad, s.loads()[i]);
                for (double v : new double[] {s.p50Ms()[i], s.p99Ms()[i]}) {
                    if (v > 0) {
                        minMs = Math.min(minMs, v);
                        maxMs = Math.max(maxMs, v);
                    }
                }
            }
        }
        if (maxMs == 0) {
            throw new IllegalArgumentException("nothing to plot: no latency above zero");
        }
        // Whole decades, and at least one, so the ticks are round.
        double yFrom = Math.pow(10, Math.floor(Math.log10(minMs)));
        double yTo = Math.pow(10, Math.ceil(Math.log10(maxMs)));
        if (yTo <= yFrom) {
            yTo = yFrom * 10;
        }
        // Room on the right for the last dot; the legend goes above the plot area, a column per side.
        double xTo = maxLoad * 1.08;
        SvgPlot plot = new SvgPlot(WIDTH, HEIGHT, LEFT, RIGHT, TOP, BOTTOM, title, subtitle);
        SvgPlot.Scale sx = plot.x(0, xTo);
        SvgPlot.Scale sy = plot.yLog(yFrom, yTo);
        plot.yGrid(sy, SvgPlot.logTicks(yFrom, yTo));
        plot.xTicks(sx, SvgPlot.linearTicks(0, xTo));
        plot.axes(xLabel, "latency, ms (log scale)");

        double one = sx.map(1);
        plot.element(String.format(Locale.ROOT, "<line class=\"marker\" x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\""
                + " stroke=\"#c03030\" stroke-dasharray=\"3 3\"/>%n", one, plot.top, one, HEIGHT - BOTTOM));
        plot.element(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%d\" fill=\"#c03030\">load 1</text>%n",
                one + 4, plot.top + 12));

        for (Series s : series) {
            line(plot, sx, sy, s, s.p50Ms(), "p50", "stroke-dasharray=\"6 4\" ", false);
            line(plot, sx, sy, s, s.p99Ms(), "p99", "stroke-width=\"2\" ", true);
        }
        for (int k = 0; k < series.size(); k++) {
            Series s = series.get(k);
            plot.legendAt(LEFT + LEGEND_COLUMN * k, LEGEND_Y, s.colour(), " stroke-width=\"2\"", s.name() + ": p99");
            plot.legendAt(LEFT + LEGEND_COLUMN * k, LEGEND_Y + 18, s.colour(), " stroke-dasharray=\"6 4\"",
                    s.name() + ": p50");
        }
        return plot.finish();
    }

    private static void line(SvgPlot plot, SvgPlot.Scale sx, SvgPlot.Scale sy, Series s, double[] ms, String what,
            String extra, boolean dots) {
        List<double[]> xy = new ArrayList<>();
        for (int i = 0; i < ms.length; i++) {
            if (ms[i] > 0) {
                xy.add(new double[] {s.loads()[i], ms[i]});
            }
        }
        double[] xs = xy.stream().mapToDouble(p -> p[0]).toArray();
        double[] ys = xy.stream().mapToDouble(p -> p[1]).toArray();
        plot.polyline(id(s.name()) + "-" + what, s.colour(), extra, sx, sy, xs, ys);
        if (dots) {
            for (int i = 0; i < xs.length; i++) {
                plot.point(id(s.name()) + "-" + what, s.colour(), sx, sy, xs[i], ys[i]);
            }
        }
    }

    /** The side's name as an XML id: letters, digits and dashes. */
    static String id(String name) {
        String id = name.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9]+", "-").replaceAll("^-|-$", "");
        return id.isEmpty() || !Character.isLetter(id.charAt(0)) ? "s-" + id : id;
    }
}
