package dev.sluice.xgboost;

import java.util.Arrays;

/**
 * What an XGBoost model gave for one row: the objective's output ({@link #values()}), and, when the model was
 * built to give them, the margin ({@link XgboostModel.Builder#withMargin()}) and the feature contributions
 * ({@link XgboostModel.Builder#withContributions()}). Immutable; getters return copies.
 */
public final class Prediction {
    private final ModelInfo info;
    private final float[] values;
    private final float[] margin;
    /** groupCount groups of (featureCount + 1) values, each ending with the bias; null when not asked for. */
    private final float[] contributions;

    Prediction(ModelInfo info, float[] values, float[] margin, float[] contributions) {
        this.info = info;
        this.values = values;
        this.margin = margin;
        this.contributions = contributions;
    }

    /** The model's objective ({@code "binary:logistic"}, ...), which says what {@link #values()} mean. */
    public String objective() {
        return info.objective();
    }

    /**
     * The objective's output ({@link ModelInfo#outputCount()} values): the probability of class 1 for
     * {@code binary:logistic}, the class probabilities for {@code multi:softprob}, the class index for
     * {@code multi:softmax}, the value for a regression, one value per target for several targets.
     */
    public float[] values() {
        return values.clone();
    }

    /**
     * The one value of a model with one output: a probability for {@code binary:logistic}, a regression value.
     *
     * @throws IllegalStateException if the model gives several values per row
     */
    public float value() {
        if (values.length != 1) {
            throw new IllegalStateException("objective " + info.objective() + " gives " + values.length
                    + " values per row; read values()");
        }
        return values[0];
    }

    /**
     * The class the model predicts: for {@code binary:logistic} 1 if the probability is above 0.5, for
     * {@code binary:logitraw} 1 if the margin is above 0, for {@code binary:hinge} and {@code multi:softmax} the
     * value itself, for {@code multi:softprob} the most probable class (the first of equals).
     *
     * @throws IllegalStateException unless the model {@link ModelInfo#predictsClass() predicts a class} (not for a
     *     regression, nor a model of several targets)
     */
    public int predictedClass() {
        if (!info.predictsClass()) {
            throw new IllegalStateException("objective " + info.objective() + " with " + values.length
                    + " output(s) does not predict a class; read values()");
        }
        return info.classOf(values);
    }

    /**
     * The margin: the raw score before the objective's transformation (log-odds for {@code binary:logistic}),
     * one value per margin group ({@link ModelInfo#groupCount()}).
     *
     * @throws IllegalStateException if the model was not built {@link XgboostModel.Builder#withMargin()}
     */
    public float[] margin() {
        if (margin == null) {
            throw new IllegalStateException("the margin was not computed; build the model withMargin()");
        }
        return margin.clone();
    }

    /**
     * The feature contributions of a model with one margin group (binary, regression).
     *
     * @throws IllegalStateException if the model was not built {@link XgboostModel.Builder#withContributions()}, or
     *     has several margin groups (see {@link #contributions(int)})
     */
    public Contributions contributions() {
        if (info.groupCount() != 1) {
            throw new IllegalStateException("objective " + info.objective() + " has " + info.groupCount()
                    + " margin groups (one per class or target); read contributions(group)");
        }
        return contributions(0);
    }

    /**
     * The feature contributions to margin group {@code group} (a class of a multi-class model, a target of a
     * model of several targets).
     *
     * @throws IllegalStateException if the model was not built {@link XgboostModel.Builder#withContributions()}
     * @throws IndexOutOfBoundsException if there is no such group
     */
    public Contributions contributions(int group) {
        if (contributions == null) {
            throw new IllegalStateException("feature contributions were not computed; build the model"
                    + " withContributions()");
        }
        if (group < 0 || group >= info.groupCount()) {
            throw new IndexOutOfBoundsException("margin group " + group + " of " + info.groupCount());
        }
        int width = info.featureCount() + 1;
        int from = group * width;
        return new Contributions(info.featureNames(), Arrays.copyOfRange(contributions, from, from + width - 1),
                contributions[from + width - 1]);
    }

    @Override
    public String toString() {
        return "Prediction[" + info.objective() + " " + Arrays.toString(values)
                + (margin == null ? "" : ", margin " + Arrays.toString(margin))
                + (contributions == null ? "" : ", with contributions") + "]";
    }
}
