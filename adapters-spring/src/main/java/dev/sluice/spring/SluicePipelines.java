package dev.sluice.spring;

import dev.sluice.pipeline.Pipeline;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The application's {@link Pipeline} beans, by pipeline name: what typed HTTP endpoints will serve. Two
 * pipelines of one name stop start-up.
 */
public final class SluicePipelines {
    private final Map<String, Pipeline<?, ?>> pipelines;

    SluicePipelines(List<Pipeline<?, ?>> beans) {
        Map<String, Pipeline<?, ?>> byName = new LinkedHashMap<>();
        for (Pipeline<?, ?> p : beans) {
            if (byName.put(p.name(), p) != null) {
                throw new IllegalStateException("Two Pipeline beans are named '" + p.name()
                        + "'; pipeline names must be unique");
            }
        }
        this.pipelines = Collections.unmodifiableMap(byName);
    }

    /** Every pipeline by name, in bean order. */
    public Map<String, Pipeline<?, ?>> all() {
        return pipelines;
    }

    /** The pipeline named {@code name}, if there is one. */
    public Optional<Pipeline<?, ?>> get(String name) {
        return Optional.ofNullable(pipelines.get(name));
    }
}
