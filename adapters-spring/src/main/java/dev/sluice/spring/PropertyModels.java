package dev.sluice.spring;

import dev.sluice.Batching;
import dev.sluice.Deployment;
import dev.sluice.onnx.OnnxModel;
import dev.sluice.tensor.Tensor;
import dev.sluice.tensor.TensorSignature;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.Map;
import org.springframework.boot.context.properties.source.InvalidConfigurationPropertyValueException;

/**
 * Turns {@code sluice.models.<name>.*} into ONNX deployments. Every setting is checked here, before anything
 * is deployed, and a bad one stops start-up naming its property ({@code sluice.models.rec.path}).
 *
 * <p>The only class of the starter that touches {@code sluice-gpu}: {@link SluiceDeployments} loads it only when a
 * model is declared and {@link OnnxModel} is on the class path.
 */
final class PropertyModels {
    static final String PREFIX = "sluice.models.";

    private PropertyModels() {}

    /**
     * The deployment {@code sluice.models.<name>} describes, its model loaded once to read its signature.
     *
     * @throws InvalidConfigurationPropertyValueException naming the property that is wrong
     */
    static Deployment<Map<String, Tensor>, Map<String, Tensor>> deployment(String name, SluiceProperties.Model m) {
        String prefix = PREFIX + name + ".";
        Path file = modelFile(prefix + "path", m.getPath());
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
        d.signature(signature).batching(batching(prefix, m));
        set(prefix + "min-replicas", m.getMinReplicas() + ".." + m.getMaxReplicas(),
                () -> d.replicas(m.getMinReplicas(), m.getMaxReplicas()));
        set(prefix + "cpus", m.getCpus(), () -> d.resources(r -> r.cpus(m.getCpus())));
        set(prefix + "gpus", m.getGpus(), () -> d.resources(r -> r.cpus(m.getCpus()).gpus(m.getGpus())));
        return d.build();
    }

    private static Path modelFile(String property, String value) {
        if (value == null || value.isBlank()) {
            throw new InvalidConfigurationPropertyValueException(property, value, "the path of the .onnx file is required");
        }
        Path file;
        try {
            file = Path.of(value);
        } catch (InvalidPathException e) {
            throw new InvalidConfigurationPropertyValueException(property, value, "not a valid path: " + e.getMessage());
        }
        if (!Files.exists(file)) {
            throw new InvalidConfigurationPropertyValueException(property, value,
                    "no file at " + file.toAbsolutePath());
        }
        if (!Files.isRegularFile(file) || !Files.isReadable(file)) {
            throw new InvalidConfigurationPropertyValueException(property, value,
                    file.toAbsolutePath() + " is not a readable file");
        }
        return file;
    }

    /** The batching settings the properties give; each setter checks its value, named by its property. */
    private static Batching batching(String prefix, SluiceProperties.Model m) {
        Batching.Builder b = Batching.builder();
        if (m.getMaxBatchSize() != null) {
            set(prefix + "max-batch-size", m.getMaxBatchSize(), () -> b.maxBatchSize(m.getMaxBatchSize()));
        }
        if (m.getMaxDelay() != null) {
            set(prefix + "max-delay", m.getMaxDelay(), () -> b.maxDelay(m.getMaxDelay()));
        }
        if (m.getQueueCapacity() != null) {
            set(prefix + "queue-capacity", m.getQueueCapacity(), () -> b.queueCapacity(m.getQueueCapacity()));
        }
        return b.build();
    }

    private static void set(String property, Object value, Runnable setter) {
        try {
            setter.run();
        } catch (IllegalArgumentException e) {
            throw new InvalidConfigurationPropertyValueException(property, value, e.getMessage());
        }
    }
}
