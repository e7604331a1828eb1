package dev.sluice.spring.actuate;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.sluice.AutoscalerAction;
import dev.sluice.DeploymentState;
import dev.sluice.ReplicaState;
import dev.sluice.SluiceStatus;
import dev.sluice.batching.CostCurve;
import dev.sluice.batching.QueueDelayStatus;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.springframework.boot.health.contributor.Status;

class SluiceHealthContributorTest {
    private static SluiceStatus.ReplicaStatus replica(ReplicaState state) {
        return new SluiceStatus.ReplicaStatus("m#1", 1, state, null, null, 0, 0, 0, null);
    }

    private static SluiceStatus.DeploymentStatus deployment(DeploymentState state, int min,
            List<SluiceStatus.ReplicaStatus> rs, SluiceStatus.StartFailure failure) {
        return new SluiceStatus.DeploymentStatus("m", 1, state, null, "", min, 2, 1, 0, AutoscalerAction.HOLD, "", rs,
                failure, new CostCurve(List.of(), 32), new QueueDelayStatus(true, -1, -1, 0));
    }

    @Test
    void readinessFollowsTheReplicas() {
        assertEquals(Status.UP, SluiceHealthContributor.health(deployment(DeploymentState.SERVING, 1,
                List.of(replica(ReplicaState.RUNNING), replica(ReplicaState.STARTING)), null)).getStatus());
        assertEquals(Status.OUT_OF_SERVICE, SluiceHealthContributor.health(deployment(DeploymentState.STARTING, 1,
                List.of(replica(ReplicaState.STARTING)), null)).getStatus());
        assertEquals(Status.OUT_OF_SERVICE, SluiceHealthContributor.health(deployment(DeploymentState.WAITING_FOR_RESOURCES,
                1, List.of(replica(ReplicaState.PENDING)), null)).getStatus(), "waiting for resources");
        SluiceStatus.StartFailure failed = new SluiceStatus.StartFailure("m#3", 3, "IOException: no model", "...");
        var down = SluiceHealthContributor.health(deployment(DeploymentState.NOT_STARTING, 1, List.of(), failed));
        assertEquals(Status.DOWN, down.getStatus());
        assertEquals(failed.toString(), down.getDetails().get("startFailure"));
        assertEquals(Status.UP, SluiceHealthContributor.health(deployment(DeploymentState.SERVING, 0, List.of(), null)).getStatus(),
                "allowed to scale to zero: its first request starts a replica");
        assertEquals(Status.OUT_OF_SERVICE, SluiceHealthContributor.health(deployment(DeploymentState.CLOSED, 0, List.of(), null))
                .getStatus());
    }
}
