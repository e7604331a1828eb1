package dev.sluice.examples.ocr;

import dev.sluice.tensor.Tensor;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Greedy CTC decoding of the recognizer's output with its dictionary: the most probable class at each time
 * step, repeats collapsed, blanks dropped. Class 0 is the blank, class {@code i} is line {@code i - 1} of
 * the dictionary, and the one class past the dictionary is a space. Thread-safe (immutable).
 */
public final class CtcDecoder {
    /** What one line decodes to: the text and the mean probability of the characters kept (0 for none). */
    public record Reading(String text, double confidence) {}

    private final String[] characters;

    CtcDecoder(List<String> dictionary) {
        characters = new String[dictionary.size() + 2];
        characters[0] = "";
        for (int i = 0; i < dictionary.size(); i++) {
            characters[i + 1] = dictionary.get(i);
        }
        characters[dictionary.size() + 1] = " ";
    }

    /** The decoder of a dictionary file: one character per line, UTF-8. */
    public static CtcDecoder load(Path dictionary) throws IOException {
        return new CtcDecoder(Files.readAllLines(dictionary, StandardCharsets.UTF_8));
    }

    /** The classes this decoder knows, blank and space included: the recognizer's output must have as many. */
    public int classes() {
        return characters.length;
    }

    /** Decodes one line: {@code probabilities} is [1, T, classes] (or [T, classes]), each step a distribution. */
    public Reading decode(Tensor probabilities) {
        int classes = (int) probabilities.dim(probabilities.rank() - 1);
        if (classes != characters.length) {
            throw new IllegalStateException("the recognizer gives " + classes + " classes per step; its dictionary has "
                    + (characters.length - 2) + " characters, blank and space make " + characters.length);
        }
        return decode(probabilities.toFloatArray(), classes);
    }

    /** Decodes one line given as {@code [T, classes]} probabilities, row-major ({@code T = p.length / classes}). */
    public Reading decode(float[] p, int classes) {
        int steps = p.length / classes;
        StringBuilder text = new StringBuilder();
        double sum = 0;
        int kept = 0;
        int previous = -1;
        for (int t = 0; t < steps; t++) {
            int base = t * classes;
            int best = 0;
            for (int c = 1; c < classes; c++) {
                if (p[base + c] > p[base + best]) {
                    best = c;
                }
            }
            if (best != 0 && best != previous) {
                text.append(characters[best]);
                sum += p[base + best];
                kept++;
            }
            previous = best;
        }
        return new Reading(text.toString(), kept == 0 ? 0 : sum / kept);
    }
}
