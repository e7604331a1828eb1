package dev.sluice.bench;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

class OcrPagesTest {

    @Test
    void theSameSeedMakesTheSamePagesAndAnotherSeedOthers() {
        OcrPages a = new OcrPages(3, 2, 4, 7);
        OcrPages b = new OcrPages(3, 2, 4, 7);
        OcrPages c = new OcrPages(3, 2, 4, 8);
        for (int i = 0; i < 3; i++) {
            assertEquals(a.page(i).lines(), b.page(i).lines());
            assertArrayEquals(a.page(i).png(), b.page(i).png());
        }
        assertNotEquals(a.page(0).lines(), c.page(0).lines());
    }

    @Test
    void everyPageHasBetweenTheFewestAndTheMostLinesOfWordsFromTheAlphabet() {
        OcrPages pages = new OcrPages(12, 2, 5, 1);
        for (int i = 0; i < pages.size(); i++) {
            OcrPages.Page p = pages.page(i);
            assertTrue(p.lines().size() >= 2 && p.lines().size() <= 5, p.lines().toString());
            for (String line : p.lines()) {
                String[] words = line.split(" ");
                assertTrue(words.length >= 1 && words.length <= 4, line);
                for (String w : words) {
                    assertTrue(w.length() >= 2 && w.length() <= 8, w);
                    assertTrue(w.chars().allMatch(ch -> OcrPages.ALPHABET.indexOf(ch) >= 0), w);
                }
            }
            assertTrue(p.png().length > 100 && p.png()[1] == 'P' && p.png()[2] == 'N' && p.png()[3] == 'G');
        }
        double mean = pages.meanLines();
        assertTrue(mean >= 2 && mean <= 5, Double.toString(mean));
    }

    @Test
    void aSequenceIsReproducibleAndStaysWithinThePages() {
        OcrPages pages = new OcrPages(4, 1, 1, 1);
        Supplier<Integer> s = pages.sequence(5);
        Supplier<Integer> t = pages.sequence(5);
        List<Integer> seen = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            int k = s.get();
            assertEquals(k, t.get());
            assertTrue(k >= 0 && k < 4);
            seen.add(k);
        }
        assertTrue(seen.containsAll(List.of(0, 1, 2, 3)));
    }

    @Test
    void impossibleCountsAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> new OcrPages(0, 1, 2, 1));
        assertThrows(IllegalArgumentException.class, () -> new OcrPages(1, 0, 2, 1));
        assertThrows(IllegalArgumentException.class, () -> new OcrPages(1, 3, 2, 1));
    }
}
