package dev.sluice.examples.ocr;

import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import javax.imageio.ImageIO;

/**
 * Test pages rendered by a real browser (issue 15): HTML documents of known text, each line of text an element of
 * its own, placed at a position this class chooses ({@code position: absolute}, {@code white-space: pre}), so the
 * browser lays out the glyphs (its fonts, hinting, kerning, anti-aliasing) but never wraps or moves a line: the
 * expected text of a screenshot is known line by line, with the band of rows each line occupies. All pages of a
 * set are rendered by one run of headless Chromium, stacked in one screenshot, and cut apart.
 *
 * <p>Deterministic: the texts come from a seeded generator over a fixed vocabulary; the fonts are the DejaVu and
 * Liberation families (the build machine's image has fonts-dejavu-core; fonts-liberation comes as a recommendation
 * of Debian's chromium; .ci/run installs both by name). A main writes the HTML, and a PNG and the text of each page:
 * {@code java -cp ... dev.sluice.examples.ocr.BrowserPages DIR}.
 */
final class BrowserPages {
    /** Families that exist on the build machines; pages name them exactly, so no fallback font is substituted. */
    static final List<String> SERIF = List.of("DejaVu Serif", "Liberation Serif");
    static final List<String> SANS = List.of("DejaVu Sans", "Liberation Sans");
    static final List<String> MONO = List.of("DejaVu Sans Mono", "Liberation Mono");

    /** Words of ordinary technical prose, from which lines are drawn at random. */
    private static final String[] WORDS = ("the of and to a in is it that for on with as this by be are from or an"
            + " at which can not all one each its when more than into only also each every page line text image"
            + " model request batch server browser screenshot document paragraph heading service replica queue"
            + " deadline latency throughput memory detector recognizer classifier pipeline window width height"
            + " pixel font size default value option setting returns throws reads writes keeps drops sends waits"
            + " starts stops builds measures runs fails passes serves loads scales crops turns decodes"
            + " quick brown fox jumps over lazy dog while small boats drift past harbour wall morning nobody"
            + " pier seems notice them reading long lines harder because every stage must keep whole together"
            + " first last next previous before after under above between within without against during"
            + " Chromium Linux Debian Java Maven Spring Sluice PaddleOCR HTTP JSON Unicode README Monday"
            + " January Berlin Tokyo Friday October").split(" ");

    /** Parts of inline code. */
    private static final String[] CODE = ("read submit deploy maxBatchSize maxDelay awaitReady toJsonLines"
            + " detectorMaxSide Tensor Result Builder classes confidence box_threshold unclip_ratio replicas"
            + " window-size user-data-dir OcrService Pipeline future join get").split(" ");

    /** One run of text within a line: plain, a link, or inline code. */
    record Run(Kind kind, String text) {
        enum Kind { TEXT, LINK, CODE }
    }

    /** One line as laid out: its runs at the given place, font and size. */
    record Block(int left, int top, int lineHeight, String family, int px, boolean bold, List<Run> runs) {
        String text() {
            StringBuilder b = new StringBuilder();
            runs.forEach(r -> b.append(r.text()));
            return b.toString();
        }
    }

    /** A page's layout: its size, background, the family of its inline code, and its lines top to bottom. */
    record Layout(String name, int width, int height, String background, String codeFamily, List<Block> blocks) {}

    /** An expected line: its text and the rows {@code [top, bottom)} it occupies on the page. */
    record Line(String text, int top, int bottom, String family, int px) {}

    /** A rendered page: its lines and the browser's screenshot of it. */
    record Page(String name, List<Line> lines, BufferedImage image) {
        /** The page's text: its lines joined by single spaces. */
        String text() {
            return String.join(" ", lines.stream().map(Line::text).toList());
        }

        byte[] png() {
            return SelfCheckPage.png(image);
        }
    }

    private BrowserPages() {}

