package dev.sluice.examples.ocr;

import dev.sluice.tensor.Tensor;
import java.io.IOException;
import java.nio.FloatBuffer;
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

    /**
     * Decodes one line: {@code probabilities} is [1, T, classes] (or [T, classes]), each step a distribution; or
     * those steps' {@link #bestClasses best classes}, [1, T, 2].
     */
    public Reading decode(Tensor probabilities) {
        int classes = (int) probabilities.dim(probabilities.rank() - 1);
        if (classes == 2 && characters.length != 2) {
            return decodeBest(probabilities.toFloatArray());
        }
        if (classes != characters.length) {
            throw new IllegalStateException("the recognizer gives " + classes + " classes per step; its dictionary has "
                    + (characters.length - 2) + " characters, blank and space make " + characters.length);
        }
        return decode(probabilities.toFloatArray(), classes);
    }

    /** Decodes one line given as {@code [T, classes]} probabilities, row-major ({@code T = p.length / classes}). */
    public Reading decode(float[] p, int classes) {
        return decodeBest(bestClasses(p, classes));
    }

    /**
     * The most probable class of each step of {@code [T, classes]} probabilities and its probability, as
     * {@code [T, 2]} (the class as a float: exact up to 2^24). All that greedy decoding reads: a line's recognizer
     * output kept this way is {@code classes / 2} times smaller (3,312 for the PaddleOCR dictionary), so the lines
     * of a page waiting for their last neighbour hold kilobytes, not megabytes (issue 15).
     */
    static float[] bestClasses(float[] p, int classes) {
        return bestClasses(FloatBuffer.wrap(p), classes);
    }

    /**
     * {@link #bestClasses(float[], int)} read straight from {@code p}'s remaining values (a tensor's data, without
     * copying its megabytes first).
     */
    static float[] bestClasses(FloatBuffer p, int classes) {
        int from = p.position();
        int steps = p.remaining() / classes;
        float[] best = new float[2 * steps];
        for (int t = 0; t < steps; t++) {
            int base = from + t * classes;
            int b = 0;
            float max = p.get(base);
            for (int c = 1; c < classes; c++) {
                float v = p.get(base + c);
                if (v > max) {
                    max = v;
                    b = c;
                }
            }
            best[2 * t] = b;
            best[2 * t + 1] = max;
        }
        return best;
    }

    /** Decodes one line given as its steps' best classes ({@link #bestClasses}): repeats collapsed, blanks dropped. */
    Reading decodeBest(float[] best) {
        StringBuilder text = new StringBuilder();
        double sum = 0;
        int kept = 0;
        int previous = -1;
        for (int t = 0; t + 1 < best.length; t += 2) {
            int c = (int) best[t];
            if (c < 0 || c >= characters.length) {
                throw new IllegalStateException("class " + c + " is not one of the dictionary's " + characters.length);
            }
            if (c != 0 && c != previous) {
                text.append(characters[c]);
                sum += best[t + 1];
                kept++;
            }
            previous = c;
        }
        return new Reading(text.toString(), kept == 0 ? 0 : sum / kept);
    }
}
