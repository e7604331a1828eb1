package dev.sluice.grpc;

import dev.sluice.DeploymentHandle;
import dev.sluice.Sluice;
import dev.sluice.SluiceStatus;
import dev.sluice.internal.ProtocolModels;
import dev.sluice.internal.ProtocolModels.Model;
import io.grpc.Status;
import java.util.Optional;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * The protocol's models over a {@link Sluice} runtime, by the rules the REST adapter shares
 * ({@link ProtocolModels}), with a lookup failure as a gRPC status. Thread-safe: each question reads the runtime
 * afresh.
 */
final class Models {
    private final ProtocolModels models;

    Models(Function<String, Optional<DeploymentHandle<?, ?>>> deployments, Supplier<SluiceStatus> status) {
        this.models = new ProtocolModels(deployments, status);
    }

    /**
     * The model named {@code name} in {@code version} ("" for the one served).
     *
     * @throws io.grpc.StatusRuntimeException NOT_FOUND naming what is unknown, INVALID_ARGUMENT for no name
     */
    Model find(String name, String version) {
        if (name.isEmpty()) {
            throw Status.INVALID_ARGUMENT.withDescription("the request names no model").asRuntimeException();
        }
        try {
            return models.find(name, version);
        } catch (ProtocolModels.UnknownModelException e) {
            throw Status.NOT_FOUND.withDescription(e.getMessage()).asRuntimeException();
        }
    }

    /** Whether {@code name} (the version served) is ready; empty when there is no such model. */
    Optional<Boolean> ready(String name) {
        return name.isEmpty() ? Optional.empty() : models.ready(name);
    }

    boolean ready(Model m) {
        return models.ready(m);
    }

    /** Whether every model is ready. */
    boolean allReady() {
        return models.allReady();
    }
}
