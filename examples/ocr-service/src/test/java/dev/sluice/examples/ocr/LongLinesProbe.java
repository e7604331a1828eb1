package dev.sluice.examples.ocr;

import dev.sluice.onnx.OnnxModel;
import dev.sluice.tensor.Tensor;
import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Issue 15's reproduction, stage by stage: pages like a browser's screenshot (13-18 px text, lines 600 to 1400 px
 * wide, tight line spacing) run through the service's own steps and models, printing for each line the
 * detector's boxes, the crop, the recognizer's input width, the classifier's decision and the text read.
 * A diagnostic main, not a test: {@code java -cp ... dev.sluice.examples.ocr.LongLinesProbe [detectorMaxSide]
 * [minFlipScore] [wide]} ({@code wide}: 1920 px pages of lines 1500 to 1900 px instead).
 */
final class LongLinesProbe {
    static final String PROSE = "This program is free software: you can redistribute it and/or modify it under the"
            + " terms of the license published by the foundation, either version 3 of the License, or (at your option)"
            + " any later version. It is distributed in the hope that it will be useful, but without any warranty;"
            + " without even the implied warranty of merchantability or fitness for a particular purpose. See the"
            + " General Public License for more details. The quick brown fox jumps over the lazy dog while 27 small"
            + " boats drift past the harbour wall at 6:45 in the morning, and nobody on the pier seems to notice them."
            + " Reading long lines of text is harder than reading short ones, because every stage of the pipeline has"
            + " to keep the whole line together: the detector must find it as one box, the crop must keep its ends,"
            + " and the recognizer must see it at a height it was trained on, with every letter wide enough to tell.";

    /** A line drawn on a page: its text and the band of rows it occupies. */
    record Drawn(String text, int top, int bottom, int inkLeft, int inkRight) {}

    record Page(BufferedImage image, List<Drawn> lines, String label) {}

    /** Words from {@link #PROSE}, starting at {@code cursor[0]}, until the line is about {@code target} px wide. */
    static String fill(FontMetrics fm, int target, int[] cursor) {
        String[] words = PROSE.split(" ");
        StringBuilder b = new StringBuilder();
        while (true) {
            String w = words[cursor[0] % words.length];
            String next = b.length() == 0 ? w : b + " " + w;
            if (fm.stringWidth(next) > target && b.length() > 0) {
                return b.toString();
            }
            b.setLength(0);
            b.append(next);
            cursor[0]++;
        }
    }

