package dev.sluice.spring;

import dev.sluice.Batching;
import dev.sluice.Deployment;
import java.nio.file.Files;
import java.time.Duration;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import org.springframework.boot.context.properties.source.InvalidConfigurationPropertyValueException;

/**
 * The settings every model under {@code sluice.models.<name>} has, whatever its runtime: the file, batching,
 * replicas and resources, each checked and, when wrong, refused naming its property. Touches no model runtime, so
 * {@link SluiceDeployments} can use it before it knows which runtime's classes are there.
 */
final class PropertySettings {
    static final String PREFIX = "sluice.models.";

    /** Which runtime serves a model file, from its name. */
    enum Kind {
        /** A {@code .json} or {@code .ubj} file: XGBoost's own formats, served by {@code sluice-xgboost}. */
        XGBOOST("dev.sluice.xgboost.XgboostModel", "an XGBoost model (a .json or .ubj file)", "dev.sluice:sluice-xgboost"),
        /** Any other file: an ONNX model, served by {@code sluice-gpu}. */
        ONNX("dev.sluice.onnx.OnnxModel", "an ONNX model (any file but .json or .ubj)", "dev.sluice:sluice-gpu");

        final String modelClass;
        final String what;
        final String artifact;

        Kind(String modelClass, String what, String artifact) {
            this.modelClass = modelClass;
            this.what = what;
            this.artifact = artifact;
        }

        static Kind of(String path) {
            String name = path == null ? "" : path.toLowerCase(Locale.ROOT);
            return name.endsWith(".json") || name.endsWith(".ubj") ? XGBOOST : ONNX;
        }
    }

    private PropertySettings() {}

    /** The model file {@code value} names, which must be a readable file. */
    static Path modelFile(String property, String value) {
        if (value == null || value.isBlank()) {
            throw new InvalidConfigurationPropertyValueException(property, value,
                    "the path of the model file is required (.onnx, or .json or .ubj for XGBoost)");
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

    /** Sets the replicas and resources the properties give on {@code d}. */
    static void placement(String prefix, SluiceProperties.Model m, Deployment.Builder<?, ?> d) {
        set(prefix + "min-replicas", m.getMinReplicas() + ".." + m.getMaxReplicas(),
                () -> d.replicas(m.getMinReplicas(), m.getMaxReplicas()));
        set(prefix + "cpus", m.getCpus(), () -> d.resources(r -> r.cpus(m.getCpus())));
        set(prefix + "gpus", m.getGpus(), () -> d.resources(r -> r.cpus(m.getCpus()).gpus(m.getGpus())));
    }

    /** The batching settings the properties give; each setter checks its value, named by its property. */
    static Batching batching(String prefix, SluiceProperties.Model m) {
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
        Duration maxQueueDelay = m.getMaxQueueDelay();
        if (maxQueueDelay != null) {
            set(prefix + "max-queue-delay", maxQueueDelay, () -> {
                if (maxQueueDelay.isZero()) {
                    b.unboundedQueueDelay(); // 0: switched off
                } else {
                    b.maxQueueDelay(maxQueueDelay);
                }
            });
        }
        List<Integer> preferred = m.getPreferredBatchSizes();
        if (preferred != null && !preferred.isEmpty()) {
            if (preferred.contains(null)) {
                throw new InvalidConfigurationPropertyValueException(prefix + "preferred-batch-sizes", preferred,
                        "a size is missing");
            }
            set(prefix + "preferred-batch-sizes", preferred,
                    () -> b.preferredBatchSizes(preferred.stream().mapToInt(Integer::intValue).toArray()));
        }
        try {
            return b.build();
        } catch (IllegalArgumentException e) { // only a preferred size above max-batch-size gets this far
            throw new InvalidConfigurationPropertyValueException(prefix + "preferred-batch-sizes", preferred, e.getMessage());
        }
    }

    static void set(String property, Object value, Runnable setter) {
        try {
            setter.run();
        } catch (IllegalArgumentException e) {
            throw new InvalidConfigurationPropertyValueException(property, value, e.getMessage());
        }
    }
}
