package dev.sluice.spring;

import dev.sluice.Deployment;
import dev.sluice.tensor.Tensor;
import dev.sluice.tensor.TensorSignature;
import dev.sluice.xgboost.XgboostModel;
import java.nio.file.Path;
import java.util.Map;
import org.springframework.boot.context.properties.source.InvalidConfigurationPropertyValueException;

/**
 * Turns {@code sluice.models.<name>.*} naming an XGBoost model ({@code .json} or {@code .ubj}) into a tensor
 * deployment, which the Open Inference Protocol serves: input {@code features FP32 [-1, features]}, output
 * {@code prediction}. Each replica's XGBoost uses its {@code cpus} as threads. Settings that only an ONNX model has
 * ({@code pad}, {@code allow-cpu-fallback}) and GPUs are refused, naming their property.
 *
 * <p>The only class of the starter that touches {@code sluice-xgboost}: {@link SluiceDeployments} loads it only when
 * such a model is declared and {@link XgboostModel} is on the class path.
 */
final class XgboostPropertyModels {
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
        XgboostModel.Builder xgb = XgboostModel.builder(file);
        TensorSignature signature;
        try {
            signature = xgb.signature();
        } catch (Exception | UnsatisfiedLinkError e) {
            throw new InvalidConfigurationPropertyValueException(prefix + "path", m.getPath(),
                    "XGBoost cannot load " + file + " as a model: " + e.getMessage());
        }
        Deployment.Builder<Map<String, Tensor>, Map<String, Tensor>> d = Deployment.builder(name, xgb.tensorFactory());
        d.signature(signature).batching(PropertySettings.batching(prefix, m));
        PropertySettings.placement(prefix, m, d);
        return d.build();
    }
}