    /** The Chromium executable on the PATH ({@code chromium}, then {@code chromium-browser}), if any. */
    static Optional<Path> chromium() {
        String path = System.getenv("PATH");
        if (path == null) {
            return Optional.empty();
        }
        for (String name : List.of("chromium", "chromium-browser")) {
            for (String dir : path.split(File.pathSeparator)) {
                Path p = Path.of(dir, name);
                if (Files.isExecutable(p)) {
                    return Optional.of(p);
                }
            }
        }
        return Optional.empty();
    }

    /**
     * Chromium for a test: skips the test (an assumption) when it is missing, but fails it when the environment
     * variable {@code CI} is {@code true}, where .ci/run installs it.
     */
    static Path requireChromium() {
        Optional<Path> c = chromium();
        if (c.isEmpty() && "true".equals(System.getenv("CI"))) {
            fail("CI=true and no chromium on the PATH: .ci/run installs Debian's chromium; these tests need it");
        }
        assumeTrue(c.isPresent(), "no chromium on the PATH: the browser-rendered pages are skipped");
        return c.get();
    }

    // ---- layouts ----

    /**
     * A document page {@code width} wide: a heading, then paragraphs of {@code family} at each of {@code sizes}
     * (px) with line heights {@code lineHeights} times the size (tight: 1.15 to 1.3), lines from about 300 px to
     * {@code maxLine} px wide, with links and inline code; a subheading between paragraphs.
     */
    static Layout document(Random rnd, String name, String family, String headingFamily, String codeFamily, int width,
            int maxLine, int[] sizes, double[] lineHeights, String background) {
        List<Block> blocks = new ArrayList<>();
        int margin = 16;
        int y = 12;
        int headingPx = 24 + rnd.nextInt(5);
        int lh = (int) Math.round(headingPx * 1.25);
        blocks.add(new Block(margin, y, lh, headingFamily, headingPx, true, List.of(new Run(Run.Kind.TEXT,
                sentence(rnd, 3 + rnd.nextInt(4), false)))));
        y += lh + 10;
        for (int p = 0; p < sizes.length; p++) {
            int px = sizes[p];
            if (p > 0 && p % 2 == 0) { // a subheading
                int hpx = px + 4;
                int hlh = (int) Math.round(hpx * 1.25);
                blocks.add(new Block(margin, y, hlh, headingFamily, hpx, true, List.of(new Run(Run.Kind.TEXT,
                        sentence(rnd, 2 + rnd.nextInt(4), false)))));
                y += hlh + 6;
            }
            int lineHeight = (int) Math.round(px * lineHeights[p % lineHeights.length]);
            int lines = 3 + rnd.nextInt(2);
            for (int i = 0; i < lines; i++) {
                int target = i == lines - 1 ? 200 + rnd.nextInt(Math.max(1, maxLine / 2))
                        : maxLine - rnd.nextInt(Math.max(1, maxLine / 3));
                blocks.add(new Block(margin, y, lineHeight, family, px, false, line(rnd, family, codeFamily, px, target)));
                y += lineHeight;
            }
            y += Math.max(6, px * 2 / 3); // paragraph spacing
        }
        return new Layout(name, width, y + 12, background, codeFamily, blocks);
    }

