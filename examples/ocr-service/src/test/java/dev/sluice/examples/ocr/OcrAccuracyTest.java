package dev.sluice.examples.ocr;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Generated pages through the running service, over HTTP: how much of the text comes back. */
class OcrAccuracyTest extends OcrHttp {
    static final int PAGES = 40;

    @Test
    void readsAtLeast95PercentOfTheCharactersOfGeneratedPages() throws Exception {
        Random rnd = new Random(20240611L);
        List<TextPages.Page> pages = new ArrayList<>();
        for (int i = 0; i < PAGES; i++) {
            pages.add(TextPages.page(rnd, 1 + rnd.nextInt(3)));
        }
        // All at once, as a well-behaved client: what admission refuses (429) is sent again after its Retry-After.
        java.util.concurrent.atomic.AtomicInteger refusals = new java.util.concurrent.atomic.AtomicInteger();
        List<CompletableFuture<HttpResponse<String>>> results = new ArrayList<>();
        for (TextPages.Page page : pages) {
            results.add(ocrRetryingRefusals(page.png(), false, refusals));
        }
        long errors = 0;
        long characters = 0;
        long errorsWithSpaces = 0;
        long charactersWithSpaces = 0;
        StringBuilder misread = new StringBuilder();
        for (int i = 0; i < PAGES; i++) {
            HttpResponse<String> response = results.get(i).get(120, TimeUnit.SECONDS);
            assertEquals(200, response.statusCode(), response.body());
            assertEquals("application/x-ndjson", response.headers().firstValue("Content-Type").orElse(null));
            // Lines joined by single spaces on both sides: where the detector splits a line into two boxes (a wide
            // gap between words) the text is the same.
            String expected = pages.get(i).text();
            String read = String.join(" ", texts(response.body())).replaceAll(" +", " ");
            errorsWithSpaces += TextPages.editDistance(expected, read);
            charactersWithSpaces += expected.length();
            // Scored also without the spaces between words: this recognizer (trained mostly on Chinese, which has
            // none) sometimes reads two words as one, and that should not hide how well it reads the characters.
            int distance = TextPages.editDistance(expected.replace(" ", ""), read.replace(" ", ""));
            errors += distance;
            characters += expected.replace(" ", "").length();
            if (distance > 0) {
                misread.append(String.format(Locale.ROOT, "%n  page %d: expected '%s', read '%s' (%d)", i, expected, read,
                        distance));
            }
        }
        double accuracy = 1 - (double) errors / characters;
        System.out.printf(Locale.ROOT, "OCR character accuracy over %d generated pages: %.2f%% (%d errors in %d characters"
                + " other than spaces; with the spaces between words %.2f%%)%s%n", PAGES, accuracy * 100, errors, characters,
                100 - 100.0 * errorsWithSpaces / charactersWithSpaces, misread);
        assertTrue(accuracy >= 0.95, String.format(Locale.ROOT, "character accuracy %.4f below 0.95:%s", accuracy, misread));
        double withSpaces = 1 - (double) errorsWithSpaces / charactersWithSpaces;
        assertTrue(withSpaces >= 0.95, String.format(Locale.ROOT, "character accuracy with spaces %.4f below 0.95:%s",
                withSpaces, misread));
    }
}
