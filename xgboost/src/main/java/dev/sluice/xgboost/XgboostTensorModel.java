package dev.sluice.xgboost;

import dev.sluice.Model;
import dev.sluice.batching.InvalidInputException;
import dev.sluice.tensor.DataType;
import dev.sluice.tensor.Tensor;
import dev.sluice.tensor.TensorSignature;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import ml.dmlc.xgboost4j.java.XGBoostError;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The tensor form of {@link XgboostModel}, for the Open Inference Protocol: a request is {@value XgboostModel#INPUT}
 * {@code FP32 [rows, features]}; a batch puts every request's rows into one {@code float[]} and scores them in one
 * call; each request gets its own rows' outputs back ({@value XgboostModel#OUTPUT}, and {@value XgboostModel#CLASS},
 * {@value XgboostModel#MARGIN}, {@value XgboostModel#CONTRIBUTIONS} as built). Made by
 * {@link XgboostModel.Builder#tensorFactory()}.
 */
final class XgboostTensorModel implements Model<Map<String, Tensor>, Map<String, Tensor>> {
    private static final Logger LOG = LoggerFactory.getLogger(XgboostTensorModel.class);

    private final BoosterReplica booster;
    private final TensorSignature signature;
    private final boolean predictedClass;
    private final String replica;
    private final String source;

    /** @throws IllegalArgumentException if {@code predictedClass} is asked of a model that predicts none */
    XgboostTensorModel(BoosterReplica booster, boolean predictedClass, String replica, String source) {
        this.booster = booster;
        this.signature = XgboostModel.Builder.signature(booster.info(), booster.margin(), booster.contributions(),
                predictedClass);
        this.predictedClass = predictedClass;
        this.replica = replica;
        this.source = source;
        LOG.info("Replica {} loaded XGBoost model {} for tensors: {}", replica, source, booster.info());
    }

    @Override
    public List<Map<String, Tensor>> predict(List<Map<String, Tensor>> batch) throws XGBoostError {
        ModelInfo info = booster.info();
        int features = info.featureCount();
        int[] rows = new int[batch.size()];
        int total = 0;
        for (int r = 0; r < batch.size(); r++) {
            signature.validate(batch.get(r)); // a bad request fails the batch; the batcher isolates it
            rows[r] = Math.toIntExact(batch.get(r).get(XgboostModel.INPUT).dim(0));
            total = Math.addExact(total, rows[r]);
        }
        float[] data = new float[Math.multiplyExact(total, features)];
        int at = 0;
        for (int r = 0; r < batch.size(); r++) {
            int count = rows[r] * features;
            batch.get(r).get(XgboostModel.INPUT).data().asFloatBuffer().get(data, at, count);
            info.checkFinite(XgboostModel.INPUT, FloatBuffer.wrap(data), at, rows[r]);
            at += count;
        }
        BoosterReplica.Scores scores = booster.score(data, total);
        List<Map<String, Tensor>> out = new ArrayList<>(batch.size());
        int first = 0;
        for (int r = 0; r < batch.size(); r++) {
            Map<String, Tensor> answer = new LinkedHashMap<>();
            answer.put(XgboostModel.OUTPUT, slice(XgboostModel.OUTPUT, scores.values(), first, rows[r],
                    info.outputCount(), 0));
            if (predictedClass) {
                long[] classes = new long[rows[r]];
                for (int i = 0; i < classes.length; i++) {
                    classes[i] = info.classOf(scores.values()[first + i]);
                }
                answer.put(XgboostModel.CLASS, Tensor.ofLongs(XgboostModel.CLASS, new long[] {classes.length}, classes));
            }
            if (scores.margin() != null) {
                answer.put(XgboostModel.MARGIN, slice(XgboostModel.MARGIN, scores.margin(), first, rows[r],
                        info.groupCount(), 0));
            }
            if (scores.contributions() != null) {
                answer.put(XgboostModel.CONTRIBUTIONS, slice(XgboostModel.CONTRIBUTIONS, scores.contributions(), first,
                        rows[r], info.groupCount() * (features + 1), info.groupCount() == 1 ? 0 : info.groupCount()));
            }
            out.add(answer);
            first += rows[r];
        }
        return out;
    }

    /**
     * The check {@link XgboostModel.Builder#tensorDeployment} runs on each request before it queues: rows as wide
     * as the model (said in XGBoost's terms, with the features listed), then the signature's check, then no
     * infinite value.
     *
     * @throws InvalidInputException saying what was wrong
     */
    static void check(ModelInfo info, TensorSignature signature, Map<String, Tensor> request) {
        Tensor rows = request == null ? null : request.get(XgboostModel.INPUT);
        if (rows != null && rows.dataType() == DataType.FP32 && rows.rank() == 2) {
            info.checkWidth(XgboostModel.INPUT, rows.dim(1));
        }
        signature.validate(request); // throws unless rows is there, FP32 [n, features]
        if (rows != null) {
            info.checkFinite(XgboostModel.INPUT, rows.data().asFloatBuffer(), 0, Math.toIntExact(rows.dim(0)));
        }
    }

    /**
     * Rows [first, first + count) of a per-row output of {@code width} values as one tensor; {@code groups} > 0
     * splits each row in that many groups.
     */
    private static Tensor slice(String name, float[][] perRow, int first, int count, int width, int groups) {
        float[] flat = new float[count * width];
        for (int i = 0; i < count; i++) {
            System.arraycopy(perRow[first + i], 0, flat, i * width, width);
        }
        long[] shape = groups > 0 ? new long[] {count, groups, width / groups} : new long[] {count, width};
        return Tensor.ofFloats(name, shape, flat);
    }

    @Override
    public void close() {
        booster.close();
    }

    @Override
    public String toString() {
        return "XgboostTensorModel[" + source + " on " + replica + "]";
    }
}
