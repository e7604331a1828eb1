package dev.sluice.xgboost;

import dev.sluice.batching.InvalidInputException;
import java.nio.FloatBuffer;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * What an XGBoost model takes and gives, as read from the model when it loads: its objective, its features
 * (names and count) and how many values it gives per row. {@link #validate} checks a row against it, so a
 * deployment can refuse a bad row before it joins a batch:
 *
 * <pre>{@code
 * XgboostModel.Builder fraud = XgboostModel.builder(Path.of("fraud.json"));
 * ModelInfo info = fraud.info();
 * Deployment.builder("fraud", fraud.factory()).validator(info::validate).build();
 * }</pre>
 *
 * <p>The rule for values: {@code NaN} is a missing value (the trees send it down their learned default branch);
 * {@code +-Infinity} is refused. XGBoost would score an infinite value without complaint, as larger (or smaller)
 * than every split, but no tree learned anything about it: it is nearly always an upstream bug (a division by
 * zero), and an answer would hide it.
 *
 * <p>Immutable and thread-safe.
 */
public final class ModelInfo {
    /** How many feature names an error message lists before it says how many there are. */
    private static final int NAMES_LISTED = 20;

    private final String objective;
    private final List<String> featureNames;
    private final boolean namedByModel;
    private final int outputCount;
    private final int groupCount;
    private final Map<String, Integer> index;

    ModelInfo(String objective, List<String> featureNames, boolean namedByModel, int outputCount, int groupCount) {
        this.objective = Objects.requireNonNull(objective, "objective");
        this.featureNames = List.copyOf(featureNames);
        this.namedByModel = namedByModel;
        this.outputCount = outputCount;
        this.groupCount = groupCount;
        Map<String, Integer> byName = new HashMap<>();
        for (int i = 0; i < this.featureNames.size(); i++) {
            if (byName.put(this.featureNames.get(i), i) != null) {
                throw new IllegalArgumentException("two features are named '" + this.featureNames.get(i) + "'");
            }
        }
        this.index = byName;
    }

    /** The model's objective as XGBoost names it ({@code "binary:logistic"}, {@code "multi:softprob"}, ...). */
    public String objective() {
        return objective;
    }

    /** How many features a row has. */
    public int featureCount() {
        return featureNames.size();
    }

    /**
     * The features' names, in the model's order: the names the model was trained with (or given by
     * {@link XgboostModel.Builder#featureNames}), else XGBoost's own {@code f0, f1, ...}.
     */
    public List<String> featureNames() {
        return featureNames;
    }

    /** Whether the names are the model's own (or given), rather than XGBoost's {@code f0, f1, ...}. */
    public boolean hasFeatureNames() {
        return namedByModel;
    }

    /**
     * Values per row of the objective's output: 1 for a probability ({@code binary:logistic}), a regression
     * value or a class index ({@code multi:softmax}); the class count for {@code multi:softprob}; the target count
     * for a model of several targets.
     */
    public int outputCount() {
        return outputCount;
    }

    /**
     * Values per row of the margin (the raw, untransformed score), which is also how many groups of feature
     * contributions a row has: the class count for a multi-class model (both {@code multi:softprob} and
     * {@code multi:softmax}), the target count for several targets, else 1.
     */
    public int groupCount() {
        return groupCount;
    }

    /**
     * Checks one row as {@link XgboostModel#predict} does: its length (a row in order), its names (a named row),
     * and that no value is infinite.
     *
     * @throws InvalidInputException naming what was wrong: the length against the model's, the unknown feature,
     *     or the infinite feature and its value
     */
    public void validate(Features row) {
        fill(row, null, 0); // nothing written: a check per request allocates nothing
    }

    /**
     * Writes {@code row} into {@code into} from {@code offset} in the model's order, checking it on the way; with
     * {@code into} null, only checks it.
     */
    void fill(Features row, float[] into, int offset) {
        if (row == null) {
            throw new InvalidInputException("a row is null; the model takes " + featureCount() + " features");
        }
        float[] values = row.rawValues();
        String[] names = row.rawNames();
        int n = featureCount();
        if (names == null) {
            if (values.length != n) {
                throw new InvalidInputException("a row of " + values.length + " values; the model takes " + n
                        + " features " + listed() + " (NaN for a missing one)");
            }
            for (int i = 0; i < n; i++) {
                float v = finite(values[i], i);
                if (into != null) {
                    into[offset + i] = v;
                }
            }
            return;
        }
        if (into != null) {
            Arrays.fill(into, offset, offset + n, Float.NaN);
        }
        for (int k = 0; k < names.length; k++) {
            Integer i = index.get(names[k]);
            if (i == null) {
                throw new InvalidInputException("feature '" + names[k] + "' is not one of the model's " + n
                        + " features " + listed());
            }
            float v = finite(values[k], i);
            if (into != null) {
                into[offset + i] = v;
            }
        }
    }

    /**
     * Whether the objective predicts a class, so that {@link Prediction#predictedClass()} answers (and a tensor
     * model can be built {@link XgboostModel.Builder#withClass()}): {@code binary:logistic},
     * {@code binary:logitraw} and {@code binary:hinge} with one output, {@code multi:softmax} and
     * {@code multi:softprob}. Not a regression, a ranking, nor a model of several targets.
     */
    public boolean predictsClass() {
        return (objective.startsWith("binary:") || objective.equals("multi:softmax")) && outputCount == 1
                || objective.equals("multi:softprob");
    }

    /**
     * The class {@code values} (one row's {@link #outputCount()} values of the objective's output) predict; see
     * {@link Prediction#predictedClass()}. Only for a model that {@link #predictsClass()}.
     */
    int classOf(float[] values) {
        if (objective.equals("multi:softprob")) {
            int best = 0;
            for (int i = 1; i < values.length; i++) {
                if (values[i] > values[best]) {
                    best = i;
                }
            }
            return best;
        }
        return switch (objective) {
            case "binary:logistic" -> values[0] > 0.5f ? 1 : 0;
            case "binary:logitraw" -> values[0] > 0f ? 1 : 0;
            default -> Math.round(values[0]); // binary:hinge and multi:softmax give the class itself
        };
    }

    /**
     * Checks rows {@code [0, rows)} of {@code data} (the model's width each, row-major, from absolute index
     * {@code from}) for infinite values; {@code input} names the tensor in the message.
     *
     * @throws InvalidInputException naming the input, the row, the feature and its value
     */
    void checkFinite(String input, FloatBuffer data, int from, int rows) {
        int n = featureCount();
        int end = from + rows * n;
        for (int i = from; i < end; i++) {
            float v = data.get(i);
            if (Float.isInfinite(v)) {
                int feature = (i - from) % n;
                throw new InvalidInputException("input '" + input + "' row " + (i - from) / n + ": feature '"
                        + featureNames.get(feature) + "' (index " + feature + ") is " + v
                        + "; the model scores finite values, and NaN for a missing one");
            }
        }
    }

    /**
     * Checks that rows of {@code width} values fit the model.
     *
     * @throws InvalidInputException saying both widths and listing the features
     */
    void checkWidth(String input, long width) {
        if (width != featureCount()) {
            throw new InvalidInputException("input '" + input + "' has rows of " + width + " values; the model takes "
                    + featureCount() + " features " + listed() + " (NaN for a missing one)");
        }
    }

    private float finite(float value, int feature) {
        if (Float.isInfinite(value)) {
            throw new InvalidInputException("feature '" + featureNames.get(feature) + "' (index " + feature + ") is "
                    + value + "; the model scores finite values, and NaN for a missing one");
        }
        return value;
    }

    private String listed() {
        if (featureNames.size() <= NAMES_LISTED) {
            return featureNames.toString();
        }
        String first = String.join(", ", featureNames.subList(0, NAMES_LISTED));
        return "[" + first + ", ... (" + featureNames.size() + " in all)]";
    }

    @Override
    public String toString() {
        return "ModelInfo[" + objective + ", " + featureCount() + " features " + listed() + ", " + outputCount
                + " output" + (outputCount == 1 ? "" : "s") + ", " + groupCount + " margin group"
                + (groupCount == 1 ? "" : "s") + "]";
    }
}
