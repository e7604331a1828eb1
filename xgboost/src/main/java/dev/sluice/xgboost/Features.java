package dev.sluice.xgboost;

import dev.sluice.batching.InvalidInputException;
import java.util.Arrays;
import java.util.Map;
import java.util.Objects;

/**
 * One row to score: its feature values either in the model's order ({@link #of}) or by feature name
 * ({@link #named}). Immutable; the factories copy what they are given. Whether the row fits a model (its length,
 * its names, its values) is checked against that model by {@link ModelInfo#validate} and by
 * {@link XgboostModel#predict}, which both say what was wrong.
 *
 * <p>Missing values are {@code NaN} (or, for a named row, a feature left out or mapped to {@code null}), as
 * XGBoost itself takes them: the trees send them down the branch they learned for missing values.
 */
public final class Features {
    private final float[] values;
    /** Null for a row in the model's order; else the feature names, one per value. */
    private final String[] names;

    private Features(float[] values, String[] names) {
        this.values = values;
        this.names = names;
    }

    /**
     * A row in the model's feature order ({@code NaN}: missing).
     *
     * @param values one value per feature of the model, copied
     */
    public static Features of(float... values) {
        return new Features(Objects.requireNonNull(values, "values").clone(), null);
    }

    /**
     * A row by feature name; features the map leaves out, or maps to {@code null}, are missing. Each number is
     * taken as a {@code float}, the type XGBoost scores in.
     *
     * @param values feature name to value, copied
     * @throws InvalidInputException if a name is null
     */
    public static Features named(Map<String, ? extends Number> values) {
        Objects.requireNonNull(values, "values");
        String[] names = new String[values.size()];
        float[] floats = new float[values.size()];
        int i = 0;
        for (Map.Entry<String, ? extends Number> e : values.entrySet()) {
            if (e.getKey() == null) {
                throw new InvalidInputException("a named feature row has a null feature name");
            }
            names[i] = e.getKey();
            floats[i] = e.getValue() == null ? Float.NaN : e.getValue().floatValue();
            i++;
        }
        return new Features(floats, names);
    }

    /** Whether the values are by name ({@link #named}) rather than in the model's order. */
    public boolean isNamed() {
        return names != null;
    }

    /** How many values the row holds (for a named row, how many names it gives). */
    public int size() {
        return values.length;
    }

    /** The values (a copy), in the model's order or, for a named row, in the order of {@link #names()}. */
    public float[] values() {
        return values.clone();
    }

    /**
     * The names of a named row, in the order of {@link #values()}.
     *
     * @throws IllegalStateException for a row in the model's order
     */
    public String[] names() {
        if (names == null) {
            throw new IllegalStateException("this row is in the model's order; it has no feature names");
        }
        return names.clone();
    }

    /** Values without a copy, for the model's own reading. */
    float[] rawValues() {
        return values;
    }

    /** Names without a copy (null for a row in order), for the model's own reading. */
    String[] rawNames() {
        return names;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Features f && Arrays.equals(f.values, values) && Arrays.equals(f.names, names);
    }

    @Override
    public int hashCode() {
        return 31 * Arrays.hashCode(values) + Arrays.hashCode(names);
    }

    @Override
    public String toString() {
        if (names == null) {
            return "Features" + Arrays.toString(values);
        }
        StringBuilder s = new StringBuilder("Features{");
        for (int i = 0; i < names.length; i++) {
            s.append(i == 0 ? "" : ", ").append(names[i]).append('=').append(values[i]);
        }
        return s.append('}').toString();
    }
}
