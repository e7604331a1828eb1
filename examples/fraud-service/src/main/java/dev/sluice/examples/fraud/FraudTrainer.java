package dev.sluice.examples.fraud;

import dev.sluice.xgboost.Features;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import ml.dmlc.xgboost4j.java.Booster;
import ml.dmlc.xgboost4j.java.DMatrix;
import ml.dmlc.xgboost4j.java.XGBoost;
import ml.dmlc.xgboost4j.java.XGBoostError;

/**
 * Trains the example's model, run by the build ({@code process-classes}): {@value #ROWS} synthetic payments
 * ({@link Transactions}, seed {@value #SEED}), {@value #TREES} trees of depth 4, one thread and no sampling, so
 * every build writes the same model. Saved in XGBoost's JSON format with the feature names.
 *
 * <pre>{@code java -cp ... dev.sluice.examples.fraud.FraudTrainer target/classes/fraud-model.json}</pre>
 */
public final class FraudTrainer {
    static final long SEED = 2026;
    static final int ROWS = 20_000;
    static final int TREES = 60;

    private FraudTrainer() {}

    public static void main(String[] args) throws IOException, XGBoostError {
        if (args.length != 1) {
            throw new IllegalArgumentException("usage: FraudTrainer <model.json to write>");
        }
        Path out = Path.of(args[0]);
        Path folder = out.toAbsolutePath().getParent();
        if (folder != null) {
            Files.createDirectories(folder);
        }
        Files.write(out, train());
        System.out.println("FraudTrainer: wrote " + out + " (" + TREES + " trees on " + ROWS + " payments, seed " + SEED + ")");
    }

    /** The model, as XGBoost's JSON. */
    static byte[] train() throws XGBoostError {
        List<Transactions.Labelled> data = Transactions.draw(SEED, ROWS);
        int n = Transactions.FEATURES.size();
        float[] x = new float[ROWS * n];
        float[] y = new float[ROWS];
        for (int i = 0; i < ROWS; i++) {
            float[] row = inOrder(data.get(i).transaction().features());
            System.arraycopy(row, 0, x, i * n, n);
            y[i] = data.get(i).fraud() ? 1 : 0;
        }
        DMatrix m = new DMatrix(x, ROWS, n, Float.NaN);
        try {
            m.setLabel(y);
            m.setFeatureNames(Transactions.FEATURES.toArray(String[]::new));
            Map<String, Object> params = new HashMap<>();
            params.put("objective", "binary:logistic");
            params.put("max_depth", 4);
            params.put("eta", 0.2);
            params.put("nthread", 1);
            params.put("seed", SEED);
            Booster b = XGBoost.train(m, params, TREES, new HashMap<>(), null, null);
            try {
                return b.toByteArray("json");
            } finally {
                b.dispose();
            }
        } finally {
            m.dispose();
        }
    }

    /** A named row in the model's order (NaN where missing). */
    static float[] inOrder(Features named) {
        float[] row = new float[Transactions.FEATURES.size()];
        java.util.Arrays.fill(row, Float.NaN);
        String[] names = named.names();
        float[] values = named.values();
        for (int i = 0; i < names.length; i++) {
            row[Transactions.FEATURES.indexOf(names[i])] = values[i];
        }
        return row;
    }
}
