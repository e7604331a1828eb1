package dev.sluice.spring;

import dev.sluice.Deployment;
import dev.sluice.DeploymentHandle;
import dev.sluice.Sluice;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.context.properties.source.InvalidConfigurationPropertyValueException;
import org.springframework.util.ClassUtils;

/**
 * The deployments the starter made at start-up: every {@link Deployment} bean of the application and every
 * model declared under {@code sluice.models.*}, deployed on the {@link Sluice} bean when this bean is created.
 * A deployment that cannot be made (a bad property, a model that does not load, two deployments of one name)
 * stops start-up. Their handles are also reachable as {@code sluice.deployment(name)}.
 *
 * <p>Closing the application closes the {@code Sluice} bean, which drains every deployment.
 */
public final class SluiceDeployments {
    private static final Logger LOG = LoggerFactory.getLogger(SluiceDeployments.class);

    private final Map<String, DeploymentHandle<?, ?>> handles;

    SluiceDeployments(Sluice sluice, List<Deployment<?, ?>> beans, SluiceProperties properties, ClassLoader loader) {
        Map<String, Deployment<?, ?>> all = new LinkedHashMap<>();
        for (Deployment<?, ?> d : beans) {
            if (all.put(d.name(), d) != null) {
                throw new IllegalStateException("Two Deployment beans are named '" + d.name()
                        + "'; deployment names must be unique");
            }
        }
        for (Map.Entry<String, SluiceProperties.Model> e : properties.getModels().entrySet()) {
            String path = PropertySettings.PREFIX + e.getKey() + ".path";
            PropertySettings.Kind kind = PropertySettings.Kind.of(e.getValue().getPath());
            if (!ClassUtils.isPresent(kind.modelClass, loader)) {
                throw new InvalidConfigurationPropertyValueException(path, e.getValue().getPath(),
                        "this is " + kind.what + ", which needs " + kind.artifact + " on the class path");
            }
            if (all.containsKey(e.getKey())) {
                throw new InvalidConfigurationPropertyValueException(path, e.getValue().getPath(),
                        "a Deployment bean is already named '" + e.getKey() + "'");
            }
            // Each runtime's classes are touched only by its own class, loaded only here, once it is known present.
            all.put(e.getKey(), kind == PropertySettings.Kind.XGBOOST
                    ? XgboostPropertyModels.deployment(e.getKey(), e.getValue())
                    : PropertyModels.deployment(e.getKey(), e.getValue()));
        }
        Map<String, DeploymentHandle<?, ?>> deployed = new LinkedHashMap<>();
        for (Deployment<?, ?> d : all.values()) {
            try {
                deployed.put(d.name(), sluice.deploy(d));
            } catch (IllegalArgumentException e) {
                String where = properties.getModels().containsKey(d.name())
                        ? PropertySettings.PREFIX + d.name() : "Deployment bean '" + d.name() + "'";
                throw new IllegalStateException(where + " cannot be deployed: " + e.getMessage(), e);
            }
            LOG.info("Deployed '{}' ({})", d.name(), d);
        }
        this.handles = Collections.unmodifiableMap(deployed);
    }

    /** Handles by deployment name, in the order they were deployed. */
    public Map<String, DeploymentHandle<?, ?>> handles() {
        return handles;
    }

    /** The handle of the deployment named {@code name}, if the starter deployed it. */
    public Optional<DeploymentHandle<?, ?>> handle(String name) {
        return Optional.ofNullable(handles.get(name));
    }
}
