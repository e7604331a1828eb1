package dev.sluice.xgboost;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;

/**
 * One row's feature contributions to one margin group (XGBoost's {@code pred_contribs}, SHAP values): a value
 * per feature and the bias, which together add up to the row's margin for that group (up to float rounding,
 * as XGBoost computes them separately). Immutable.
 */
public final class Contributions {
    private final List<String> names;
    private final float[] values;
    private final float bias;

    Contributions(List<String> names, float[] values, float bias) {
        this.names = List.copyOf(names); // the model's own immutable list: no copy is made
        this.values = values;
        this.bias = bias;
    }

    /** The features, in the model's order (as {@link ModelInfo#featureNames()}). */
    public List<String> featureNames() {
        return names;
    }

    /** One contribution per feature, in the model's order (a copy). */
    public float[] values() {
        return values.clone();
    }

    /**
     * The contribution of the feature named {@code feature}.
     *
     * @throws IllegalArgumentException if the model has no such feature
     */
    public float value(String feature) {
        int i = names.indexOf(Objects.requireNonNull(feature, "feature"));
        if (i < 0) {
            throw new IllegalArgumentException("'" + feature + "' is not one of the model's features " + names);
        }
        return values[i];
    }

    /** The part of the margin no feature accounts for (the model's expected margin). */
    public float bias() {
        return bias;
    }

    /** The bias plus every feature's contribution, summed in double: the margin, up to float rounding. */
    public double sum() {
        double s = bias;
        for (float v : values) {
            s += v;
        }
        return s;
    }

    /**
     * The {@code k} features that moved the margin most, either way: largest absolute contribution first (ties
     * in the model's order), features that contributed nothing left out.
     *
     * @throws IllegalArgumentException if {@code k} is negative
     */
    public List<FeatureContribution> top(int k) {
        if (k < 0) {
            throw new IllegalArgumentException("k must be 0 or more, was " + k);
        }
        List<FeatureContribution> all = new ArrayList<>(values.length);
        for (int i = 0; i < values.length; i++) {
            if (values[i] != 0) {
                all.add(new FeatureContribution(names.get(i), values[i]));
            }
        }
        // List.sort is stable: equal magnitudes keep the model's order.
        all.sort(Comparator.comparingDouble((FeatureContribution c) -> Math.abs(c.value())).reversed());
        return List.copyOf(all.subList(0, Math.min(k, all.size())));
    }

    @Override
    public String toString() {
        return "Contributions[bias " + bias + ", " + Arrays.toString(values) + "]";
    }
}
