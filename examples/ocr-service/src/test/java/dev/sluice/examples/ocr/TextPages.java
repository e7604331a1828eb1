package dev.sluice.examples.ocr;

import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.GraphicsEnvironment;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

/**
 * Generated test pages: random words rendered with Java2D in several fonts and sizes, lightly turned and
 * with light noise. The texts come from a seeded random generator, never from a hand-picked list.
 */
final class TextPages {
    /**
     * The characters words are made of: letters and digits without the glyphs that look alike in these fonts
     * when a random word stands alone, where even a person needs context (a dictionary word, the case of its
     * neighbours) to choose: l, 1 and I; O, o and 0; and the lower-case letters that are their capitals drawn
     * smaller (c, s, v, w, x, z), whose case only their height next to other letters tells.
     */
    static final String ALPHABET = "abdefghijkmnpqrtuyABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    /** Fonts that exist on the build machines (DejaVu ships with the JDK's usual font packages). */
    static final List<String> FONTS = List.of("DejaVu Sans", "DejaVu Serif", "DejaVu Sans Mono");

    /** A rendered page and the lines of text drawn on it. */
    record Page(List<String> lines, BufferedImage image, byte[] png) {
        /** The page's text as one string: lines joined by single spaces. */
        String text() {
            return String.join(" ", lines);
        }
    }

    private TextPages() {}

    /** Fonts of {@link #FONTS} this machine has (at least one, or the logical sans-serif font). */
    static List<String> availableFonts() {
        List<String> have = Arrays.asList(GraphicsEnvironment.getLocalGraphicsEnvironment().getAvailableFontFamilyNames());
        List<String> fonts = FONTS.stream().filter(have::contains).toList();
        return fonts.isEmpty() ? List.of(Font.SANS_SERIF) : fonts;
    }

    /** A word of 2 to 8 characters, mostly letters, some digits, mixed case as in real text. */
    static String word(Random rnd) {
        int length = 2 + rnd.nextInt(7);
        StringBuilder b = new StringBuilder(length);
        for (int i = 0; i < length; i++) {
            b.append(ALPHABET.charAt(rnd.nextInt(ALPHABET.length())));
        }
        return b.toString();
    }

    /** A line of 1 to 4 words. */
    static String line(Random rnd) {
        int words = 1 + rnd.nextInt(4);
        List<String> w = new ArrayList<>(words);
        for (int i = 0; i < words; i++) {
            w.add(word(rnd));
        }
        return String.join(" ", w);
    }

    /**
     * A page of {@code lines} random lines, in one of the fonts at a size from 20 to 36 points, turned by up
     * to 2 degrees either way, with light noise on every pixel.
     */
    static Page page(Random rnd, int lines) {
        List<String> fonts = availableFonts();
        Font font = new Font(fonts.get(rnd.nextInt(fonts.size())), rnd.nextInt(4) == 0 ? Font.BOLD : Font.PLAIN,
                20 + rnd.nextInt(17));
        List<String> text = new ArrayList<>();
        for (int i = 0; i < lines; i++) {
            text.add(line(rnd));
        }
        double angle = Math.toRadians(rnd.nextDouble() * 4 - 2);
        return render(text, font, angle, rnd, 12);
    }

