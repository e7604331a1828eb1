package dev.sluice.spring;

import dev.sluice.Deployment;
import dev.sluice.onnx.OnnxModel;
import dev.sluice.tensor.Tensor;
import dev.sluice.tensor.TensorSignature;
import java.nio.file.Path;
import java.util.Map;
import org.springframework.boot.context.properties.source.InvalidConfigurationPropertyValueException;

/**
 * Turns {@code sluice.models.<name>.*} naming an ONNX model file into ONNX deployments. Every setting is checked
 * here, before anything is deployed, and a bad one stops start-up naming its property ({@code sluice.models.rec.path}).
 *
 * <p>The only class of the starter that touches {@code sluice-gpu}: {@link SluiceDeployments} loads it only when an
 * ONNX model is declared and {@link OnnxModel} is on the class path ({@link XgboostPropertyModels} is its twin for
 * XGBoost; {@link PropertySettings} holds what they share).
 */
final class PropertyModels {
    private PropertyModels() {}

    /**
     * The deployment {@code sluice.models.<name>} describes, its model loaded once to read its signature.
     *
     * @throws InvalidConfigurationPropertyValueException naming the property that is wrong
     */
    static Deployment<Map<String, Tensor>, Map<String, Tensor>> deployment(String name, SluiceProperties.Model m) {
        String prefix = PropertySettings.PREFIX + name + ".";
        Path file = PropertySettings.modelFile(prefix + "path", m.getPath());
        if (!m.getXgboost().getOutputs().isEmpty()) {
            throw new InvalidConfigurationPropertyValueException(prefix + "xgboost.outputs",
                    String.join(",", m.getXgboost().getOutputs()), "applies to XGBoost models (a .json or .ubj path);"
                            + " an ONNX model's outputs are its graph's");
        }
        OnnxModel.Builder onnx = OnnxModel.builder(file);
        m.getPad().forEach(onnx::pad);
        if (m.isAllowCpuFallback()) {
            onnx.allowCpuFallback();
        }
        TensorSignature signature;
        try {
            signature = onnx.signature();
        } catch (Exception | UnsatisfiedLinkError e) {
            throw new InvalidConfigurationPropertyValueException(prefix + "path", m.getPath(),
                    "ONNX Runtime cannot load " + file + " as a model: " + e.getMessage());
        }
        Deployment.Builder<Map<String, Tensor>, Map<String, Tensor>> d = Deployment.builder(name, onnx.factory());
        d.signature(signature).batching(PropertySettings.batching(prefix, m));
        PropertySettings.placement(prefix, m, d);
        return d.build();
    }
}
