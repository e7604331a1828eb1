package dev.sluice.xgboost;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import ml.dmlc.xgboost4j.java.Booster;
import ml.dmlc.xgboost4j.java.DMatrix;
import ml.dmlc.xgboost4j.java.XGBoost;
import ml.dmlc.xgboost4j.java.XGBoostError;

/**
 * One replica's {@link Booster} and what was read from it, with the one way a batch is scored. Shared by the
 * row model ({@link XgboostModel}) and the tensor model ({@link XgboostTensorModel}).
 *
 * <p>The batch path: values and margins come from {@code Booster.inplace_predict} over the batch's dense
 * {@code float[]} (NaN missing), which reads the Java array in place; a {@code DMatrix} would first copy the
 * batch into XGBoost's own matrix, which measured 10-40% slower per batch here (xgboost4j 3.4.0, 100 trees of
 * depth 6 on 30 features, one thread: 64 rows 402 us against 422 us, 256 rows 1.0 ms against 1.4 ms).
 * Contributions have no in-place path in xgboost4j, so they alone build a {@code DMatrix}.
 */
final class BoosterReplica implements AutoCloseable {
    /** Every tree: XGBoost's iteration range [0, 0) means all of them. */
    private static final int[] ALL_TREES = {0, 0};
    private static final Pattern OBJECTIVE = Pattern.compile("\"objective\"\\s*:\\s*\\{\\s*\"name\"\\s*:\\s*\"([^\"]+)\"");
    /** How much of the end of a model's JSON to search for its objective first (it is written last). */
    private static final int TAIL = 16 * 1024;

    private final Booster booster;
    private final ModelInfo info;
    private final boolean margin;
    private final boolean contributions;

    private BoosterReplica(Booster booster, ModelInfo info, boolean margin, boolean contributions) {
        this.booster = booster;
        this.info = info;
        this.margin = margin;
        this.contributions = contributions;
    }

    /** The scores of one batch: one array per row for each output asked for (null where not asked). */
    record Scores(float[][] values, float[][] margin, float[][] contributions) {}

    /** Where a model comes from: a file, or bytes in memory. */
    record Source(Path file, byte[] bytes) {
        String describe() {
            return file != null ? file.toString() : "a model of " + bytes.length + " bytes";
        }

        /**
         * The model's bytes, checked to look like an XGBoost JSON or UBJSON model. XGBoost itself is not handed an
         * empty buffer: xgboost4j 3.4.0 aborts the whole JVM on one.
         */
        byte[] read() throws IOException {
            byte[] b;
            try {
                b = file != null ? Files.readAllBytes(file) : bytes;
            } catch (IOException e) {
                throw new IOException("cannot read the XGBoost model file " + file + ": " + e, e);
            }
            if (b.length == 0) {
                throw new IllegalArgumentException(describe() + " is empty, not an XGBoost model");
            }
            int first = 0;
            while (first < b.length && Character.isWhitespace(b[first])) {
                first++;
            }
            if (first == b.length || b[first] != '{') {
                throw new IllegalArgumentException(describe() + " is not an XGBoost model: XGBoost's JSON and UBJSON"
                        + " models begin with '{' (models in XGBoost's old binary format are not read; save them"
                        + " again as .json or .ubj)");
            }
            return b;
        }
    }

    /**
     * Loads the model and reads what it takes and gives.
     *
     * @param featureNames names to use instead of the model's own, or null
     * @param threads XGBoost's {@code nthread} for this replica
     * @throws IllegalArgumentException naming the source if it is not a model XGBoost can load
     */
    static BoosterReplica open(Source source, List<String> featureNames, boolean margin, boolean contributions,
            int threads) throws IOException {
        byte[] model = source.read();
        Booster booster;
        try {
            booster = XGBoost.loadModel(model);
        } catch (XGBoostError e) {
            throw new IllegalArgumentException(source.describe() + " is not an XGBoost model XGBoost can load: "
                    + firstLine(e), e);
        }
        try {
            booster.setParam("nthread", threads);
            ModelInfo info = read(source, booster, featureNames);
            return new BoosterReplica(booster, info, margin, contributions);
        } catch (XGBoostError e) {
            booster.dispose();
            throw new IllegalArgumentException(source.describe() + " loaded, but XGBoost cannot describe it: "
                    + firstLine(e), e);
        } catch (RuntimeException e) {
            booster.dispose();
            throw e;
        }
    }

