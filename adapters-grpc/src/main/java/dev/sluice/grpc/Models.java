package dev.sluice.grpc;

import dev.sluice.Deployment;
import dev.sluice.DeploymentHandle;
import dev.sluice.Sluice;
import dev.sluice.SluiceStatus;
import dev.sluice.tensor.Tensor;
import dev.sluice.tensor.TensorSignature;
import io.grpc.Status;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * The protocol's models over a {@link Sluice} runtime, as the REST adapter sees them: every deployment that
 * declares a {@link TensorSignature} is a model; its one version is the deployment's version ({@code "1"}, one
 * more per update); it is ready while its deployment serves or can serve at once (serving, updating, scaled to
 * zero). Thread-safe: each question reads the runtime afresh.
 */
final class Models {
    static final String ONNX_PLATFORM = "onnx_onnxv1";
    static final String XGBOOST_PLATFORM = "xgboost";
    static final String JAVA_PLATFORM = "sluice_java";

    private final Function<String, Optional<DeploymentHandle<?, ?>>> deployments;
    private final Supplier<SluiceStatus> status;

    Models(Function<String, Optional<DeploymentHandle<?, ?>>> deployments, Supplier<SluiceStatus> status) {
        this.deployments = deployments;
        this.status = status;
    }

    /**
     * A model resolved from one read of what its deployment serves, so its signature, platform and version agree
     * even while an update swaps them.
     */
    record Model(String name, String version, String platform, TensorSignature signature,
            DeploymentHandle<Map<String, Tensor>, Map<String, Tensor>> handle) {}

    /**
     * The model named {@code name} in {@code version} ("" for the one served).
     *
     * @throws io.grpc.StatusRuntimeException NOT_FOUND naming what is unknown, INVALID_ARGUMENT for no name
     */
    @SuppressWarnings("unchecked")
    Model find(String name, String version) {
        if (name.isEmpty()) {
            throw Status.INVALID_ARGUMENT.withDescription("the request names no model").asRuntimeException();
        }
        DeploymentHandle<?, ?> handle = deployments.apply(name).orElse(null);
        DeploymentHandle.Serving<?, ?> serving = handle == null ? null : handle.serving();
        TensorSignature signature = serving == null ? null : serving.deployment().signature().orElse(null);
        if (signature == null) {
            throw Status.NOT_FOUND.withDescription("no model named '" + name + "'").asRuntimeException();
        }
        String served = Integer.toString(serving.version());
        if (!version.isEmpty() && !version.equals(served)) {
            throw Status.NOT_FOUND.withDescription("model '" + name + "' has no version '" + version
                    + "'; it serves version " + served).asRuntimeException();
        }
        return new Model(name, served, platform(serving.deployment()), signature,
                (DeploymentHandle<Map<String, Tensor>, Map<String, Tensor>>) handle);
    }

    /** Whether {@code name} (the version served) is ready; empty when there is no such model. */
    Optional<Boolean> ready(String name) {
        Model m;
        try {
            m = find(name, "");
        } catch (RuntimeException e) {
            return Optional.empty();
        }
        return Optional.of(ready(m));
    }

    boolean ready(Model m) {
        return ready(m.handle().status());
    }

    /** Whether every model is ready. */
    boolean allReady() {
        for (SluiceStatus.DeploymentStatus d : status.get().deployments()) {
            boolean model = deployments.apply(d.name()).map(h -> h.deployment().signature().isPresent()).orElse(false);
            if (model && !ready(d)) {
                return false;
            }
        }
        return true;
    }

    private static boolean ready(SluiceStatus.DeploymentStatus d) {
        return switch (d.state()) {
            case SERVING, UPDATING, SCALED_TO_ZERO -> true;
            case STARTING, WAITING_FOR_RESOURCES, NOT_STARTING, CLOSED -> false;
        };
    }

    /** The platform the REST adapter names: by the package of the model's factory. */
    private static String platform(Deployment<?, ?> deployment) {
        String factory = deployment.factory().getClass().getName();
        if (factory.startsWith("dev.sluice.onnx.")) {
            return ONNX_PLATFORM;
        }
        return factory.startsWith("dev.sluice.xgboost.") ? XGBOOST_PLATFORM : JAVA_PLATFORM;
    }
}
