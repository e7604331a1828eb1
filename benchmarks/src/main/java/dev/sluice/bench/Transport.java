package dev.sluice.bench;

import dev.sluice.tensor.Tensor;
import java.util.Map;

/**
 * One way {@link TransportBenchmark}'s clients reach its server's deployments: in process, REST JSON, REST binary,
 * gRPC. Another is one more implementation, named in {@link TransportBenchmark}'s list.
 * Implementations are thread-safe: the closed-loop clients share one.
 */
interface Transport extends AutoCloseable {

    /** Its name in the report and the CSV (no commas). */
    String name();

    /**
     * Sends {@code inputs} to deployment {@code model} and waits for its outputs, decoded to tensors as a client would
     * use them.
     *
     * @throws Exception if the request failed, saying how (the benchmark counts it as failed)
     */
    Map<String, Tensor> infer(String model, Map<String, Tensor> inputs) throws Exception;

    /** Releases what it holds (connections, channels); the server is not its to stop. */
    @Override
    void close();
}
