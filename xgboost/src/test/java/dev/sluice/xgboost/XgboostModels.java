package dev.sluice.xgboost;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import ml.dmlc.xgboost4j.java.Booster;
import ml.dmlc.xgboost4j.java.DMatrix;
import ml.dmlc.xgboost4j.java.XGBoost;
import ml.dmlc.xgboost4j.java.XGBoostError;

/**
 * Small XGBoost models trained by xgboost4j on synthetic data with a fixed seed, for tests (this module's and,
 * through its test-jar, the Spring starter's). Training is deterministic: one thread, no sampling, the same data.
 */
public final class XgboostModels {
    /** The binary models' features, in order. */
    public static final List<String> FEATURES = List.of("amount", "hour", "distance", "age");
    public static final int ROWS = 300;

    private XgboostModels() {}

    /** The synthetic rows (ROWS x 4, row-major), a few values missing (NaN). */
    public static float[] data() {
        Random r = new Random(42);
        float[] x = new float[ROWS * FEATURES.size()];
        for (int i = 0; i < x.length; i++) {
            x[i] = r.nextInt(50) == 0 ? Float.NaN : (float) r.nextGaussian();
        }
        return x;
    }

    /** Row {@code i} of {@link #data()}. */
    public static float[] row(float[] data, int i) {
        int n = FEATURES.size();
        return java.util.Arrays.copyOfRange(data, i * n, (i + 1) * n);
    }

    /** A {@code binary:logistic} model with feature names, saved as {@code dir/file} (.json or .ubj). */
    public static Path binary(Path dir, String file) {
        return save(train("binary:logistic", true, label(2)), dir.resolve(file));
    }

    /** A {@code binary:logistic} model saved without feature names. */
    public static Path binaryUnnamed(Path dir, String file) {
        return save(train("binary:logistic", false, label(2)), dir.resolve(file));
    }

    /** A three-class model of the given objective ({@code multi:softprob} or {@code multi:softmax}). */
    public static Path multiClass(Path dir, String file, String objective) {
        return save(train(objective, true, label(3)), dir.resolve(file));
    }

    /** A {@code reg:squarederror} model. */
    public static Path regression(Path dir, String file) {
        return save(train("reg:squarederror", true, label(0)), dir.resolve(file));
    }

    /** Labels of {@code classes} classes (0: a regression target) from the first two features. */
    private static float[] label(int classes) {
        float[] x = data();
        int n = FEATURES.size();
        float[] y = new float[ROWS];
        for (int i = 0; i < ROWS; i++) {
            float a = Float.isNaN(x[i * n]) ? 0 : x[i * n];
            float b = Float.isNaN(x[i * n + 1]) ? 0 : x[i * n + 1];
            float s = a + 0.5f * b * b - 0.3f * x[i * n + 2];
            y[i] = classes == 0 ? (Float.isNaN(s) ? a : s) : classes == 2 ? (a + b > 0 ? 1 : 0)
                    : (a < -0.4f ? 0 : a < 0.4f ? 1 : 2);
        }
        return y;
    }

    private static Booster train(String objective, boolean named, float[] labels) {
        try {
            DMatrix m = new DMatrix(data(), ROWS, FEATURES.size(), Float.NaN);
            try {
                m.setLabel(labels);
                if (named) {
                    m.setFeatureNames(FEATURES.toArray(String[]::new));
                }
                Map<String, Object> params = new HashMap<>();
                params.put("objective", objective);
                params.put("max_depth", 3);
                params.put("eta", 0.3);
                params.put("nthread", 1);
                params.put("seed", 7);
                if (objective.startsWith("multi:")) {
                    params.put("num_class", 3);
                }
                return XGBoost.train(m, params, 8, new HashMap<>(), null, null);
            } finally {
                m.dispose();
            }
        } catch (XGBoostError e) {
            throw new IllegalStateException("training a " + objective + " test model failed", e);
        }
    }

    private static Path save(Booster booster, Path file) {
        try {
            Files.write(file, booster.toByteArray(file.toString().endsWith(".ubj") ? "ubj" : "json"));
            return file;
        } catch (XGBoostError e) {
            throw new IllegalStateException("saving a test model failed", e);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            booster.dispose();
        }
    }
}
