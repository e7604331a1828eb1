package dev.sluice.grpc;

import static dev.sluice.batching.Eventually.eventually;
import static dev.sluice.grpc.RemoteCluster.T;
import static dev.sluice.grpc.RemoteCluster.input;
import static dev.sluice.grpc.RemoteCluster.marker;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.sluice.ReplicaState;
import dev.sluice.SluiceStatus;
import dev.sluice.tensor.Tensor;
import java.net.InetAddress;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A {@code dns:///} target through grpc-java's own DNS resolver: the name {@code rec-workers.sluice.test} has three
 * addresses in this JVM's hosts file ({@code src/test/resources/dns-target-hosts}, given as
 * {@code -Djdk.net.hosts.file} by the build's {@code dns-target} test execution), as a Kubernetes headless Service
 * has one per pod. Run by that execution only.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class DnsTargetTest {
    private static final String NAME = "rec-workers.sluice.test";

    @Test
    void aDnsTargetReachesEveryAddressOfTheName() throws Exception {
        // Selected by -Dtest, the default execution (no hosts file) runs it too: it belongs to the other one.
        assumeTrue(System.getProperty("jdk.net.hosts.file") != null, "run by the dns-target execution");
        assertEquals(List.of("127.0.0.2", "127.0.0.3", "127.0.0.4"), Arrays.stream(InetAddress.getAllByName(NAME))
                .map(InetAddress::getHostAddress).sorted().toList(), "the hosts file is not in use");
        try (RemoteCluster cluster = RemoteCluster.startOnOnePort(3);
                RemoteDeployment remote = RemoteDeployment.builder("remote-doubler").model(RemoteCluster.MODEL)
                        .target("dns:///" + NAME + ":" + cluster.node(0).server.port()).timeout(T).build()) {
            remote.awaitReady(T);
            eventually("three servers connected", () -> remote.status().replicas().stream()
                    .filter(r -> r.state() == ReplicaState.RUNNING).count() == 3);
            assertEquals(cluster.addresses(), remote.status().replicas().stream()
                    .map(SluiceStatus.ReplicaStatus::placement).sorted().toList());

            cluster.nodes.forEach(n -> n.gate.close());
            CompletableFuture<Map<String, Tensor>> first = remote.submit(input(1));
            eventually("a model holds the first", () -> cluster.nodes.stream().anyMatch(n -> n.gate.reached()));
            CompletableFuture<Map<String, Tensor>> second = remote.submit(input(2));
            // The second goes to a server without a call in flight: another one.
            eventually("two servers hold one each",
                    () -> cluster.nodes.stream().filter(n -> n.gate.reached()).count() == 2);
            cluster.nodes.forEach(n -> n.gate.open());
            assertEquals(1, marker(first.get(10, TimeUnit.SECONDS)));
            assertEquals(2, marker(second.get(10, TimeUnit.SECONDS)));
            assertTrue(cluster.nodes.stream().allMatch(n -> n.seen.size() <= 1));
        }
    }
}
