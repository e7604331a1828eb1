/**
 * XGBoost models behind Sluice's batcher ({@code ml.dmlc:xgboost4j}): {@link dev.sluice.xgboost.XgboostModel}
 * scores rows of {@link dev.sluice.xgboost.Features} into {@link dev.sluice.xgboost.Prediction}s, a whole batch
 * in one call, and serves the same model over tensors for the Open Inference Protocol.
 *
 * <p>This module is where xgboost4j lives: applications that do not depend on {@code sluice-xgboost} never have
 * it (nor its native library) on their class path, and those that do get its Java API without Scala.
 */
package dev.sluice.xgboost;
