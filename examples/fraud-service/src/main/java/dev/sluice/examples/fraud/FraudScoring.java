package dev.sluice.examples.fraud;

import dev.sluice.Deployment;
import dev.sluice.DeploymentHandle;
import dev.sluice.pipeline.Pipeline;
import dev.sluice.pipeline.Ref;
import dev.sluice.xgboost.FeatureContribution;
import dev.sluice.xgboost.Features;
import dev.sluice.xgboost.Prediction;
import dev.sluice.xgboost.XgboostModel;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;

/**
 * The scoring, in plain Java against Sluice's public API: the model as a deployment (one XGBoost {@code Booster} per
 * replica, batches of concurrent payments scored in one call, contributions computed with each score), and a
 * pipeline {@code features -> score -> explain} that turns a {@link Transaction} into a {@link FraudScore}.
 */
public final class FraudScoring {
    /** The model the build trained, inside the jar. */
    static final String MODEL_RESOURCE = "/fraud-model.json";
    /** How many features a score's reasons list. */
    static final int REASONS = 3;

    private FraudScoring() {}

    /** The bytes of the model the build trained. */
    public static byte[] builtModel() {
        try (InputStream in = FraudScoring.class.getResourceAsStream(MODEL_RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException(MODEL_RESOURCE + " is not on the class path: the build trains it"
                        + " (mvn -pl examples/fraud-service -am package)");
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * The model's deployment, named {@code fraud-model}: up to two replicas of one XGBoost thread each, batches of up
     * to 64 payments.
     */
    public static Deployment<Features, Prediction> deployment(byte[] model) {
        return Deployment.<Features, Prediction>builder("fraud-model", XgboostModel.builder(model).withContributions()
                .factory()).replicas(1, 2).batching(b -> b.maxBatchSize(64)).build();
    }

    /**
     * The pipeline {@code fraud}: {@code features} (checks the payment; a bad field fails it with
     * {@code InvalidInputException}, 400 over HTTP), {@code score} (the model), {@code explain}.
     */
    public static Pipeline<Transaction, FraudScore> pipeline(DeploymentHandle<Features, Prediction> model,
            double threshold) {
        Pipeline.Builder<Transaction> p = Pipeline.builder("fraud");
        Ref<Features> features = p.step("features").apply(Transaction::features, p.input());
        Ref<Prediction> scored = p.step("score").call(model, features);
        Ref<FraudScore> explained = p.step("explain").apply(
                (Transaction t, Prediction s) -> explain(t, s, threshold), p.input(), scored);
        return p.build(explained);
    }

    static FraudScore explain(Transaction t, Prediction p, double threshold) {
        List<FraudScore.Reason> reasons = new ArrayList<>(REASONS);
        for (FeatureContribution c : p.contributions().top(REASONS)) {
            reasons.add(new FraudScore.Reason(c.feature(), t.value(c.feature()), c.value()));
        }
        return new FraudScore(p.value(), p.value() >= threshold, reasons);
    }
}
