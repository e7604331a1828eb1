package dev.sluice.bench;

import dev.sluice.grpc.OipGrpcClient;
import dev.sluice.tensor.Tensor;
import java.time.Duration;
import java.util.Map;

/**
 * The Open Inference Protocol over gRPC: one {@link OipGrpcClient} (one channel, its calls multiplexed on one HTTP/2
 * connection) shared by every client thread, as an application would hold it. Tensors travel as raw bytes
 * ({@code raw_input_contents}, {@code raw_output_contents}). Thread-safe.
 */
final class GrpcTransport implements Transport {
    private final OipGrpcClient client;
    private final Duration timeout;

    /** @param target the server's {@code host:port} */
    GrpcTransport(String target, Duration timeout) {
        this.client = OipGrpcClient.connect(target);
        this.timeout = timeout;
    }

    @Override
    public String name() {
        return "grpc";
    }

    @Override
    public Map<String, Tensor> infer(String model, Map<String, Tensor> inputs) {
        return client.infer(model, inputs.values(), timeout);
    }

    @Override
    public void close() {
        client.close();
    }
}
