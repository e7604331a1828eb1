package dev.sluice.examples.ocr;

import dev.sluice.ReplicaState;
import dev.sluice.SluiceStatus;
import dev.sluice.grpc.RemoteDeployment;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;

/**
 * The models a process of the OCR service calls on other servers ({@code sluice.ocr.remote.*}, {@link OcrLayout}):
 * one {@link RemoteDeployment} each, connecting from the start. Its health (the {@code remoteModels} contributor, in
 * the readiness group) is UP while every remote model has a server connected whose gRPC health service says the
 * model is SERVING, and OUT_OF_SERVICE otherwise, with each model's target, servers and why those not taking calls
 * do not. With no remote models it is UP. Closing it closes the deployments. Thread-safe.
 */
final class RemoteModels implements HealthIndicator, AutoCloseable {
    private final Map<String, RemoteDeployment> deployments;

    RemoteModels(Map<String, String> targets) {
        Map<String, RemoteDeployment> made = new LinkedHashMap<>();
        try {
            for (Map.Entry<String, String> e : targets.entrySet()) {
                made.put(e.getKey(), deployment(e.getKey(), e.getValue()));
            }
        } catch (RuntimeException e) {
            made.values().forEach(RemoteDeployment::close);
            throw e;
        }
        this.deployments = java.util.Collections.unmodifiableMap(made);
    }

    /**
     * A target with a scheme ({@code dns:///rec-workers:8081}) is resolved by grpc-java, again as servers come and go;
     * otherwise the value is a list of {@code host:port} separated by commas.
     */
    private static RemoteDeployment deployment(String model, String target) {
        RemoteDeployment.Builder b = RemoteDeployment.builder(model)
                // An idle channel closes its connections (after 30 minutes by default), and its servers then count
                // as unknown: kept connected, the health below says whether they are reachable now.
                .channel(c -> c.idleTimeout(31, TimeUnit.DAYS));
        try {
            if (target.contains(":/")) {
                b.target(target);
            } else {
                b.addresses(Arrays.stream(target.split(",")).map(String::strip).filter(s -> !s.isEmpty()).toList());
            }
        } catch (IllegalArgumentException e) {
            throw new OcrConfigException(OcrLayout.REMOTE + "." + model + ": '" + target + "' is neither a gRPC target"
                    + " (dns:///name:port) nor host:port addresses separated by commas: " + e.getMessage());
        }
        return b.build();
    }

    /** The remote deployment of {@code model}, or null when it is not remote. */
    RemoteDeployment get(String model) {
        return deployments.get(model);
    }

    Map<String, RemoteDeployment> all() {
        return deployments;
    }

    @Override
    public Health health() {
        if (deployments.isEmpty()) {
            return Health.up().withDetail("remote", "none: every model this process uses is deployed here").build();
        }
        List<String> unreachable = new ArrayList<>();
        Map<String, Object> models = new LinkedHashMap<>();
        for (Map.Entry<String, RemoteDeployment> e : deployments.entrySet()) {
            SluiceStatus.DeploymentStatus s = e.getValue().status();
            int running = s.count(ReplicaState.RUNNING);
            if (running == 0) {
                unreachable.add(e.getKey());
            }
            List<Map<String, Object>> servers = new ArrayList<>();
            for (SluiceStatus.ReplicaStatus r : s.replicas()) {
                Map<String, Object> server = new LinkedHashMap<>();
                server.put("address", r.placement());
                server.put("state", r.state());
                if (r.pendingReason() != null) {
                    server.put("reason", r.pendingReason());
                }
                server.put("inFlight", r.inFlight());
                servers.add(server);
            }
            Map<String, Object> model = new LinkedHashMap<>();
            model.put("target", e.getValue().target());
            model.put("state", s.state());
            model.put("detail", s.stateDetail());
            model.put("serving", running);
            model.put("servers", servers);
            models.put(e.getKey(), model);
        }
        Health.Builder h = unreachable.isEmpty() ? Health.up() : Health.outOfService()
                .withDetail("unreachable", unreachable);
        return h.withDetail("models", models).build();
    }

    @Override
    public void close() {
        deployments.values().forEach(RemoteDeployment::close);
    }

    @Override
    public String toString() {
        return "RemoteModels" + deployments.values();
    }
}
