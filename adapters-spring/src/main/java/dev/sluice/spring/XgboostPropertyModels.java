package dev.sluice.spring;

import dev.sluice.Deployment;
import dev.sluice.tensor.Tensor;
import dev.sluice.xgboost.ModelInfo;
import dev.sluice.xgboost.XgboostModel;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.springframework.boot.context.properties.source.InvalidConfigurationPropertyValueException;

/**
 * Turns {@code sluice.models.<name>.*} naming an XGBoost model ({@code .json} or {@code .ubj}) into a tensor
 * deployment, which the Open Inference Protocol serves: input {@code features FP32 [-1, features]}, output
 * {@code prediction}, and the outputs {@code xgboost.outputs} lists ({@code class}, {@code margin},
 * {@code contributions}; see {@link XgboostModel}). Each request is checked before it queues (rows as wide as the
 * model, no infinite value: {@link XgboostModel.Builder#tensorDeployment}), so a bad one is 400 on its own. Each
 * replica's XGBoost uses its {@code cpus} as threads. Settings that only an ONNX model has ({@code pad},
 * {@code allow-cpu-fallback}) and GPUs are refused, naming their property.
 *
 * <p>The only class of the starter that touches {@code sluice-xgboost}: {@link SluiceDeployments} loads it only when
 * such a model is declared and {@link XgboostModel} is on the class path.
 */
final class XgboostPropertyModels {
    /** What {@code xgboost.outputs} may list; {@code prediction} is always served and may be listed too. */
    static final List<String> OUTPUTS = List.of(XgboostModel.OUTPUT, XgboostModel.CLASS, XgboostModel.MARGIN,
            XgboostModel.CONTRIBUTIONS);

    private XgboostPropertyModels() {}

    /**
     * The deployment {@code sluice.models.<name>} describes, its model loaded once to read its signature.
     *
     * @throws InvalidConfigurationPropertyValueException naming the property that is wrong
     */
    static Deployment<Map<String, Tensor>, Map<String, Tensor>> deployment(String name, SluiceProperties.Model m) {
        String prefix = PropertySettings.PREFIX + name + ".";
        Path file = PropertySettings.modelFile(prefix + "path", m.getPath());
        if (!m.getPad().isEmpty()) {
            throw new InvalidConfigurationPropertyValueException(prefix + "pad", m.getPad(),
                    "padding applies to ONNX models; an XGBoost model's rows all have its feature count");
        }
        if (m.isAllowCpuFallback()) {
            throw new InvalidConfigurationPropertyValueException(prefix + "allow-cpu-fallback", true,
                    "applies to ONNX models; XGBoost models run on CPUs");
        }
        if (m.getGpus() != 0) {
            throw new InvalidConfigurationPropertyValueException(prefix + "gpus", m.getGpus(),
                    "XGBoost models run on CPUs (sluice-xgboost uses xgboost4j's CPU build); set cpus instead");
        }
        List<String> outputs = m.getXgboost().getOutputs();
        String outputsProperty = prefix + "xgboost.outputs";
        for (String output : outputs) {
            if (!OUTPUTS.contains(output)) {
                throw new InvalidConfigurationPropertyValueException(outputsProperty, String.join(",", outputs),
                        "'" + output + "' is not an output of an XGBoost model; the outputs are " + OUTPUTS
                                + " (prediction is always served)");
            }
        }
        XgboostModel.Builder xgb = XgboostModel.builder(file);
        ModelInfo info;
        try {
            info = xgb.info();
        } catch (Exception | UnsatisfiedLinkError e) {
            throw new InvalidConfigurationPropertyValueException(prefix + "path", m.getPath(),
                    "XGBoost cannot load " + file + " as a model: " + e.getMessage());
        }
        if (outputs.contains(XgboostModel.CLASS)) {
            if (!info.predictsClass()) {
                throw new InvalidConfigurationPropertyValueException(outputsProperty, String.join(",", outputs),
                        "the model's objective " + info.objective() + " predicts no class; 'class' is for"
                                + " classifiers (binary:logistic, binary:logitraw, binary:hinge, multi:softmax,"
                                + " multi:softprob)");
            }
            xgb.withClass();
        }
        if (outputs.contains(XgboostModel.MARGIN)) {
            xgb.withMargin();
        }
        if (outputs.contains(XgboostModel.CONTRIBUTIONS)) {
            xgb.withContributions();
        }
        Deployment.Builder<Map<String, Tensor>, Map<String, Tensor>> d;
        try {
            d = xgb.tensorDeployment(name); // the model's description is the one read above: not loaded again
        } catch (Exception e) {
            throw new InvalidConfigurationPropertyValueException(prefix + "path", m.getPath(),
                    "XGBoost cannot describe " + file + ": " + e.getMessage());
        }
        d.batching(PropertySettings.batching(prefix, m));
        PropertySettings.placement(prefix, m, d);
        return d.build();
    }
}
