package dev.sluice.grpc;

import static dev.sluice.batching.Eventually.eventually;
import static dev.sluice.grpc.GrpcHarness.T;
import static dev.sluice.grpc.ProtocolTest.doubling;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.sluice.DeploymentHandle;
import dev.sluice.batching.BatchObserver;
import dev.sluice.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Requests of several gRPC clients (connections) wait together and share one batch; each gets its own output. */
class BatchingTest {
    private final Gate gate = new Gate();
    private final List<Integer> batchSizes = TestModels.recorder();
    private GrpcHarness h;

    @AfterEach
    void stop() {
        gate.open();
        h.close();
    }

    @Test
    void requestsOfSeveralClientsShareABatch() throws Exception {
        h = GrpcHarness.start();
        BatchObserver sizes = new BatchObserver() {
            @Override
            public void onBatch(String batcher, int size, long[] queueWaitNanos, long executionNanos, Throwable f) {
                batchSizes.add(size);
            }
        };
        DeploymentHandle<Map<String, Tensor>, Map<String, Tensor>> d =
                h.deploy(TestModels.doubler("doubler", gate, TestModels.recorder(), 64, sizes));
        List<OipGrpcClient> clients = new ArrayList<>();
        List<CompletableFuture<InferResult>> calls = new ArrayList<>();
        try {
            for (int i = 0; i < 4; i++) {
                clients.add(OipGrpcClient.connect("127.0.0.1:" + h.server.port()));
            }
            gate.close();
            calls.add(clients.get(0).inferAsync(doubling(1).build(), T));
            gate.awaitBatch(); // the first request holds the only replica
            for (int i = 2; i <= 5; i++) {
                calls.add(clients.get(i % 4).inferAsync(doubling(i).rawContents(i % 2 == 0).build(), T));
            }
            eventually("four clients' requests wait together", () -> d.status().queueDepth() == 4);
            gate.open();
            for (int i = 1; i <= 5; i++) {
                assertArrayEquals(new float[] {2f * i, 0, 0, 0}, calls.get(i - 1).get().output("y").toFloatArray());
            }
            assertEquals(List.of(1, 4), batchSizes);
        } finally {
            gate.open();
            clients.forEach(OipGrpcClient::close);
        }
    }
}