    /** Renders {@code lines} left-aligned, one under the other with a line of space between them. */
    static Page render(List<String> lines, Font font, double angle, Random rnd, int noise) {
        BufferedImage probe = new BufferedImage(1, 1, BufferedImage.TYPE_INT_RGB);
        Graphics2D pg = probe.createGraphics();
        FontMetrics fm = pg.getFontMetrics(font);
        pg.dispose();
        int widest = lines.stream().mapToInt(fm::stringWidth).max().orElse(0);
        int step = fm.getHeight() * 2;
        int margin = 40;
        int width = widest + 2 * margin;
        int height = step * Math.max(1, lines.size()) + 2 * margin;
        BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = image.createGraphics();
        try {
            g.setColor(Color.WHITE);
            g.fillRect(0, 0, width, height);
            g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
            g.setRenderingHint(RenderingHints.KEY_RENDERING, RenderingHints.VALUE_RENDER_QUALITY);
            g.rotate(angle, width / 2.0, height / 2.0);
            g.setColor(new Color(20, 20, 30));
            g.setFont(font);
            for (int i = 0; i < lines.size(); i++) {
                g.drawString(lines.get(i), margin, margin + fm.getAscent() + step * i);
            }
        } finally {
            g.dispose();
        }
        if (noise > 0) {
            for (int y = 0; y < height; y++) {
                for (int x = 0; x < width; x++) {
                    int p = image.getRGB(x, y);
                    int d = (int) Math.round(rnd.nextGaussian() * noise / 2.0);
                    int r = clamp(((p >> 16) & 0xff) + d);
                    int gg = clamp(((p >> 8) & 0xff) + d);
                    int b = clamp((p & 0xff) + d);
                    image.setRGB(x, y, (r << 16) | (gg << 8) | b);
                }
            }
        }
        return new Page(List.copyOf(lines), image, SelfCheckPage.png(image));
    }

    /** Random words (of {@link #word}) up to about {@code width} pixels wide in {@code fm}'s font. */
    static String lineOfWidth(Random rnd, FontMetrics fm, int width) {
        StringBuilder b = new StringBuilder(word(rnd));
        while (true) {
            String next = b + " " + word(rnd);
            if (fm.stringWidth(next) > width) {
                return b.toString();
            }
            b.setLength(0);
            b.append(next);
        }
    }

    /** The metrics {@link #screen} draws with: fractional, as a browser lays text out. */
    static FontMetrics screenMetrics(Font font) {
        BufferedImage probe = new BufferedImage(1, 1, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = probe.createGraphics();
        try {
            screenHints(g);
            return g.getFontMetrics(font);
        } finally {
            g.dispose();
        }
    }

    private static void screenHints(Graphics2D g) {
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        g.setRenderingHint(RenderingHints.KEY_FRACTIONALMETRICS, RenderingHints.VALUE_FRACTIONALMETRICS_ON);
    }

    /**
     * A page as a browser's screenshot shows a paragraph: {@code pageWidth} wide and at least 700 high, dark text
     * on {@code background}, an 8 px margin, lines {@code lineHeight} times the font's size apart, not turned,
     * no noise.
     */
    static Page screen(List<String> lines, Font font, int pageWidth, double lineHeight, Color background) {
        FontMetrics fm = screenMetrics(font);
        int step = (int) Math.round(font.getSize() * lineHeight);
        int margin = 8;
        int height = Math.max(700, 2 * margin + step * lines.size());
        BufferedImage image = new BufferedImage(pageWidth, height, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = image.createGraphics();
        try {
            g.setColor(background);
            g.fillRect(0, 0, pageWidth, height);
            screenHints(g);
            g.setColor(new Color(17, 17, 17));
            g.setFont(font);
            for (int i = 0; i < lines.size(); i++) {
                g.drawString(lines.get(i), margin, margin + step * i + (step - fm.getHeight()) / 2 + fm.getAscent());
            }
        } finally {
            g.dispose();
        }
        return new Page(List.copyOf(lines), image, SelfCheckPage.png(image));
    }

    private static int clamp(int v) {
        return Math.max(0, Math.min(255, v));
    }

    /** Levenshtein distance: the fewest insertions, deletions and substitutions that turn a into b. */
    static int editDistance(String a, String b) {
        int[] previous = new int[b.length() + 1];
        int[] current = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            previous[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            current[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int substitute = previous[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1);
                current[j] = Math.min(substitute, Math.min(previous[j] + 1, current[j - 1] + 1));
            }
            int[] t = previous;
            previous = current;
            current = t;
        }
        return previous[b.length()];
    }
}
