package dev.sluice.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.DeploymentHandle;
import dev.sluice.Resources;
import dev.sluice.Sluice;
import dev.sluice.grpc.OipGrpcClient;
import dev.sluice.grpc.SluiceGrpcServer;
import dev.sluice.tensor.Tensor;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The worker program's options, its counts and the lines its parent reads, in this JVM (ClusterTest runs it in others). */
class ClusterWorkerTest {

    @Test
    void optionsHaveTheirDefaultsAndABadValueIsRefusedByName() {
        ClusterWorker.Options o = ClusterWorker.Options.parse(new String[0]);
        assertEquals("127.0.0.1", o.address);
        assertEquals(0, o.port);
        assertEquals(Duration.ofNanos(22_000_000), o.batchCost(8));
        ClusterWorker.Options slow = ClusterWorker.Options.parse(new String[] {"--slowdown", "3", "--cost-ms", "10"});
        assertEquals(Duration.ofNanos(3 * 12_000_000), slow.batchCost(8));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ClusterWorker.Options.parse(new String[] {"--slowdown", "0"}));
        assertTrue(e.getMessage().contains("--slowdown"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> ClusterWorker.Options.parse(new String[] {"--port", "70000"}));
        assertTrue(e.getMessage().contains("--port"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> ClusterWorker.Options.parse(new String[] {"--speed", "2"}));
        assertTrue(e.getMessage().contains("--speed"), e.getMessage());
    }

    @Test
    void theLinesItPrintsAreTheOnesItsParentReads() {
        ClusterWorker.Counts counts = new ClusterWorker.Counts();
        counts.completed.add(5);
        counts.failed.add(1);
        counts.cancelled.add(2);
        counts.refused.add(3);
        assertEquals(new ClusterWorker.ExitCounts(8, 5, 1, 2, 3), ClusterWorker.ExitCounts.parse(counts.exitLine()));
        assertNull(ClusterWorker.ExitCounts.parse("sluice-worker exit admitted=1"));
        assertEquals("127.0.1.7:4711", ClusterWorker.servingAddress("sluice-worker serving 127.0.1.7:4711"));
        assertNull(ClusterWorker.servingAddress("[main] INFO something else"));
    }

    @Test
    void itCountsTheCallsItsInferenceServiceAnswered() throws Exception {
        ClusterWorker.Options o = ClusterWorker.Options.parse(new String[] {"--cost-ms", "1", "--per-item-ms", "0"});
        ClusterWorker.Counts counts = new ClusterWorker.Counts();
        try (Sluice sluice = Sluice.builder().resources(Resources.builder().cpus(1).build()).build()) {
            DeploymentHandle<Map<String, Tensor>, Map<String, Tensor>> h = sluice.deploy(ClusterWorker.deployment(o));
            h.awaitReady(Duration.ofSeconds(10));
            try (SluiceGrpcServer server = SluiceGrpcServer.builder(sluice)
                    .address(new InetSocketAddress("127.0.1.20", 0)).intercept(counts).start();
                    OipGrpcClient client = OipGrpcClient.connect("127.0.1.20:" + server.port())) {
                for (int i = 1; i <= 3; i++) {
                    Map<String, Tensor> y = client.infer(ClusterWorker.DEFAULT_MODEL,
                            ClusterLoad.input(i).values(), Duration.ofSeconds(10));
                    assertEquals(i, ClusterLoad.marker(y));
                }
                assertTrue(client.modelReady(ClusterWorker.DEFAULT_MODEL, "", Duration.ofSeconds(10))); // not a ModelInfer call: not counted
            }
        }
        assertEquals(new ClusterWorker.ExitCounts(3, 3, 0, 0, 0), ClusterWorker.ExitCounts.parse(counts.exitLine()));
    }

    @Test
    void theBenchmarksKillRunDefaultsToWhatTheWorkersButOneCanCarry() {
        ClusterBenchmark.Options o = ClusterBenchmark.Options.parse(new String[0]);
        assertEquals(3, o.workers);
        assertEquals(8 * 1000 / 22.0, o.workerCapacity(), 1e-9);
        assertEquals(0.6 * 2 * o.workerCapacity(), o.rate, 1e-9);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ClusterBenchmark.Options.parse(new String[] {"--workers", "1"}));
        assertTrue(e.getMessage().contains("--workers"), e.getMessage());
    }
}
