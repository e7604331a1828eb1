package dev.sluice.internal;

import dev.sluice.Deployment;
import dev.sluice.DeploymentHandle;
import dev.sluice.Sluice;
import dev.sluice.SluiceStatus;
import dev.sluice.tensor.Tensor;
import dev.sluice.tensor.TensorSignature;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * Not API. The Open Inference Protocol's models over a {@link Sluice} runtime, as every protocol adapter (REST,
 * gRPC) sees them: each deployment that declares a {@link TensorSignature} is a model; its one version is the
 * deployment's version ({@code "1"}, one more per update); it is ready while its deployment serves or can serve at
 * once (serving, updating, scaled to zero). An adapter maps {@link UnknownModelException} to its own status.
 *
 * <p>Thread-safe: each question reads the runtime afresh.
 */
public final class ProtocolModels {
    /** Platform of a deployment whose model came from a file ONNX Runtime loads. */
    public static final String ONNX_PLATFORM = "onnx_onnxv1";
    /** Platform of a deployment whose model is an XGBoost model file (KServe's name for the format). */
    public static final String XGBOOST_PLATFORM = "xgboost";
    /** Platform of any other (plain Java) model. */
    public static final String JAVA_PLATFORM = "sluice_java";

    private final Function<String, Optional<DeploymentHandle<?, ?>>> deployments;
    private final Supplier<SluiceStatus> status;

    /**
     * @param deployments the deployment of a name, as {@link Sluice#deployment} answers
     * @param status the runtime's status, as {@link Sluice#status} answers
     */
    public ProtocolModels(Function<String, Optional<DeploymentHandle<?, ?>>> deployments,
            Supplier<SluiceStatus> status) {
        this.deployments = Objects.requireNonNull(deployments, "deployments");
        this.status = Objects.requireNonNull(status, "status");
    }

    /**
     * A model resolved from one read of what its deployment serves ({@link DeploymentHandle#serving()}), so its
     * signature, platform and version agree even while a hot swap replaces them.
     */
    public record Model(String name, String version, String platform, TensorSignature signature,
            DeploymentHandle<Map<String, Tensor>, Map<String, Tensor>> handle) {}

    /** There is no such model, or not in that version; the message says which. */
    public static final class UnknownModelException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        UnknownModelException(String message) {
            super(message, null, false, false);
        }
    }

    /**
     * The model named {@code name} in {@code version} (null or empty: the one served). A hot swap that drops the
     * signature makes the model unknown rather than failing here.
     *
     * @throws UnknownModelException naming the model, or the version asked and the one served
     */
    @SuppressWarnings("unchecked")
    public Model find(String name, String version) {
        DeploymentHandle<?, ?> handle = deployments.apply(name).orElse(null);
        DeploymentHandle.Serving<?, ?> serving = handle == null ? null : handle.serving();
        Deployment<?, ?> settings = serving == null ? null : serving.deployment();
        TensorSignature signature = settings == null ? null : settings.signature().orElse(null);
        if (signature == null) { // only tensor deployments speak the protocol
            throw new UnknownModelException("no model named '" + name + "'");
        }
        String served = Integer.toString(serving.version());
        if (version != null && !version.isEmpty() && !version.equals(served)) {
            throw new UnknownModelException("model '" + name + "' has no version '" + version
                    + "'; it serves version " + served);
        }
        return new Model(name, served, platform(settings), signature,
                (DeploymentHandle<Map<String, Tensor>, Map<String, Tensor>>) handle);
    }

    /** Whether the model named {@code name} (the version served) is ready; empty when there is no such model. */
    public Optional<Boolean> ready(String name) {
        Model m;
        try {
            m = find(name, null);
        } catch (UnknownModelException e) {
            return Optional.empty();
        }
        return Optional.of(ready(m));
    }

    /** Whether {@code m}'s deployment serves or can serve at once. */
    public boolean ready(Model m) {
        return ready(m.handle().status());
    }

    /** Whether every model is ready (deployments without a signature are not models and do not count). */
    public boolean allReady() {
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

    /**
     * ONNX for a model made by {@code OnnxModel}'s factory, XGBoost for one made by {@code XgboostModel}'s, else
     * plain Java: by the package of the model's factory.
     */
    private static String platform(Deployment<?, ?> settings) {
        String factory = settings.factory().getClass().getName();
        return factory.startsWith("dev.sluice.onnx.") ? ONNX_PLATFORM
                : factory.startsWith("dev.sluice.xgboost.") ? XGBOOST_PLATFORM : JAVA_PLATFORM;
    }
}
