package dev.sluice.examples.ocr;

import java.util.List;
import java.util.Objects;
import tools.jackson.databind.annotation.JsonSerialize;
import tools.jackson.databind.json.JsonMapper;

/**
 * What was read in one image: its lines of text in reading order (top to bottom, then left to right).
 * An image without text has no lines. Written as JSON by Jackson: {@code {"lines":[...]}}, each line as in
 * {@link #toJsonLines()}.
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
    public record Line(String text, @JsonSerialize(using = Decimals.Four.class) double confidence, Box box) {
        public Line {
            Objects.requireNonNull(text, "text");
            Objects.requireNonNull(box, "box");
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

    /**
     * JSON Lines: one object per line of text ({@code {"text":..,"confidence":0.9762,"box":{...}}}, see {@link Box}),
     * each ended by a newline; empty without text.
     */
    public String toJsonLines() {
        StringBuilder b = new StringBuilder();
        for (Line line : lines) {
            b.append(Json.MAPPER.writeValueAsString(line)).append('\n');
        }
        return b.toString();
    }

    /** Made on first use: code that only reads results (the benchmarks) runs without Jackson. */
    private static final class Json {
        static final JsonMapper MAPPER = JsonMapper.builder().build();
    }
}
