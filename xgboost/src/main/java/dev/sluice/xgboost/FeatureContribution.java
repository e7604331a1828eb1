package dev.sluice.xgboost;

/**
 * How much one feature moved one row's margin (XGBoost's SHAP value for it): positive towards a higher score.
 *
 * @param feature the feature's name
 * @param value its contribution, in margin units (log-odds for {@code binary:logistic})
 */
public record FeatureContribution(String feature, float value) {}
