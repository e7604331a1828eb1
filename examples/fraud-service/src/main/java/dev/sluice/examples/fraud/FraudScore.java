package dev.sluice.examples.fraud;

import java.util.List;

/**
 * The answer for one payment: how likely it is fraud, whether that passes the service's threshold, and the
 * features that moved the score most, either way.
 *
 * @param score the model's probability of fraud, 0 to 1
 * @param flagged whether {@code score} is at or above the threshold ({@code fraud.threshold})
 * @param reasons the features that moved the score most, largest first
 */
public record FraudScore(float score, boolean flagged, List<Reason> reasons) {
    public FraudScore {
        reasons = List.copyOf(reasons);
    }

    /**
     * One feature's part in a score.
     *
     * @param feature the feature's name
     * @param value its value in the payment (null: left out, a missing value)
     * @param contribution how far it moved the score, in log-odds (XGBoost's contribution): above 0 towards fraud
     */
    public record Reason(String feature, Number value, float contribution) {}
}
