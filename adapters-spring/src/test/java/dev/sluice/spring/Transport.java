package dev.sluice.spring;

import dev.sluice.grpc.InferRequest;
import dev.sluice.grpc.OipGrpcClient;
import dev.sluice.tensor.Tensor;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * One way a client sends an inference request to the running application: the cross-transport tests send the same
 * request over each and compare what comes back. A new transport is one more implementation in {@link #all}. Implementations are thread-safe.
 */
interface Transport extends AutoCloseable {
    Duration TIMEOUT = Duration.ofSeconds(30);

    /** Its name in test reports. */
    String name();

    /**
     * Sends {@code inputs} to {@code model}; the future completes with its outputs by name, or fails with an
     * {@link AssertionError} saying what the server answered instead.
     */
    CompletableFuture<Map<String, Tensor>> infer(String model, List<Tensor> inputs);

    @Override
    void close();

    /** Every transport, to the application's HTTP port and its gRPC address. */
    static List<Transport> all(int httpPort, InetSocketAddress grpc) {
        return List.of(new RestJson(httpPort), new Grpc(grpc), new RestBinary(httpPort));
    }

    /** REST with JSON bodies ({@code POST /v2/models/{name}/infer}), through java.net.http. */
    final class RestJson implements Transport {
        private final Http http;

        RestJson(int port) {
            this.http = new Http(port);
        }

        @Override
        public String name() {
            return "REST JSON";
        }

        @Override
        public CompletableFuture<Map<String, Tensor>> infer(String model, List<Tensor> inputs) {
            return http.postAsync("/v2/models/" + model + "/infer", OipJson.request(inputs)).thenApply(r -> {
                if (r.status() != 200) {
                    throw new AssertionError(name() + ": " + r.status() + " " + r.body());
                }
                return OipJson.outputs(r.body());
            });
        }

        @Override
        public void close() {}
    }

    /**
     * REST with the binary tensor data extension: every input as binary data and every output asked for as binary
     * ({@code binary_data_output}), encoded by {@link BinaryTensors} (written apart from the server's codec).
     */
    final class RestBinary implements Transport {
        private final Http http;

        RestBinary(int port) {
            this.http = new Http(port);
        }

        @Override
        public String name() {
            return "REST binary";
        }

        @Override
        public CompletableFuture<Map<String, Tensor>> infer(String model, List<Tensor> inputs) {
            BinaryTensors.Request request = BinaryTensors.request().parameter("binary_data_output", "true");
            inputs.forEach(request::binaryInput);
            return http.postAsync("/v2/models/" + model + "/infer", request.build()).thenApply(r -> {
                if (r.status() != 200) {
                    throw new AssertionError(name() + ": " + r.status() + " " + new String(r.body(),
                            StandardCharsets.UTF_8));
                }
                return BinaryTensors.tensors(r.answer());
            });
        }

        @Override
        public void close() {}
    }

    /** gRPC ({@code inference.GRPCInferenceService/ModelInfer}), through {@link OipGrpcClient}. */
    final class Grpc implements Transport {
        private final OipGrpcClient client;

        Grpc(InetSocketAddress address) {
            this.client = OipGrpcClient.connect(address.getAddress().getHostAddress() + ":" + address.getPort());
        }

        @Override
        public String name() {
            return "gRPC";
        }

        @Override
        public CompletableFuture<Map<String, Tensor>> infer(String model, List<Tensor> inputs) {
            return client.inferAsync(InferRequest.builder(model).inputs(inputs).build(), TIMEOUT)
                    .handle((r, e) -> {
                        if (e != null) {
                            throw new AssertionError(name() + ": " + e, e);
                        }
                        return r.outputs();
                    });
        }

        @Override
        public void close() {
            client.close();
        }
    }
}
