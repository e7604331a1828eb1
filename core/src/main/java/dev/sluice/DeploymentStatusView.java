package dev.sluice;

import java.util.ArrayList;
import java.util.List;

/** Makes a deployment's status snapshot, and decides its {@link DeploymentState}. Used under the runtime's lock. */
final class DeploymentStatusView {
    private DeploymentStatusView() {}

    static <I, O> SluiceStatus.DeploymentStatus of(String name, Generations<I, O> gens, boolean closed,
            boolean undeploying, Autoscaler.Decision decision) {
        Generation<I, O> g = gens.current();
        Generation<I, O> next = gens.next();
        List<SluiceStatus.ReplicaStatus> replicas = new ArrayList<>();
        for (Generation<I, O> each : gens.all()) {
            for (Replica<I, O> r : each.replicas) {
                replicas.add(r.status());
            }
        }
        DeploymentState state;
        String detail;
        if (closed) {
            state = DeploymentState.CLOSED;
            detail = undeploying ? "undeployed" : "the runtime closed";
        } else if (g.givenUp() && g.live() == 0) {
            state = DeploymentState.NOT_STARTING;
            detail = "the model factory failed " + g.startFailures + " time(s) in a row, last with " + g.lastStartError;
        } else if (next != null) {
            state = DeploymentState.UPDATING;
            detail = next.running() + " of " + next.target + " replica(s) of v" + next.version + " running";
        } else if (g.running() > 0) {
            state = DeploymentState.SERVING;
            detail = g.running() + " replica(s) running";
        } else if (g.target == 0) {
            state = DeploymentState.SCALED_TO_ZERO;
            detail = "no load: the first request starts a replica";
        } else if (g.waitingForResources()) {
            state = DeploymentState.WAITING_FOR_RESOURCES;
            String why = g.replicas.stream().filter(r -> r.state == Replica.State.PENDING && r.pendingReason != null)
                    .map(r -> r.pendingReason).findFirst().orElse("not placed yet");
            detail = g.count(Replica.State.PENDING) + " replica(s) waiting for resources: " + why;
        } else {
            state = DeploymentState.STARTING;
            long starting = g.count(Replica.State.STARTING);
            detail = starting > 0 ? starting + " replica(s) starting" : "its replicas are made at the next control pass";
        }
        SluiceStatus.StartFailure failure = next != null && next.lastStartFailure != null ? next.lastStartFailure
                : g.lastStartFailure;
        return new SluiceStatus.DeploymentStatus(name, g.version, state, next == null || closed ? null : next.version,
                detail, g.config.minReplicas(), g.config.maxReplicas(), g.target, g.batcher.queueDepth(),
                decision.action(), decision.reason(), replicas, failure, g.batcher.costCurve(),
                g.batcher.queueDelay());
    }
}
