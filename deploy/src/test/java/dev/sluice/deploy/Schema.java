package dev.sluice.deploy;

/** The checks the hand-written schemas ({@link KedaScaledObject}, {@link Kustomization}, {@link AdapterConfig}) run. */
final class Schema {
    private Schema() {
    }

    /** A required field: missing (or empty) fails, naming it. */
    static void require(boolean present, String field) {
        if (!present) {
            throw new IllegalArgumentException(field + " is required");
        }
    }

    static void check(boolean ok, String message) {
        if (!ok) {
            throw new IllegalArgumentException(message);
        }
    }

    static boolean positiveNumber(String s) {
        try {
            double d = Double.parseDouble(s);
            return d > 0 && Double.isFinite(d);
        } catch (NumberFormatException e) {
            return false;
        }
    }
}