    /**
     * A full-page screenshot, {@code width} x {@code height}: a column of text {@code column} px wide in the middle
     * (as most sites set their text), headings and paragraphs in the given families and sizes, cycling, until the
     * page is full.
     */
    static Layout fullPage(Random rnd, String name, int width, int height, int column, List<String> families,
            int[] sizes, String codeFamily, String background) {
        List<Block> blocks = new ArrayList<>();
        int margin = (width - column) / 2;
        int y = 24;
        int maxLine = column;
        for (int p = 0; ; p++) {
            String family = families.get(p % families.size());
            int px = sizes[p % sizes.length];
            int hpx = px + 6;
            int hlh = (int) Math.round(hpx * 1.25);
            int lineHeight = (int) Math.round(px * (p % 2 == 0 ? 1.3 : 1.5));
            int lines = 5 + rnd.nextInt(4);
            if (y + hlh + 8 + lines * lineHeight + 12 > height) {
                break;
            }
            blocks.add(new Block(margin, y, hlh, families.get((p + 1) % families.size()), hpx, true,
                    List.of(new Run(Run.Kind.TEXT, sentence(rnd, 2 + rnd.nextInt(5), false)))));
            y += hlh + 8;
            for (int i = 0; i < lines; i++) {
                int target = i == lines - 1 ? 150 + rnd.nextInt(maxLine / 2) : maxLine - rnd.nextInt(maxLine / 4);
                blocks.add(new Block(margin, y, lineHeight, family, px, false, line(rnd, family, codeFamily, px, target)));
                y += lineHeight;
            }
            y += 2 * px;
        }
        return new Layout(name, width, height, background, codeFamily, blocks);
    }

    /** The document pages of issue 15: every family of ours, 12 to 18 px, tinted backgrounds. */
    static List<Layout> documents() {
        Random rnd = new Random(20261203L);
        List<Layout> pages = new ArrayList<>();
        String[] backgrounds = {"#ffffff", "#f6f4ee", "#eef4fa", "#f3f3f3"};
        int n = 0;
        for (int vendor = 0; vendor < 2; vendor++) {
            for (List<String> kind : List.of(SERIF, SANS, MONO)) {
                String family = kind.get(vendor);
                int[] sizes = n % 2 == 0 ? new int[] {12, 14, 16, 18} : new int[] {13, 15, 17};
                pages.add(document(rnd, "doc-" + family.replace(' ', '-').toLowerCase(Locale.ROOT), family,
                        SANS.get(vendor), MONO.get(vendor), 1440, 1400, sizes, new double[] {1.15, 1.3, 1.2},
                        backgrounds[n % backgrounds.length]));
                n++;
            }
        }
        return pages;
    }

    /** Issue 15's full-page screenshot: 1400 x 3000, a column 1000 px wide, serif and sans at 13 to 16 px, a light tint. */
    static Layout fullPage() {
        return fullPage(new Random(3000L), "full-page-1400x3000", 1400, 3000, 1000,
                List.of(SANS.get(0), SERIF.get(1), SERIF.get(0), SANS.get(1)), new int[] {14, 13, 16, 15}, MONO.get(0),
                "#fbfaf6");
    }

    // ---- text ----

