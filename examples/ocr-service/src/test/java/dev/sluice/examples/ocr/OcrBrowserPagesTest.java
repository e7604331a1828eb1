package dev.sluice.examples.ocr;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 15: screenshots of documents as headless Chromium renders them ({@link BrowserPages}) are read with at
 * least 98% of their characters right, their lines in the order drawn. Skipped without Chromium, except under
 * CI=true, where it fails. One Chromium run renders every page; one service reads them.
 */
class OcrBrowserPagesTest {
    @TempDir
    static Path dir;

    private static List<BrowserPages.Page> documents;
    private static BrowserPages.Page fullPage;
    private static OcrService ocr;

    @BeforeAll
    static void renderThePagesAndStartTheService() throws Exception {
        Path chromium = BrowserPages.requireChromium();
        List<BrowserPages.Layout> layouts = new ArrayList<>(BrowserPages.documents());
        layouts.add(BrowserPages.fullPage());
        List<BrowserPages.Page> pages = BrowserPages.render(chromium, layouts, dir);
        documents = pages.subList(0, pages.size() - 1);
        fullPage = pages.get(pages.size() - 1);
        ocr = OcrService.builder(OcrService.defaultModels()).build();
    }

    @AfterAll
    static void stopTheService() {
        if (ocr != null) {
            ocr.close();
        }
    }

    @Test
    void readsDocumentsOfSerifSansAndMonospaceTextAt12To18PxWithLinksAndInlineCode() throws Exception {
        long errors = 0;
        long characters = 0;
        StringBuilder report = new StringBuilder();
        List<String> outOfOrder = new ArrayList<>();
        for (BrowserPages.Page page : documents) {
            BrowserPages.Score s = read(page);
            errors += s.errors();
            characters += s.characters();
            report.append(String.format(Locale.ROOT, "%n  %s (%dx%d, %d lines): %.2f%%, order %s%s", page.name(),
                    page.image().getWidth(), page.image().getHeight(), page.lines().size(), 100 * s.accuracy(),
                    s.orderKept() ? "kept" : "BROKEN", misread(s)));
            if (!s.orderKept()) {
                outOfOrder.add(page.name());
            }
        }
        double accuracy = 1 - (double) errors / characters;
        System.out.printf(Locale.ROOT, "OCR character accuracy over %d Chromium-rendered document pages: %.2f%% (%d errors in"
                + " %d characters other than whitespace)%s%n", documents.size(), 100 * accuracy, errors, characters, report);
        assertTrue(accuracy >= 0.98, String.format(Locale.ROOT, "%.4f of the characters right:%s", accuracy, report));
        assertEquals(List.of(), outOfOrder, "pages whose lines came back out of order:" + report);
    }

    @Test
    void readsAFullPageScreenshotOf1400By3000Px() throws Exception {
        assertEquals(1400, fullPage.image().getWidth());
        assertEquals(3000, fullPage.image().getHeight());
        BrowserPages.Score s = read(fullPage);
        long unread = s.lines().stream().filter(l -> l.boxes() == 0).count();
        String report = String.format(Locale.ROOT, "%s: %d lines, %d not found, %.2f%% of %d characters right, order %s%s",
                fullPage.name(), fullPage.lines().size(), unread, 100 * s.accuracy(), s.characters(),
                s.orderKept() ? "kept" : "BROKEN", misread(s));
        System.out.println("OCR of a full-page screenshot: " + report);
        assertTrue(s.accuracy() >= 0.98, report);
        assertEquals(0, unread, report);
        assertTrue(s.orderKept(), report);
    }

    private static BrowserPages.Score read(BrowserPages.Page page) throws Exception {
        return BrowserPages.score(page, ocr.read(page.png()).get(300, TimeUnit.SECONDS).value());
    }

    /** The lines read with more than 2 errors, with their confidence. */
    private static String misread(BrowserPages.Score s) {
        StringBuilder b = new StringBuilder();
        for (BrowserPages.LineScore l : s.lines()) {
            if (l.errors() > 2) {
                b.append(String.format(Locale.ROOT, "%n    %d errors, confidence %.3f: '%s' read as '%s'", l.errors(),
                        l.confidence(), l.line().text(), l.read()));
            }
        }
        return b.toString();
    }
}
