package dev.sluice.grpc;

import dev.sluice.Deployment;
import dev.sluice.Model;
import dev.sluice.batching.BatchObserver;
import dev.sluice.batching.BatchPolicy;
import dev.sluice.tensor.DataType;
import dev.sluice.tensor.Tensor;
import dev.sluice.tensor.TensorSignature;
import dev.sluice.tensor.TensorSpec;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/** Pure-Java tensor deployments for the gRPC tests. */
final class TestModels {
    private TestModels() {}

    /**
     * {@code y = 2x} on FP32 [n, 4], one replica, batches of up to 8 formed at once from what waits: waits at
     * {@code gate} before each batch, records the first element of every input it runs in {@code seen}, and fails
     * on an input whose first element is negative.
     */
    static Deployment<Map<String, Tensor>, Map<String, Tensor>> doubler(String name, Gate gate, List<Float> seen,
            int queueCapacity, BatchObserver observer) {
        Model<Map<String, Tensor>, Map<String, Tensor>> model = batch -> {
            gate.pass();
            List<Map<String, Tensor>> out = new ArrayList<>();
            for (Map<String, Tensor> request : batch) {
                float[] x = request.get("x").toFloatArray();
                seen.add(x[0]);
                if (x[0] < 0) {
                    throw new IllegalStateException("negative input: the model's own failure");
                }
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
                .resources(r -> r.cpus(0)) // fakes do no CPU work: their calls never wait for the budget
                .batching(b -> b.maxBatchSize(8).maxDelay(Duration.ZERO).queueCapacity(queueCapacity)
                        .unboundedQueueDelay().policy(BatchPolicy::eager).isolateFailures(false).observer(observer))
                .build();
    }

    static Deployment<Map<String, Tensor>, Map<String, Tensor>> doubler(String name, Gate gate, List<Float> seen) {
        return doubler(name, gate, seen, 64, BatchObserver.none());
    }

    /** Returns its input {@code in} as output {@code out}: any type, any shape of rank 2. */
    static Deployment<Map<String, Tensor>, Map<String, Tensor>> echo(String name, DataType type) {
        long[] anyRank2 = {-1, -1};
        Model<Map<String, Tensor>, Map<String, Tensor>> model =
                batch -> batch.stream().map(r -> Map.of("out", r.get("in").withName("out"))).toList();
        return Deployment.<Map<String, Tensor>, Map<String, Tensor>>builder(name, ctx -> model)
                .signature(new TensorSignature(List.of(new TensorSpec("in", type, anyRank2)),
                        List.of(new TensorSpec("out", type, anyRank2))))
                .resources(r -> r.cpus(0)).build();
    }

    /**
     * The model of the specification's inference example: inputs {@code input0} (UINT32 [n, 2]) and {@code input1}
     * (BOOL [n]); outputs {@code output0} (FP32 [3, 2]) and {@code output1} (INT64 [1]), the same for every request.
     */
    static Deployment<Map<String, Tensor>, Map<String, Tensor>> specExample() {
        Map<String, Tensor> answer = new LinkedHashMap<>();
        answer.put("output0", Tensor.ofFloats("output0", new long[] {3, 2}, 1.0f, 1.1f, 2.0f, 2.1f, 3.0f, 3.1f));
        answer.put("output1", Tensor.ofLongs("output1", new long[] {1}, 7));
        Model<Map<String, Tensor>, Map<String, Tensor>> model = batch -> Collections.nCopies(batch.size(), answer);
        List<TensorSpec> inputs = List.of(new TensorSpec("input0", DataType.UINT32, new long[] {-1, 2}),
                new TensorSpec("input1", DataType.BOOL, new long[] {-1}));
        List<TensorSpec> outputs = List.of(new TensorSpec("output0", DataType.FP32, new long[] {-1, 2}),
                new TensorSpec("output1", DataType.INT64, new long[] {-1}));
        return Deployment.<Map<String, Tensor>, Map<String, Tensor>>builder("mymodel", ctx -> model)
                .signature(new TensorSignature(inputs, outputs)).resources(r -> r.cpus(0)).build();
    }

    /** An echo of FP32 whose replica starts only once {@code started} is counted down: not ready until then. */
    static Deployment<Map<String, Tensor>, Map<String, Tensor>> slowStarting(String name, CountDownLatch started) {
        Deployment<Map<String, Tensor>, Map<String, Tensor>> echo = echo(name, DataType.FP32);
        return echo.toBuilder(ctx -> {
            if (!started.await(30, TimeUnit.SECONDS)) {
                throw new IllegalStateException("the test never let the model start");
            }
            return echo.factory().create(ctx);
        }).build();
    }

    static <T> List<T> recorder() {
        return Collections.synchronizedList(new ArrayList<>());
    }
}
