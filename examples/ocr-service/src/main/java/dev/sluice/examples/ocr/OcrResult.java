package dev.sluice.examples.ocr;

import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * What was read in one image: its lines of text in reading order (top to bottom, then left to right).
 * An image without text has no lines.
 *
 * @param lines the lines read
 */
public record OcrResult(List<Line> lines) {
    public OcrResult {
        lines = List.copyOf(lines);
    }

    /**
     * One line of text.
     *
     * @param text what was read
     * @param confidence the recognizer's mean probability over the characters it kept, in [0, 1]
     * @param box where the line is in the image
     */
    public record Line(String text, double confidence, Box box) {
        public Line {
            Objects.requireNonNull(text, "text");
            Objects.requireNonNull(box, "box");
        }

        /**
         * This line as one JSON object: {@code {"text":..,"confidence":..,"box":{"x":..,"y":..,"width":..,
         * "height":..,"angle":..,"points":[[x,y],[x,y],[x,y],[x,y]]}}} (see {@link Box}).
         */
        public String toJson() {
            return "{\"text\":" + quote(text) + ",\"confidence\":" + String.format(Locale.ROOT, "%.4f", confidence)
                    + ",\"box\":" + box.toJson() + "}";
        }
    }

    /** The lines' texts joined by newlines. */
    public String text() {
        StringBuilder b = new StringBuilder();
        for (Line line : lines) {
            b.append(b.length() == 0 ? "" : "\n").append(line.text());
        }
        return b.toString();
    }

    /** JSON Lines: one {@link Line#toJson() object} per line of text, each ended by a newline; empty without text. */
    public String toJsonLines() {
        StringBuilder b = new StringBuilder();
        for (Line line : lines) {
            b.append(line.toJson()).append('\n');
        }
        return b.toString();
    }

    static String quote(String s) {
        StringBuilder b = new StringBuilder(s.length() + 2).append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                case '\r' -> b.append("\\r");
                case '\t' -> b.append("\\t");
                default -> {
                    if (c < 0x20 || c == 0x2028 || c == 0x2029) {
                        b.append(String.format(Locale.ROOT, "\\u%04x", (int) c));
                    } else {
                        b.append(c);
                    }
                }
            }
        }
        return b.append('"').toString();
    }
}
