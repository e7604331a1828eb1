package dev.sluice.deploy;

import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscalerBehavior;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * KEDA's {@code ScaledObject} ({@code keda.sh/v1alpha1}) as a schema, written from the fields of KEDA's CRD and the
 * Prometheus scaler's documented parameters (facts, not KEDA's files): read with unknown fields failing, each record
 * checks what the CRD requires and what KEDA refuses at admission. Only the Prometheus trigger's metadata is checked
 * key by key; other trigger types are refused, since nothing here uses them.
 */
record KedaScaledObject(String apiVersion, String kind, ObjectMeta metadata, Spec spec) {

    KedaScaledObject {
        Schema.require(metadata != null && metadata.getName() != null, "metadata.name");
        Schema.require(spec != null, "spec");
    }

    record Spec(ScaleTargetRef scaleTargetRef, Integer pollingInterval, Integer cooldownPeriod,
            Integer initialCooldownPeriod, Integer idleReplicaCount, Integer minReplicaCount, Integer maxReplicaCount,
            Fallback fallback, Advanced advanced, List<Trigger> triggers) {
        Spec {
            Schema.require(scaleTargetRef != null, "spec.scaleTargetRef");
            Schema.require(triggers != null && !triggers.isEmpty(), "spec.triggers (at least one)");
            Schema.check(pollingInterval == null || pollingInterval > 0, "spec.pollingInterval must be positive");
            Schema.check(cooldownPeriod == null || cooldownPeriod >= 0, "spec.cooldownPeriod must not be negative");
            Schema.check(minReplicaCount == null || minReplicaCount >= 0, "spec.minReplicaCount must not be negative");
            Schema.check(maxReplicaCount == null || maxReplicaCount >= 1, "spec.maxReplicaCount must be at least 1");
            Schema.check(minReplicaCount == null || maxReplicaCount == null || minReplicaCount <= maxReplicaCount,
                    "spec.minReplicaCount (" + minReplicaCount + ") exceeds spec.maxReplicaCount (" + maxReplicaCount + ")");
            Schema.check(idleReplicaCount == null || minReplicaCount == null || idleReplicaCount < minReplicaCount,
                    "spec.idleReplicaCount must be below spec.minReplicaCount");
            // KEDA's fallback replaces an AverageValue metric only: with any other type it refuses the object.
            Schema.check(fallback == null || triggers.stream().allMatch(t -> "AverageValue".equals(t.effectiveMetricType())),
                    "spec.fallback needs every trigger's metricType to be AverageValue");
        }
    }

    record ScaleTargetRef(String apiVersion, String kind, String name, String envSourceContainerName) {
        ScaleTargetRef {
            Schema.require(name != null && !name.isBlank(), "spec.scaleTargetRef.name");
        }
    }

    record Fallback(Integer failureThreshold, Integer replicas, String behavior) {
        Fallback {
            Schema.require(failureThreshold != null && failureThreshold >= 1, "spec.fallback.failureThreshold (>= 1)");
            Schema.require(replicas != null && replicas >= 0, "spec.fallback.replicas (>= 0)");
            Schema.check(behavior == null || Set.of("static", "currentReplicas", "currentReplicasIfHigher",
                    "currentReplicasIfLower").contains(behavior), "spec.fallback.behavior '" + behavior + "' is unknown");
        }
    }

    record Advanced(Boolean restoreToOriginalReplicaCount, HpaConfig horizontalPodAutoscalerConfig,
            ScalingModifiers scalingModifiers) {
    }

    record HpaConfig(String name, HorizontalPodAutoscalerBehavior behavior) {
    }

    record ScalingModifiers(String formula, String target, String activationTarget, String metricType) {
    }

    record AuthenticationRef(String name, String kind) {
        AuthenticationRef {
            Schema.require(name != null, "authenticationRef.name");
        }
    }

    /** The Prometheus scaler's metadata keys (KEDA 2.x's documentation); its values are strings in the CRD. */
    static final Set<String> PROMETHEUS_KEYS = Set.of("serverAddress", "query", "threshold", "activationThreshold",
            "namespace", "customHeaders", "ignoreNullValues", "queryParameters", "unsafeSsl", "timeout", "authModes");

    record Trigger(String type, String name, Map<String, Object> metadata, String metricType,
            Boolean useCachedMetrics, AuthenticationRef authenticationRef) {
        Trigger {
            Schema.require(type != null, "spec.triggers[].type");
            Schema.require(metadata != null, "spec.triggers[].metadata");
            Schema.check("prometheus".equals(type), "trigger type '" + type + "': only prometheus is checked here");
            Schema.check(metricType == null || Set.of("AverageValue", "Value", "Utilization").contains(metricType),
                    "trigger metricType '" + metricType + "' is none of AverageValue, Value, Utilization");
            Schema.check(!"Utilization".equals(metricType), "metricType Utilization is for cpu and memory triggers only");
            for (Map.Entry<String, Object> e : metadata.entrySet()) {
                Schema.check(PROMETHEUS_KEYS.contains(e.getKey()),
                        "prometheus trigger metadata '" + e.getKey() + "' is none of " + PROMETHEUS_KEYS);
                Schema.check(e.getValue() instanceof String, "prometheus trigger metadata '" + e.getKey()
                        + "' must be a string (quote it): the CRD's metadata is a map of strings");
            }
            for (String key : List.of("serverAddress", "query", "threshold")) {
                Schema.require(metadata.get(key) instanceof String s && !s.isBlank(), "prometheus trigger metadata." + key);
            }
            Schema.check(Schema.positiveNumber((String) metadata.get("threshold")),
                    "prometheus trigger threshold '" + metadata.get("threshold") + "' is not a positive number");
            Schema.check(((String) metadata.get("serverAddress")).matches("https?://[^/\\s]+(/\\S*)?"),
                    "prometheus trigger serverAddress '" + metadata.get("serverAddress") + "' is not an http(s) URL");
        }

        String effectiveMetricType() {
            return metricType == null ? "AverageValue" : metricType;
        }

        String query() {
            return (String) metadata.get("query");
        }

        double threshold() {
            return Double.parseDouble((String) metadata.get("threshold"));
        }
    }
}
