package dev.sluice.bench;

import dev.sluice.DeploymentHandle;
import dev.sluice.Sluice;
import dev.sluice.tensor.Tensor;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The baseline: {@link DeploymentHandle#submit} on the server's own runtime, with no encoding and no network.
 * Thread-safe.
 */
final class InProcessTransport implements Transport {
    private final Sluice sluice;
    private final Duration timeout;

    InProcessTransport(Sluice sluice, Duration timeout) {
        this.sluice = sluice;
        this.timeout = timeout;
    }

    @Override
    public String name() {
        return "in-process";
    }

    @Override
    public Map<String, Tensor> infer(String model, Map<String, Tensor> inputs) throws Exception {
        return handle(model).submit(inputs).get(timeout.toNanos(), TimeUnit.NANOSECONDS);
    }

    @SuppressWarnings("unchecked")
    private DeploymentHandle<Map<String, Tensor>, Map<String, Tensor>> handle(String model) {
        return (DeploymentHandle<Map<String, Tensor>, Map<String, Tensor>>) sluice.deployment(model)
                .orElseThrow(() -> new IllegalArgumentException("no deployment named '" + model + "'"));
    }

    @Override
    public void close() {}
}
