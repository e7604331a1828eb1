/**
 * XGBoost models behind Sluice's batcher ({@code ml.dmlc:xgboost4j}): {@link dev.sluice.xgboost.XgboostModel}
 * scores rows of {@link dev.sluice.xgboost.Features} into {@link dev.sluice.xgboost.Prediction}s, a whole batch
 * in one call, and serves the same model over tensors for the Open Inference Protocol.
 *
 * <p>What a model gives, by its objective ({@link dev.sluice.xgboost.ModelInfo} reads it from the model):
 * <table>
 *   <caption>Outputs per row, in Java and over tensors</caption>
 *   <tr><th>output</th><th>Java</th><th>tensor</th><th>what</th></tr>
 *   <tr><td>the objective's values</td><td>{@code Prediction.values()}, {@code value()}</td>
 *       <td>{@code prediction} FP32 {@code [-1, outputCount]}</td>
 *       <td>a probability ({@code binary:logistic}), one per class ({@code multi:softprob}), the class index
 *       ({@code multi:softmax}), a value (regression), one per target</td></tr>
 *   <tr><td>the predicted class</td><td>{@code Prediction.predictedClass()}</td>
 *       <td>{@code class} INT64 {@code [-1]}, built {@code withClass()}</td>
 *       <td>for objectives that {@link dev.sluice.xgboost.ModelInfo#predictsClass() predict one}</td></tr>
 *   <tr><td>the margin</td><td>{@code Prediction.margin()}, built {@code withMargin()}</td>
 *       <td>{@code margin} FP32 {@code [-1, groupCount]}</td>
 *       <td>the raw score before the objective's transformation (log-odds for {@code binary:logistic})</td></tr>
 *   <tr><td>feature contributions</td><td>{@code Prediction.contributions()}, built {@code withContributions()}</td>
 *       <td>{@code contributions} FP32 {@code [-1, features + 1]} or {@code [-1, groupCount, features + 1]}</td>
 *       <td>XGBoost's {@code pred_contribs} (SHAP values), the bias last; tens of times a prediction's cost</td></tr>
 * </table>
 *
 * <p>Bad input, each an {@link dev.sluice.batching.InvalidInputException} naming what was wrong: a row of the wrong
 * length, an unknown feature name, an infinite value ({@code NaN} is a missing value). A deployment can refuse them
 * before they join a batch ({@code validator(info::validate)} for rows, {@code tensorDeployment} for tensors); a
 * model file that is not a model fails when it loads, naming the file.
 *
 * <p>This module is where xgboost4j lives: applications that do not depend on {@code sluice-xgboost} never have
 * it (nor its native library) on their class path, and those that do get its Java API without Scala.
 */
package dev.sluice.xgboost;
