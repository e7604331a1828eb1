package dev.sluice.spring;

import dev.sluice.Deployment;
import dev.sluice.batching.DynamicBatcher;
import dev.sluice.onnx.OnnxModel;
import dev.sluice.tensor.Tensor;
import dev.sluice.tensor.TensorSignature;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.Map;
import java.util.function.Consumer;
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
        Consumer<DynamicBatcher.Builder<Map<String, Tensor>, Map<String, Tensor>>> batching = batching(prefix, m);
        Deployment.Builder<Map<String, Tensor>, Map<String, Tensor>> d = Deployment.builder(name, onnx.factory());
        d.signature(signature).batching(batching);
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

    /** Checks the batching settings now (the deployment applies them only when deployed). */
    private static Consumer<DynamicBatcher.Builder<Map<String, Tensor>, Map<String, Tensor>>> batching(String prefix,
            SluiceProperties.Model m) {
        Consumer<DynamicBatcher.Builder<Map<String, Tensor>, Map<String, Tensor>>> apply = b -> {
            if (m.getMaxBatchSize() != null) {
                b.maxBatchSize(m.getMaxBatchSize());
            }
            if (m.getMaxDelay() != null) {
                b.maxDelay(m.getMaxDelay());
            }
            if (m.getQueueCapacity() != null) {
                b.queueCapacity(m.getQueueCapacity());
            }
        };
        DynamicBatcher.Builder<Map<String, Tensor>, Map<String, Tensor>> probe = DynamicBatcher.builder(in -> in);
        if (m.getMaxBatchSize() != null) {
            set(prefix + "max-batch-size", m.getMaxBatchSize(), () -> probe.maxBatchSize(m.getMaxBatchSize()));
        }
        if (m.getMaxDelay() != null) {
            set(prefix + "max-delay", m.getMaxDelay(), () -> probe.maxDelay(m.getMaxDelay()));
        }
        if (m.getQueueCapacity() != null) {
            set(prefix + "queue-capacity", m.getQueueCapacity(), () -> probe.queueCapacity(m.getQueueCapacity()));
        }
        return apply;
    }

    private static void set(String property, Object value, Runnable setter) {
        try {
            setter.run();
        } catch (IllegalArgumentException e) {
            throw new InvalidConfigurationPropertyValueException(property, value, e.getMessage());
        }
    }
}