    /** {@code words} words, capitalized, with an occasional number; a full stop at the end when {@code stop}. */
    private static String sentence(Random rnd, int words, boolean stop) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < words; i++) {
            String w = word(rnd);
            if (i == 0) {
                w = Character.toUpperCase(w.charAt(0)) + w.substring(1);
            }
            b.append(i == 0 ? "" : " ").append(w);
        }
        return stop ? b + "." : b.toString();
    }

    private static String word(Random rnd) {
        int k = rnd.nextInt(40);
        if (k == 0) {
            return Integer.toString(2 + rnd.nextInt(998));
        }
        if (k == 1) {
            return String.format(Locale.ROOT, "%d.%d", rnd.nextInt(100), rnd.nextInt(100));
        }
        if (k == 2) {
            return String.format(Locale.ROOT, "%d:%02d", 1 + rnd.nextInt(12), rnd.nextInt(60));
        }
        return WORDS[rnd.nextInt(WORDS.length)];
    }

    private static String code(Random rnd) {
        String a = CODE[rnd.nextInt(CODE.length)];
        return switch (rnd.nextInt(4)) {
            case 0 -> a + "()";
            case 1 -> a + "(" + (1 + rnd.nextInt(64)) + ")";
            case 2 -> "--" + a;
            default -> a;
        };
    }

    /**
     * A line of prose about {@code target} px wide (measured with Java2D's metrics of the same fonts: close to the
     * browser's, within a few per cent), with punctuation, and now and then a link or inline code.
     */
    private static List<Run> line(Random rnd, String family, String codeFamily, int px, int target) {
        FontMetrics text = metrics(new Font(family, Font.PLAIN, px));
        FontMetrics mono = metrics(new Font(codeFamily, Font.PLAIN, (int) Math.round(px * 0.9)));
        List<Run> runs = new ArrayList<>();
        StringBuilder plain = new StringBuilder();
        double width = 0;
        boolean capital = rnd.nextInt(3) == 0;
        while (true) {
            int kind = rnd.nextInt(14);
            String piece;
            Run.Kind k;
            if (kind == 0) {
                piece = code(rnd);
                k = Run.Kind.CODE;
            } else if (kind == 1) {
                piece = word(rnd) + (rnd.nextBoolean() ? " " + word(rnd) : "");
                k = Run.Kind.LINK;
            } else {
                piece = word(rnd);
                if (capital) {
                    piece = Character.toUpperCase(piece.charAt(0)) + piece.substring(1);
                }
                int p = rnd.nextInt(12);
                piece += p == 0 ? "," : p == 1 ? "." : p == 2 ? ";" : p == 3 ? ":" : "";
                k = Run.Kind.TEXT;
            }
            capital = piece.endsWith(".");
            String sep = runs.isEmpty() && plain.length() == 0 ? "" : " ";
            double w = text.stringWidth(sep) + (k == Run.Kind.CODE ? mono.stringWidth(piece) + 6 : text.stringWidth(piece));
            if (width + w > target && (plain.length() > 0 || !runs.isEmpty())) {
                break;
            }
            width += w;
            if (k == Run.Kind.TEXT) {
                plain.append(sep).append(piece);
            } else {
                plain.append(sep);
                runs.add(new Run(Run.Kind.TEXT, plain.toString()));
                plain.setLength(0);
                runs.add(new Run(k, piece));
            }
        }
        if (plain.length() > 0) {
            runs.add(new Run(Run.Kind.TEXT, plain.toString()));
        }
        return runs.stream().filter(r -> !r.text().isEmpty()).toList();
    }

    private static FontMetrics metrics(Font font) {
        BufferedImage probe = new BufferedImage(1, 1, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = probe.createGraphics();
        try {
            g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
            g.setRenderingHint(RenderingHints.KEY_FRACTIONALMETRICS, RenderingHints.VALUE_FRACTIONALMETRICS_ON);
            return g.getFontMetrics(font);
        } finally {
            g.dispose();
        }
    }

    // ---- scoring ----

    /** How one expected line was read: the text of the boxes found on it, their lowest confidence, its accuracy. */
    record LineScore(Line line, String read, double confidence, int boxes, int errors, int characters) {
        double accuracy() {
            return characters == 0 ? 1 : Math.max(0, 1 - (double) errors / characters);
        }
    }

    /**
     * A page read: its character errors (the edit distance between the expected and the read text, whitespace
     * ignored, the lines read joined in the order returned, as OcrLongLinesTest measures), whether the lines came
     * back in the order drawn, and each expected line's score (the boxes whose middle lies in its band, or nearest).
     */
    record Score(Page page, int errors, int characters, boolean orderKept, List<LineScore> lines) {
        double accuracy() {
            return 1 - (double) errors / characters;
        }
    }

    static Score score(Page page, OcrResult result) {
        String expected = page.text().replaceAll("\\s", "");
        String read = String.join("", result.lines().stream().map(OcrResult.Line::text).toList()).replaceAll("\\s", "");
        List<Line> lines = page.lines();
        List<StringBuilder> texts = new ArrayList<>();
        double[] confidence = new double[lines.size()];
        int[] boxes = new int[lines.size()];
        for (int i = 0; i < lines.size(); i++) {
            texts.add(new StringBuilder());
            confidence[i] = 1;
        }
        boolean ordered = true;
        int last = -1;
        for (OcrResult.Line r : result.lines()) {
            double cy = r.box().y() + r.box().height() / 2.0;
            int best = 0;
            for (int i = 0; i < lines.size(); i++) {
                Line l = lines.get(i);
                if (distance(cy, l) < distance(cy, lines.get(best))) {
                    best = i;
                }
            }
            ordered &= best >= last;
            last = best;
            texts.get(best).append(r.text());
            confidence[best] = Math.min(confidence[best], r.confidence());
            boxes[best]++;
        }
        List<LineScore> scores = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            String e = lines.get(i).text().replaceAll("\\s", "");
            String g = texts.get(i).toString();
            scores.add(new LineScore(lines.get(i), g, boxes[i] == 0 ? 0 : confidence[i], boxes[i],
                    TextPages.editDistance(e, g.replaceAll("\\s", "")), e.length()));
        }
        return new Score(page, TextPages.editDistance(expected, read), expected.length(), ordered, scores);
    }

    /** 0 inside the line's band, else how far {@code y} lies outside it. */
    private static double distance(double y, Line l) {
        return y < l.top() ? l.top() - y : y >= l.bottom() ? y - l.bottom() + 1e-9 : 0;
    }

    // ---- HTML and rendering ----

    /** One HTML document: the pages one under the other, each a box of its own size. */
    static String html(List<Layout> layouts) {
        StringBuilder h = new StringBuilder("<!doctype html>\n<html><head><meta charset=\"utf-8\"><style>\n"
                + "html, body { margin: 0; padding: 0; background: #ffffff; }\n"
                + "section { position: relative; overflow: hidden; }\n"
                + "section > div { position: absolute; white-space: pre; color: #1a1a1a; }\n"
                + "a { color: #0645ad; text-decoration: underline; }\n"
                + "code { font-size: 0.9em; background: #e9e9e9; padding: 1px 3px; border-radius: 3px; color: #222; }\n"
                + "</style></head><body>\n");
        for (Layout l : layouts) {
            h.append(String.format(Locale.ROOT, "<section style=\"width: %dpx; height: %dpx; background: %s\">%n",
                    l.width(), l.height(), l.background()));
            for (Block b : l.blocks()) {
                h.append(String.format(Locale.ROOT, "<div style=\"left: %dpx; top: %dpx; height: %dpx; line-height: %dpx;"
                        + " font: %s %dpx '%s'\">", b.left(), b.top(), b.lineHeight(), b.lineHeight(),
                        b.bold() ? "bold" : "normal", b.px(), b.family()));
                for (Run r : b.runs()) {
                    String t = escape(r.text());
                    switch (r.kind()) {
                        case TEXT -> h.append(t);
                        case LINK -> h.append("<a href=\"#\">").append(t).append("</a>");
                        case CODE -> h.append("<code style=\"font-family: '").append(l.codeFamily()).append("'\">")
                                .append(t).append("</code>");
                    }
                }
                h.append("</div>\n");
            }
            h.append("</section>\n");
        }
        return h.append("</body></html>\n").toString();
    }

    private static String escape(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
    }

    /**
     * Renders the layouts with headless Chromium in one run, in {@code dir} (its HTML, screenshot and log stay
     * there), and cuts the screenshot into pages. Checks that every line left ink inside its page (the font
     * exists and no line ran past the page's right edge), and fails otherwise: the expected text would be wrong.
     */
    static List<Page> render(Path chromium, List<Layout> layouts, Path dir) throws IOException, InterruptedException {
        Files.createDirectories(dir);
        Path html = dir.resolve("pages.html");
        Path png = dir.resolve("pages.png");
        Path log = dir.resolve("chromium.log");
        Files.writeString(html, html(layouts), StandardCharsets.UTF_8);
        Files.deleteIfExists(png);
        int width = layouts.stream().mapToInt(Layout::width).max().orElse(1);
        int height = layouts.stream().mapToInt(Layout::height).sum();
        List<String> command = List.of(chromium.toString(), "--headless", "--no-sandbox", "--disable-gpu",
                "--hide-scrollbars", "--force-device-scale-factor=1", "--no-first-run", "--disable-extensions",
                "--user-data-dir=" + dir.resolve("profile"), "--window-size=" + width + "," + height,
                "--screenshot=" + png, html.toUri().toString());
        Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IllegalStateException("chromium took over 120 s to render " + html + "; its log: " + log);
        }
        if (p.exitValue() != 0 || !Files.isRegularFile(png)) {
            throw new IllegalStateException("chromium exited with " + p.exitValue() + " and no screenshot " + png
                    + "; its log ends: " + tail(log));
        }
        BufferedImage all = ImageIO.read(png.toFile());
        if (all.getWidth() != width || all.getHeight() != height) {
            throw new IllegalStateException("chromium's screenshot is " + all.getWidth() + "x" + all.getHeight()
                    + ", not " + width + "x" + height);
        }
        List<Page> pages = new ArrayList<>();
        int y = 0;
        for (Layout l : layouts) {
            BufferedImage image = new BufferedImage(l.width(), l.height(), BufferedImage.TYPE_INT_RGB);
            image.setRGB(0, 0, l.width(), l.height(), all.getRGB(0, y, l.width(), l.height(), null, 0, l.width()), 0,
                    l.width());
            y += l.height();
            List<Line> lines = new ArrayList<>();
            for (Block b : l.blocks()) {
                lines.add(new Line(b.text(), b.top(), b.top() + b.lineHeight(), b.family(), b.px()));
            }
            checkInk(l, image, lines);
            pages.add(new Page(l.name(), List.copyOf(lines), image));
        }
        return pages;
    }

    private static void checkInk(Layout layout, BufferedImage image, List<Line> lines) {
        int bg = image.getRGB(image.getWidth() - 1, image.getHeight() - 1) & 0xffffff;
        for (Line line : lines) {
            int right = -1;
            for (int y = line.top(); y < Math.min(line.bottom(), image.getHeight()); y++) {
                for (int x = 0; x < image.getWidth(); x++) {
                    if (luma(image.getRGB(x, y)) < luma(bg) - 80) {
                        right = Math.max(right, x);
                    }
                }
            }
            if (right < 0) {
                throw new IllegalStateException(layout.name() + ": no ink where '" + line.text() + "' was to be drawn");
            }
            if (right >= image.getWidth() - 3) {
                throw new IllegalStateException(layout.name() + ": '" + line.text() + "' runs past the page's edge");
            }
        }
    }

    private static int luma(int rgb) {
        return (((rgb >> 16) & 0xff) * 299 + ((rgb >> 8) & 0xff) * 587 + (rgb & 0xff) * 114) / 1000;
    }

    private static String tail(Path log) {
        try {
            List<String> l = Files.readAllLines(log, StandardCharsets.UTF_8);
            return String.join("\n", l.subList(Math.max(0, l.size() - 10), l.size()));
        } catch (IOException e) {
            return "(unreadable: " + e.getMessage() + ")";
        }
    }

    /** Deletes a render folder (Chromium's profile in it included). */
    static void delete(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Writes the test pages to {@code DIR} (default target/browser-pages): the HTML, one PNG and the text per page. */
    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args.length > 0 ? args[0] : "target/browser-pages");
        Path chromium = chromium().orElseThrow(() -> new IllegalStateException("no chromium on the PATH"));
        List<Layout> layouts = new ArrayList<>(documents());
        layouts.add(fullPage());
        for (Page page : render(chromium, layouts, dir)) {
            ImageIO.write(page.image(), "png", dir.resolve(page.name() + ".png").toFile());
            Files.write(dir.resolve(page.name() + ".txt"), page.lines().stream().map(Line::text).toList(),
                    StandardCharsets.UTF_8);
            System.out.printf(Locale.ROOT, "%s: %dx%d, %d lines%n", page.name(), page.image().getWidth(),
                    page.image().getHeight(), page.lines().size());
        }
        System.out.println("written to " + dir.toAbsolutePath());
    }
}
