package dev.sluice.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A small stand-alone SVG plot, written by hand (no library), for the benchmarks' result plots: a white
 * page with a title and a subtitle, a plot area with axes, ticks and grid lines, lines and points in data
 * coordinates, and a legend in the top right corner. Add to it in drawing order (later elements are drawn
 * over earlier ones), then {@link #finish()}. Not thread-safe.
 */
final class SvgPlot {

    /** A tick at {@code value} (data coordinates) labelled {@code label}. */
    record Tick(double value, String label) {}

    /** Maps data coordinates onto pixels: linearly, or (for {@code log}) linearly in the value's log10. */
    record Scale(double from, double to, double pixelFrom, double pixelTo, boolean log) {
        Scale {
            if (log && !(from > 0 && to > 0)) {
                throw new IllegalArgumentException("a log scale needs positive bounds, was " + from + ".." + to);
            }
        }

        double map(double v) {
            if (log) {
                return pixelFrom + (Math.log10(v) - Math.log10(from)) / (Math.log10(to) - Math.log10(from))
                        * (pixelTo - pixelFrom);
            }
            return pixelFrom + (v - from) / (to - from) * (pixelTo - pixelFrom);
        }
    }

    private static final int LEGEND_WIDTH = 190;

    final int width;
    final int height;
    final int left;
    final int right;
    final int top;
    final int bottom;
    private final StringBuilder s = new StringBuilder();
    private int legendRows;

    /**
     * Starts the document: the page, the title (bold, at the top) and the subtitle under it.
     *
     * @param left, right, top, bottom the margins around the plot area, in pixels
     */
    SvgPlot(int width, int height, int left, int right, int top, int bottom, String title, String subtitle) {
        this.width = width;
        this.height = height;
        this.left = left;
        this.right = right;
        this.top = top;
        this.bottom = bottom;
        s.append("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
        s.append(String.format(Locale.ROOT, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\""
                + " viewBox=\"0 0 %d %d\" font-family=\"sans-serif\" font-size=\"12\">%n", width, height, width, height));
        s.append(String.format(Locale.ROOT, "<rect width=\"%d\" height=\"%d\" fill=\"white\"/>%n", width, height));
        s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"20\" font-size=\"14\" font-weight=\"bold\">%s</text>%n",
                left, escape(title)));
        s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"38\" fill=\"#555555\">%s</text>%n", left,
                escape(subtitle)));
    }

    /** The x axis from {@code from} to {@code to}, across the plot area. */
    Scale x(double from, double to) {
        return new Scale(from, to, left, width - right, false);
    }

    /** A linear y axis from {@code from} (bottom) to {@code to} (top). */
    Scale y(double from, double to) {
        return new Scale(from, to, height - bottom, top, false);
    }

    /** A log10 y axis from {@code from} (bottom) to {@code to} (top), both positive. */
    Scale yLog(double from, double to) {
        return new Scale(from, to, height - bottom, top, true);
    }

    /** A horizontal grid line across the plot area at each tick, labelled left of the y axis. */
    void yGrid(Scale sy, List<Tick> ticks) {
        for (Tick t : ticks) {
            double y = sy.map(t.value());
            s.append(String.format(Locale.ROOT, "<line class=\"grid\" x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\""
                    + " stroke=\"#e0e0e0\"/>%n", left, y, width - right, y));
            s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%s</text>%n",
                    left - 6, y + 4, escape(t.label())));
        }
    }

    /** A tick mark under the x axis at each tick, labelled below it. */
    void xTicks(Scale sx, List<Tick> ticks) {
        for (Tick t : ticks) {
            double x = sx.map(t.value());
            s.append(String.format(Locale.ROOT, "<line class=\"tick\" x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\""
                    + " stroke=\"black\"/>%n", x, height - bottom, x, height - bottom + 5));
            s.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%s</text>%n",
                    x, height - bottom + 18, escape(t.label())));
        }
    }

    /** Both axis lines, the x axis's label under it and the y axis's label turned along it. */
    void axes(String xLabel, String yLabel) {
        s.append(String.format(Locale.ROOT, "<line class=\"axis\" x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"black\"/>%n",
                left, height - bottom, width - right, height - bottom));
        s.append(String.format(Locale.ROOT, "<line class=\"axis\" x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"black\"/>%n",
                left, top, left, height - bottom));
        s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">%s</text>%n",
                (left + width - right) / 2, height - 12, escape(xLabel)));
        int mid = (top + height - bottom) / 2;
        s.append(String.format(Locale.ROOT, "<text x=\"16\" y=\"%d\" text-anchor=\"middle\" transform=\"rotate(-90 16 %d)\">"
                + "%s</text>%n", mid, mid, escape(yLabel)));
    }

    /**
     * A line through the points {@code (xs[i], ys[i])}, in order.
     *
     * @param extra further attributes, each followed by a space (e.g. {@code "stroke-width=\"2\" "})
     */
    void polyline(String id, String colour, String extra, Scale sx, Scale sy, double[] xs, double[] ys) {
        if (xs.length != ys.length) {
            throw new IllegalArgumentException(xs.length + " x values but " + ys.length + " y values");
        }
        StringBuilder p = new StringBuilder();
        for (int i = 0; i < xs.length; i++) {
            if (p.length() > 0) {
                p.append(' ');
            }
            p.append(String.format(Locale.ROOT, "%.1f,%.1f", sx.map(xs[i]), sy.map(ys[i])));
        }
        s.append(String.format(Locale.ROOT, "<polyline id=\"%s\" fill=\"none\" stroke=\"%s\" %spoints=\"%s\"/>%n", id,
                colour, extra, p));
    }

    /** A dot at {@code (x, y)}, of class {@code cls}. */
    void point(String cls, String colour, Scale sx, Scale sy, double x, double y) {
        s.append(String.format(Locale.ROOT, "<circle class=\"%s\" cx=\"%.1f\" cy=\"%.1f\" r=\"3\" fill=\"%s\"/>%n",
                cls, sx.map(x), sy.map(y), colour));
    }

    /**
     * The next legend entry, top right, under the ones before: a short line and its label.
     *
     * @param extra further attributes of the line, each preceded by a space (e.g. {@code " stroke-width=\"2\""})
     */
    void legend(String colour, String extra, String label) {
        legendAt(width - right - LEGEND_WIDTH, top + 8 + 18 * legendRows++, colour, extra, label);
    }

    /** A legend entry whose line starts at {@code (x, y)}, in pixels: a short line and its label. */
    void legendAt(int x, int y, String colour, String extra, String label) {
        s.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"%s\"%s/>%n",
                x, y, x + 24, y, colour, extra));
        s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\">%s</text>%n", x + 30, y + 4, escape(label)));
    }

    /** Any other element, written as it is (escape its text with {@link #escape}). */
    void element(String svg) {
        s.append(svg);
    }

    /** Ends the document and returns it. */
    String finish() {
        s.append("</svg>\n");
        return s.toString();
    }

    // ---------------------------------------------------------------- ticks and text

    /** Ticks at the multiples of {@link #tickStep} between {@code from} and {@code to}, labelled by {@link #number}. */
    static List<Tick> linearTicks(double from, double to) {
        double step = tickStep(to - from);
        List<Tick> ticks = new ArrayList<>();
        for (double t = Math.ceil(from / step) * step; t <= to + 1e-9; t += step) {
            ticks.add(new Tick(t, number(t)));
        }
        return ticks;
    }

    /**
     * Ticks for a log axis between {@code from} and {@code to} (positive): 1, 2 and 5 times each power of ten
     * when the range spans at most three decades, else the powers of ten alone.
     */
    static List<Tick> logTicks(double from, double to) {
        if (!(from > 0 && to > from)) {
            throw new IllegalArgumentException("log ticks need 0 < from < to, was " + from + ".." + to);
        }
        double[] mantissas = Math.log10(to / from) <= 3 ? new double[] {1, 2, 5} : new double[] {1};
        List<Tick> ticks = new ArrayList<>();
        for (int e = (int) Math.floor(Math.log10(from)); e <= (int) Math.ceil(Math.log10(to)); e++) {
            for (double m : mantissas) {
                double v = m * Math.pow(10, e);
                if (v >= from * (1 - 1e-9) && v <= to * (1 + 1e-9)) {
                    ticks.add(new Tick(v, number(v)));
                }
            }
        }
        return ticks;
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

    /** A whole number without decimals, anything else with as few as show it (at most three). */
    static String number(double t) {
        double r = Math.rint(t);
        if (Math.abs(t - r) < 1e-9) {
            return String.format(Locale.ROOT, "%d", (long) r);
        }
        for (int digits = 1; digits < 3; digits++) {
            String s = String.format(Locale.ROOT, "%." + digits + "f", t);
            if (Math.abs(Double.parseDouble(s) - t) < 1e-9 * Math.max(1, Math.abs(t))) {
                return s;
            }
        }
        return String.format(Locale.ROOT, "%.3f", t);
    }

    static String escape(String text) {
        return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }
}
