package dev.sluice.examples.ocr;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Issue 15: pages as a browser renders paragraphs (13-18 px text, lines up to 1400 px wide, little space between
 * them) are read as well as the short lines of large text of {@link OcrAccuracyTest}. Long lines used to be
 * turned upside down by the direction classifier, which saw them squeezed ten times, and read as garbage.
 */
class OcrLongLinesTest {
    @Test
    void readsLongLinesOfSmallTextAsABrowserRendersThem() throws Exception {
        Random rnd = new Random(20261203L);
        List<TextPages.Page> pages = new ArrayList<>();
        List<String> proportional = TextPages.availableFonts().stream().filter(f -> !f.contains("Mono")).toList();
        // A machine with only a monospaced family of ours still gets pages: Java's logical sans-serif font.
        List<String> fonts = proportional.isEmpty() ? List.of(Font.SANS_SERIF) : proportional;
        for (String family : fonts) {
            for (int px : new int[] {13, 16, 18}) {
                pages.add(page(rnd, new Font(family, Font.PLAIN, px), 1450, new int[] {600, 900, 1000, 1200, 1400}, 1.4,
                        px == 16 ? new Color(0xf6, 0xf4, 0xee) : Color.WHITE));
            }
            // The page: 1000 x 700, 16 px paragraphs of lines about 970 px wide.
            pages.add(page(rnd, new Font(family, Font.PLAIN, 16), 1000, new int[] {970, 970, 970, 970, 970, 600}, 1.25,
                    Color.WHITE));
        }
        long errors = 0;
        long characters = 0;
        double worst = 1;
        StringBuilder misread = new StringBuilder();
        try (OcrService ocr = OcrService.builder(OcrService.defaultModels()).build()) {
            for (int i = 0; i < pages.size(); i++) {
                OcrResult r = ocr.read(pages.get(i).png()).get(120, TimeUnit.SECONDS).value();
                String expected = pages.get(i).text().replaceAll("\\s", "");
                String read = String.join("", r.lines().stream().map(OcrResult.Line::text).toList()).replaceAll("\\s", "");
                int distance = TextPages.editDistance(expected, read);
                errors += distance;
                characters += expected.length();
                worst = Math.min(worst, 1 - (double) distance / expected.length());
                if (distance > 0) {
                    misread.append(String.format(Locale.ROOT, "%n  page %d: %d of %d characters wrong; read %s", i, distance,
                            expected.length(), r.lines().stream().map(OcrResult.Line::text).toList()));
                }
            }
        }
        double accuracy = 1 - (double) errors / characters;
        System.out.printf(Locale.ROOT, "OCR character accuracy over %d screenshot-like pages of long lines: %.2f%% (%d errors in"
                + " %d characters other than whitespace; the worst page %.2f%%)%s%n", pages.size(), accuracy * 100, errors,
                characters, worst * 100, misread);
        // Per page as well as in all: one line read as garbage costs its page more than 2%.
        assertTrue(worst >= 0.98, String.format(Locale.ROOT, "a page read with %.4f of its characters right:%s", worst,
                misread));
    }

    /** A page of random words in lines about {@code widths} pixels wide. */
    private static TextPages.Page page(Random rnd, Font font, int pageWidth, int[] widths, double lineHeight, Color background) {
        FontMetrics fm = TextPages.screenMetrics(font);
        List<String> lines = new ArrayList<>();
        for (int w : widths) {
            lines.add(TextPages.lineOfWidth(rnd, fm, w));
        }
        return TextPages.screen(lines, font, pageWidth, lineHeight, background);
    }
}
