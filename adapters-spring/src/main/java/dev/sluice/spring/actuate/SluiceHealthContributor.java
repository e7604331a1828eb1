package dev.sluice.spring.actuate;

import dev.sluice.DeploymentState;
import dev.sluice.ReplicaState;
import dev.sluice.Sluice;
import dev.sluice.SluiceStatus;
import java.util.stream.Stream;
import org.springframework.boot.health.contributor.CompositeHealthContributor;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthContributor;
import org.springframework.boot.health.contributor.HealthIndicator;

/**
 * One health indicator per deployment (under {@code sluice} in the health endpoint): UP while it has a running
 * replica (or may scale to zero), OUT_OF_SERVICE while its replicas start or wait for resources and once it is
 * closed, DOWN once it gave up starting them.
 * Deployments added after start-up appear as they come. Add {@code sluice} to the readiness group
 * ({@code management.endpoint.health.group.readiness.include=readinessState,sluice}) so a Kubernetes pod
 * takes traffic only once its models can serve it.
 */
public final class SluiceHealthContributor implements CompositeHealthContributor {
    private final Sluice sluice;

    public SluiceHealthContributor(Sluice sluice) {
        this.sluice = sluice;
    }

    @Override
    public HealthContributor getContributor(String name) {
        return sluice.deployment(name).isPresent() ? indicator(name) : null;
    }

    @Override
    public Stream<Entry> stream() {
        return sluice.status().deployments().stream().map(d -> new Entry(d.name(), indicator(d.name())));
    }

    private HealthIndicator indicator(String name) {
        return () -> sluice.deployment(name).map(h -> health(h.status()))
                .orElseGet(() -> Health.unknown().withDetail("reason", "no deployment named '" + name + "'").build());
    }

    static Health health(SluiceStatus.DeploymentStatus d) {
        int running = d.count(ReplicaState.RUNNING);
        // A deployment allowed to scale to zero serves from zero replicas: its first request starts one.
        Health.Builder h = d.state() == DeploymentState.NOT_STARTING ? Health.down()
                : running > 0 || (d.minReplicas() == 0 && d.state() != DeploymentState.CLOSED) ? Health.up()
                : Health.outOfService();
        h.withDetail("version", d.version()).withDetail("state", d.state()).withDetail("stateDetail", d.stateDetail())
                .withDetail("running", running)
                .withDetail("target", d.targetReplicas()).withDetail("queueDepth", d.queueDepth());
        if (d.startFailure() != null) {
            h.withDetail("startFailure", d.startFailure().toString());
        }
        return h.build();
    }
}