    /** A screenshot-like page: {@code pageWidth} wide, 8 px margin, lines at {@code lineHeight} times the size. */
    static Page page(String family, int px, int pageWidth, int[] widths, double lineHeight, Color background, int start) {
        Font font = new Font(family, Font.PLAIN, px);
        BufferedImage probe = new BufferedImage(1, 1, BufferedImage.TYPE_INT_RGB);
        Graphics2D pg = probe.createGraphics();
        hints(pg); // the metrics of the drawing below: with other hints the widths differ by a few per cent
        FontMetrics fm = pg.getFontMetrics(font);
        pg.dispose();
        int[] cursor = {start};
        List<String> texts = new ArrayList<>();
        for (int w : widths) {
            texts.add(fill(fm, w, cursor));
        }
        int step = (int) Math.round(px * lineHeight);
        int margin = 8;
        int height = Math.max(700, 2 * margin + step * widths.length + 16);
        BufferedImage image = new BufferedImage(pageWidth, height, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = image.createGraphics();
        List<Drawn> drawn = new ArrayList<>();
        try {
            g.setColor(background);
            g.fillRect(0, 0, pageWidth, height);
            hints(g);
            g.setColor(new Color(17, 17, 17));
            g.setFont(font);
            for (int i = 0; i < texts.size(); i++) {
                int top = margin + 16 + step * i;
                int baseline = top + (step - fm.getHeight()) / 2 + fm.getAscent();
                g.drawString(texts.get(i), margin, baseline);
            }
        } finally {
            g.dispose();
        }
        for (int i = 0; i < texts.size(); i++) {
            int top = margin + 16 + step * i;
            int left = Integer.MAX_VALUE;
            int right = -1;
            for (int y = top; y < top + step; y++) {
                for (int x = 0; x < pageWidth; x++) {
                    if ((image.getRGB(x, y) & 0xff) < 128) {
                        left = Math.min(left, x);
                        right = Math.max(right, x);
                    }
                }
            }
            drawn.add(new Drawn(texts.get(i), top, top + step, left, right));
        }
        String label = String.format(Locale.ROOT, "%s %dpx, page %dx%d, line height %.2f", family, px, pageWidth, height,
                lineHeight);
        return new Page(image, drawn, label);
    }

    private static void hints(Graphics2D g) {
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        g.setRenderingHint(RenderingHints.KEY_FRACTIONALMETRICS, RenderingHints.VALUE_FRACTIONALMETRICS_ON);
    }

    public static void main(String[] args) throws Exception {
        int detectorSide = args.length > 0 ? Integer.parseInt(args[0]) : 960;
        double minFlip = args.length > 1 ? Double.parseDouble(args[1]) : 0.9;
        Path models = OcrService.defaultModels();
        String detInput = OnnxModel.builder(models.resolve(OcrService.DETECTOR)).signature().inputs().get(0).name();
        TextDetector detector = new TextDetector(detInput, detectorSide, Long.MAX_VALUE, 0.3, 0.6, 1.5, 3);
        List<Page> pages = new ArrayList<>();
        int[] widths = {600, 900, 1000, 1200, 1400};
        int start = 0;
        if (args.length > 2 && args[2].equals("wide")) { // past the pages: 1920 wide, the detector sees half
            for (String family : List.of("DejaVu Serif", "DejaVu Sans")) {
                for (int px : new int[] {13, 16}) {
                    pages.add(page(family, px, 1920, new int[] {1500, 1700, 1900}, 1.4, Color.WHITE, start));
                    start += 60;
                }
            }
            widths = new int[0];
        }
        for (String family : widths.length == 0 ? List.<String>of() : List.of("DejaVu Serif", "DejaVu Sans")) {
            for (int px : new int[] {13, 16, 18}) {
                pages.add(page(family, px, 1450, widths, 1.4, px == 16 ? new Color(0xf6, 0xf4, 0xee) : Color.WHITE, start));
                start += 37;
            }
            // Issue 15's page: 1000 px wide, 16 px paragraphs of ~970 px lines.
            pages.add(page(family, 16, 1000, new int[] {970, 970, 970, 970, 970, 600}, 1.25, Color.WHITE, start));
            start += 53;
            // Tighter, as Chromium's line-height: normal (about 1.16 for DejaVu).
            pages.add(page(family, 14, 1000, new int[] {970, 970, 970, 970, 970, 970, 970, 970}, 1.16, Color.WHITE, start));
            start += 71;
        }
        long totalErrors = 0;
        long totalChars = 0;
        try (OcrService ocr = OcrService.builder(models).build()) {
            for (Page page : pages) {
                System.out.printf(Locale.ROOT, "%n== %s; detector side %d, flip above %.2f%n", page.label(), detectorSide,
                        minFlip);
                Map<String, Tensor> detIn = detector.input(page.image());
                Tensor x = detIn.values().iterator().next();
                System.out.printf(Locale.ROOT, "detector input %dx%d (scale %.3f)%n", x.dim(3), x.dim(2),
                        (double) x.dim(3) / page.image().getWidth());
                TextDetector.Regions regions = detector.regions(ocr.detector().submit(detIn).join());
                List<LineImages.LineImage> cut = ocr.lineImages().cut(page.image(), regions);
                for (Drawn d : page.lines()) {
                    List<String> parts = new ArrayList<>();
                    StringBuilder read = new StringBuilder();
                    double conf = 1;
                    for (LineImages.LineImage line : cut) {
                        double cy = line.box().centerY();
                        if (cy < d.top() || cy >= d.bottom()) {
                            continue;
                        }
                        Map<String, Tensor> clsOut = ocr.classifier().submit(ocr.lineImages().classifierInput(line)).join();
                        float[] rows = clsOut.values().iterator().next().toFloatArray();
                        double[] cls = new double[2]; // the mean over the classifier's windows
                        for (int i = 0; i < rows.length; i++) {
                            cls[i % 2] += rows[i] / (rows.length / 2.0);
                        }
                        LineImages.LineImage upright = LineImages.orient(line, clsOut, minFlip);
                        Map<String, Tensor> recIn = ocr.lineImages().recognizerInput(upright);
                        long recWidth = recIn.values().iterator().next().dim(3);
                        CtcDecoder.Reading r = ocr.ctcDecoder().decode(ocr.recognizer().submit(recIn).join().values()
                                .iterator().next());
                        String notFlipped = "";
                        if (upright != line) {
                            notFlipped = " unflipped: '" + ocr.ctcDecoder().decode(ocr.recognizer().submit(
                                    ocr.lineImages().recognizerInput(line)).join().values().iterator().next()).text() + "'";
                        }
                        Box b = line.box();
                        parts.add(String.format(Locale.ROOT, "    box x=%d y=%d %dx%d %.1fdeg crop %dx%d rec %d cls[0]=%.3f"
                                + " cls[180]=%.3f%s conf %.3f '%s'%s", b.x(), b.y(), b.width(), b.height(), b.angle(),
                                line.pixels().getWidth(), line.pixels().getHeight(), recWidth, cls[0], cls[1],
                                upright != line ? " FLIPPED" : "", r.confidence(), r.text(), notFlipped));
                        if (read.length() > 0) {
                            read.append(' ');
                        }
                        read.append(r.text());
                        conf = Math.min(conf, r.confidence());
                    }
                    String expected = d.text().replaceAll("\\s", "");
                    String got = read.toString().replaceAll("\\s", "");
                    int errors = TextPages.editDistance(expected, got);
                    totalErrors += errors;
                    totalChars += expected.length();
                    System.out.printf(Locale.ROOT, "  line ink x %d..%d (%d px), %3d chars, %d box(es), %5.1f%% right: '%s'%n",
                            d.inkLeft(), d.inkRight(), d.inkRight() - d.inkLeft() + 1,
                            d.text().length(), parts.size(), 100.0 * (1 - (double) errors / Math.max(1, expected.length())),
                            d.text());
                    parts.forEach(System.out::println);
                }
                // Boxes that lie in no drawn line's band (merged across lines, or noise).
                for (LineImages.LineImage line : cut) {
                    double cy = line.box().centerY();
                    if (page.lines().stream().noneMatch(d -> cy >= d.top() && cy < d.bottom())) {
                        System.out.println("  stray box " + line.box());
                    }
                }
            }
        }
        System.out.printf(Locale.ROOT, "%nALL: %.2f%% of %d characters right (whitespace ignored)%n",
                100.0 * (1 - (double) totalErrors / totalChars), totalChars);
    }
}
