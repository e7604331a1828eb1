package dev.sluice.examples.ocr;

import java.math.BigDecimal;
import java.math.RoundingMode;
import tools.jackson.core.JsonGenerator;
import tools.jackson.databind.SerializationContext;
import tools.jackson.databind.ValueSerializer;

/**
 * Writes a number with a fixed count of decimals ({@code 0.9762}, {@code 0.00}): a confidence or an angle has no
 * meaning past them, and a reader sees at a glance which numbers are which.
 */
final class Decimals {
    private Decimals() {}

    private static void write(Double value, int places, JsonGenerator g) {
        g.writeNumber(BigDecimal.valueOf(value).setScale(places, RoundingMode.HALF_UP));
    }

    /** Four decimals. */
    static final class Four extends ValueSerializer<Double> {
        @Override
        public void serialize(Double value, JsonGenerator g, SerializationContext context) {
            write(value, 4, g);
        }
    }

    /** Two decimals. */
    static final class Two extends ValueSerializer<Double> {
        @Override
        public void serialize(Double value, JsonGenerator g, SerializationContext context) {
            write(value, 2, g);
        }
    }
}
