package dev.sluice.grpc;

import dev.sluice.Deployment;
import dev.sluice.Model;
import dev.sluice.Resources;
import dev.sluice.Sluice;
import dev.sluice.batching.BatchPolicy;
import dev.sluice.tensor.DataType;
import dev.sluice.tensor.Tensor;
import dev.sluice.tensor.TensorSignature;
import dev.sluice.tensor.TensorSpec;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;

/**
 * The child process of {@link SigtermTest}: a plain Java server ({@code SluiceGrpcServer} with
 * {@code closeOnJvmShutdown}) on 127.0.0.1 and a free port, which it prints as {@code PORT <n>}. Its deployments
 * double FP32 [n, 4]: {@code parked} parks each batch for a while, {@code stuck} until it is interrupted (so its
 * request outlives any grace period), {@code fast} not at all. Each batch of a parked or stuck model is announced
 * as {@code BATCH <model> <size>} before it parks. Arguments: the shutdown delay, the grace period and the park
 * of {@code parked} (ISO-8601 durations).
 */
public final class SigtermWorker {
    private SigtermWorker() {}

    public static void main(String[] args) throws Exception {
        Duration delay = Duration.parse(args[0]);
        Duration grace = Duration.parse(args[1]);
        Duration park = Duration.parse(args[2]);
        Sluice sluice = Sluice.builder().resources(Resources.builder().cpus(2).build()).build();
        for (Deployment<Map<String, Tensor>, Map<String, Tensor>> d : List.of(doubler("parked", park),
                doubler("stuck", Duration.ofDays(1)), doubler("fast", Duration.ZERO))) {
            sluice.deploy(d).awaitReady(Duration.ofSeconds(30));
        }
        InetSocketAddress address = new InetSocketAddress("127.0.0.1", 0);
        // README shutdown
        SluiceGrpcServer server = SluiceGrpcServer.builder(sluice)
                .address(address)
                .shutdownDelay(delay) // unready at once, but serving new calls this long (Kubernetes: 5 s)
                .shutdownGracePeriod(grace) // then refusing new calls, finishing the others within this
                .closeOnJvmShutdown() // on SIGTERM: close the server, then the runtime
                .start();
        // END
        System.out.println("PORT " + server.port());
        new CountDownLatch(1).await(); // serves until SIGTERM; the hook ends the process
    }

    static Deployment<Map<String, Tensor>, Map<String, Tensor>> doubler(String name, Duration park) {
        Model<Map<String, Tensor>, Map<String, Tensor>> model = batch -> {
            if (!park.isZero()) {
                System.out.println("BATCH " + name + " " + batch.size());
                Thread.sleep(park.toMillis());
            }
            List<Map<String, Tensor>> out = new ArrayList<>();
            for (Map<String, Tensor> request : batch) {
                float[] x = request.get("x").toFloatArray();
                for (int i = 0; i < x.length; i++) {
                    x[i] *= 2;
                }
                out.add(Map.of("y", Tensor.ofFloats("y", request.get("x").shape(), x)));
            }
            return out;
        };
        TensorSignature signature = new TensorSignature(List.of(new TensorSpec("x", DataType.FP32, new long[] {-1, 4})),
                List.of(new TensorSpec("y", DataType.FP32, new long[] {-1, 4})));
        return Deployment.<Map<String, Tensor>, Map<String, Tensor>>builder(name, ctx -> model)
                .signature(signature)
                .replicas(1)
                .resources(r -> r.cpus(0))
                .batching(b -> b.maxBatchSize(8).maxDelay(Duration.ZERO).queueCapacity(256).unboundedQueueDelay()
                        .policy(BatchPolicy::eager))
                .build();
    }
}
