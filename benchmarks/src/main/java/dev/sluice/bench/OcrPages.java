package dev.sluice.bench;

import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.GraphicsEnvironment;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.function.Supplier;
import javax.imageio.ImageIO;

/**
 * The pages {@link OcrBenchmark} sends: a few lines of random words rendered with Java2D in DejaVu fonts,
 * black on white, PNG-encoded once and reused. Everything follows from the seed (words, line count, font,
 * size, a small turn), so two runs with the same seed send the same bytes on the same machine's fonts. The
 * words avoid the glyphs that look alike when a random word stands alone (l/1/I, O/o/0, and c, s, v, w, x, z
 * whose case only their height tells): a page is then read exactly, and a difference between the two sides
 * of the benchmark is a difference in the models' numbers, not in what a person could read. Immutable.
 */
final class OcrPages {
    static final String ALPHABET = "abdefghijkmnpqrtuyABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    static final List<String> FONTS = List.of("DejaVu Sans", "DejaVu Serif", "DejaVu Sans Mono");

    /** One rendered page: the lines drawn on it and its PNG bytes. */
    record Page(List<String> lines, int width, int height, byte[] png) {}

    private final List<Page> pages;

    /**
     * @param count pages to make, at least 1
     * @param minLines the fewest lines on a page, at least 1
     * @param maxLines the most, at least minLines
     * @param seed seed of everything on the pages
     */
    OcrPages(int count, int minLines, int maxLines, long seed) {
        if (count < 1 || minLines < 1 || maxLines < minLines) {
            throw new IllegalArgumentException("need count >= 1 and 1 <= minLines <= maxLines, were " + count + ", "
                    + minLines + ", " + maxLines);
        }
        List<String> fonts = availableFonts();
        Random rnd = new Random(seed);
        List<Page> made = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            int lines = minLines + rnd.nextInt(maxLines - minLines + 1);
            List<String> text = new ArrayList<>(lines);
            for (int k = 0; k < lines; k++) {
                text.add(line(rnd));
            }
            Font font = new Font(fonts.get(rnd.nextInt(fonts.size())), Font.PLAIN, 22 + rnd.nextInt(13));
            double angle = Math.toRadians(rnd.nextDouble() * 2 - 1);
            made.add(render(text, font, angle));
        }
        this.pages = List.copyOf(made);
    }

    int size() {
        return pages.size();
    }

    Page page(int i) {
        return pages.get(i);
    }

    /** Lines over all pages, divided by the pages. */
    double meanLines() {
        return pages.stream().mapToInt(p -> p.lines().size()).average().orElse(0);
    }

    /**
     * An endless sequence of page indexes, each uniform over the pages, from {@code seed}: the same seed gives
     * both sides of a point the same pages in the same order. Not thread-safe (one sender calls it).
     */
    Supplier<Integer> sequence(long seed) {
        Random rnd = new Random(seed);
        return () -> rnd.nextInt(pages.size());
    }

    /** Fonts of {@link #FONTS} this machine has, or the logical sans-serif font when it has none of them. */
    static List<String> availableFonts() {
        List<String> have = Arrays.asList(GraphicsEnvironment.getLocalGraphicsEnvironment().getAvailableFontFamilyNames());
        List<String> fonts = FONTS.stream().filter(have::contains).toList();
        return fonts.isEmpty() ? List.of(Font.SANS_SERIF) : fonts;
    }

    /** One to four words of two to eight characters of {@link #ALPHABET}, joined by single spaces. */
    static String line(Random rnd) {
        int words = 1 + rnd.nextInt(4);
        StringBuilder b = new StringBuilder();
        for (int w = 0; w < words; w++) {
            if (w > 0) {
                b.append(' ');
            }
            int length = 2 + rnd.nextInt(7);
            for (int i = 0; i < length; i++) {
                b.append(ALPHABET.charAt(rnd.nextInt(ALPHABET.length())));
            }
        }
        return b.toString();
    }

    /** The lines left-aligned, a blank line's height between them, turned by {@code angle} about the centre. */
    static Page render(List<String> lines, Font font, double angle) {
        BufferedImage probe = new BufferedImage(1, 1, BufferedImage.TYPE_INT_RGB);
        Graphics2D pg = probe.createGraphics();
        FontMetrics fm = pg.getFontMetrics(font);
        pg.dispose();
        int margin = 32;
        int step = fm.getHeight() * 2;
        int width = lines.stream().mapToInt(fm::stringWidth).max().orElse(0) + 2 * margin;
        int height = step * lines.size() + 2 * margin;
        BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = image.createGraphics();
        try {
            g.setColor(Color.WHITE);
            g.fillRect(0, 0, width, height);
            g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
            g.rotate(angle, width / 2.0, height / 2.0);
            g.setColor(Color.BLACK);
            g.setFont(font);
            for (int i = 0; i < lines.size(); i++) {
                g.drawString(lines.get(i), margin, margin + fm.getAscent() + step * i);
            }
        } finally {
            g.dispose();
        }
        try {
            ByteArrayOutputStream png = new ByteArrayOutputStream();
            ImageIO.write(image, "png", png);
            return new Page(List.copyOf(lines), width, height, png.toByteArray());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
