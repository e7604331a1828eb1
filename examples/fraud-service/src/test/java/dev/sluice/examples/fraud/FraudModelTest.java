package dev.sluice.examples.fraud;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.ModelContext;
import dev.sluice.xgboost.Features;
import dev.sluice.xgboost.ModelInfo;
import dev.sluice.xgboost.Prediction;
import dev.sluice.xgboost.XgboostModel;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The model the build trained: reproducible, and it separates fraud from the rest on payments it never saw. */
class FraudModelTest {

    @Test
    void theBuildTrainsTheSameModelEveryTime() throws Exception {
        assertArrayEquals(FraudScoring.builtModel(), FraudTrainer.train());
    }

    @Test
    void itTakesTheTransactionsFeaturesByName() throws Exception {
        ModelInfo info = XgboostModel.builder(FraudScoring.builtModel()).info();
        assertEquals("binary:logistic", info.objective());
        assertEquals(Transactions.FEATURES, info.featureNames());
    }

    @Test
    void itRanksFraudAboveTheRestOnPaymentsItNeverSaw() throws Exception {
        List<Transactions.Labelled> unseen = Transactions.draw(7, 5000);
        List<Features> rows = new ArrayList<>();
        unseen.forEach(p -> rows.add(p.transaction().features()));
        List<Prediction> scores;
        try (XgboostModel model = XgboostModel.builder(FraudScoring.builtModel()).open(ModelContext.forTest("m"))) {
            scores = model.predict(rows);
        }
        // AUC: the chance that a fraud scores above a payment that is not (ties count half)
        List<Float> fraud = new ArrayList<>();
        List<Float> rest = new ArrayList<>();
        for (int i = 0; i < unseen.size(); i++) {
            (unseen.get(i).fraud() ? fraud : rest).add(scores.get(i).value());
        }
        double wins = 0;
        for (float f : fraud) {
            for (float r : rest) {
                wins += f > r ? 1 : f == r ? 0.5 : 0;
            }
        }
        double auc = wins / ((double) fraud.size() * rest.size());
        assertTrue(fraud.size() > 100, "enough fraud to measure: " + fraud.size());
        assertTrue(auc > 0.85, "AUC " + auc);
    }
}
