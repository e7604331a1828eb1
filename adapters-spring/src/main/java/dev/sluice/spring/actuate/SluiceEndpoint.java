package dev.sluice.spring.actuate;

import dev.sluice.Sluice;
import dev.sluice.SluiceStatus;
import org.springframework.boot.actuate.endpoint.annotation.Endpoint;
import org.springframework.boot.actuate.endpoint.annotation.ReadOperation;
import org.springframework.boot.actuate.endpoint.annotation.Selector;

/**
 * The read-only actuator endpoint {@code sluice}: the runtime's status snapshot (resources, deployments,
 * replicas and their placement, queues, the autoscaler's last decision and why), or one deployment's part
 * of it at {@code /actuator/sluice/{name}}. Nothing here changes the runtime.
 */
@Endpoint(id = "sluice")
public class SluiceEndpoint {
    private final Sluice sluice;

    public SluiceEndpoint(Sluice sluice) {
        this.sluice = sluice;
    }

    @ReadOperation
    public SluiceStatus status() {
        return sluice.status();
    }

    /** One deployment's status, or null (404) for an unknown name. */
    @ReadOperation
    public SluiceStatus.DeploymentStatus deployment(@Selector String name) {
        return sluice.deployment(name).map(h -> h.status()).orElse(null);
    }
}