    private static ModelInfo read(Source source, Booster booster, List<String> given) throws XGBoostError {
        int features = Math.toIntExact(booster.getNumFeature());
        List<String> names;
        boolean named;
        if (given != null) {
            if (given.size() != features) {
                throw new IllegalArgumentException("featureNames gives " + given.size() + " names, but "
                        + source.describe() + " has " + features + " features");
            }
            names = given;
            named = true;
        } else {
            String[] own = booster.getFeatureNames();
            // xgboost4j gives an array of nulls (or nothing) for a model saved without names
            named = own != null && own.length == features && features > 0
                    && Arrays.stream(own).allMatch(n -> n != null && !n.isEmpty());
            names = named ? Arrays.asList(own) : defaultNames(features);
        }
        float[] missing = new float[features];
        Arrays.fill(missing, Float.NaN);
        int outputs = booster.inplace_predict(missing, 1, features, Float.NaN, ALL_TREES,
                Booster.PredictionType.kValue, null)[0].length;
        int groups = booster.inplace_predict(missing, 1, features, Float.NaN, ALL_TREES,
                Booster.PredictionType.kMargin, null)[0].length;
        return new ModelInfo(objective(booster), names, named, outputs, groups);
    }

    /** XGBoost's names for unnamed features: f0, f1, ... */
    private static List<String> defaultNames(int features) {
        List<String> names = new ArrayList<>(features);
        for (int i = 0; i < features; i++) {
            names.add("f" + i);
        }
        return names;
    }

    /** The objective, from the model's JSON (xgboost4j has no call for it); "unknown" if it is not there. */
    private static String objective(Booster booster) throws XGBoostError {
        byte[] json = booster.toByteArray("json");
        int from = Math.max(0, json.length - TAIL);
        Matcher m = OBJECTIVE.matcher(new String(json, from, json.length - from, StandardCharsets.UTF_8));
        String found = null;
        while (m.find()) {
            found = m.group(1); // the last one: the learner's, written after anything a user named "objective"
        }
        if (found == null && from > 0) {
            m = OBJECTIVE.matcher(new String(json, StandardCharsets.UTF_8));
            while (m.find()) {
                found = m.group(1);
            }
        }
        return found == null ? "unknown" : found;
    }

    private static String firstLine(XGBoostError e) {
        String message = String.valueOf(e.getMessage());
        int end = message.indexOf('\n');
        return end < 0 ? message : message.substring(0, end);
    }

    ModelInfo info() {
        return info;
    }

    /**
     * Scores {@code rows} rows laid out one after another in {@code data} (NaN missing).
     *
     * @throws XGBoostError if XGBoost fails
     */
    Scores score(float[] data, int rows) throws XGBoostError {
        int features = info.featureCount();
        if (rows == 0) {
            return new Scores(new float[0][], margin ? new float[0][] : null, contributions ? new float[0][] : null);
        }
        float[][] values = booster.inplace_predict(data, rows, features, Float.NaN, ALL_TREES,
                Booster.PredictionType.kValue, null);
        float[][] margins = margin ? booster.inplace_predict(data, rows, features, Float.NaN, ALL_TREES,
                Booster.PredictionType.kMargin, null) : null;
        float[][] contribs = null;
        if (contributions) {
            DMatrix matrix = new DMatrix(data, rows, features, Float.NaN);
            try {
                contribs = booster.predictContrib(matrix, 0);
            } finally {
                matrix.dispose();
            }
        }
        return new Scores(values, margins, contribs);
    }

    boolean margin() {
        return margin;
    }

    boolean contributions() {
        return contributions;
    }

    @Override
    public void close() {
        booster.dispose();
    }
}
