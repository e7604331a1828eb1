package dev.sluice.spring;

import dev.sluice.Deployment;
import dev.sluice.Model;
import dev.sluice.batching.BatchPolicy;
import dev.sluice.batching.InvalidInputException;
import dev.sluice.tensor.DataType;
import dev.sluice.tensor.Tensor;
import dev.sluice.tensor.TensorSignature;
import dev.sluice.tensor.TensorSpec;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Pure-Java tensor deployments for the protocol tests. */
final class FakeTensorModels {
    private FakeTensorModels() {}

    static TensorSignature vectorOf4() {
        return new TensorSignature(List.of(new TensorSpec("x", DataType.FP32, new long[] {-1, 4})),
                List.of(new TensorSpec("y", DataType.FP32, new long[] {-1, 4})));
    }

    /**
     * {@code y = 2x} on FP32 [n, 4]; waits at {@code gate} before each batch, records batch sizes, and fails a
     * request whose first element is negative (alone: the batcher isolates it).
     */
    static Deployment<Map<String, Tensor>, Map<String, Tensor>> doubler(String name, Gate gate, List<Integer> batchSizes,
            int queueCapacity) {
        Model<Map<String, Tensor>, Map<String, Tensor>> model = batch -> {
            gate.pass();
            batchSizes.add(batch.size());
            List<Map<String, Tensor>> out = new ArrayList<>();
            for (Map<String, Tensor> request : batch) {
                float[] x = request.get("x").toFloatArray();
                if (x.length > 0 && x[0] < 0) {
                    throw new IllegalStateException("negative input: the model's own failure");
                }
                for (int i = 0; i < x.length; i++) {
                    x[i] *= 2;
                }
                out.add(Map.of("y", Tensor.ofFloats("y", request.get("x").shape(), x)));
            }
            return out;
        };
        return Deployment.<Map<String, Tensor>, Map<String, Tensor>>builder(name, ctx -> model)
                .signature(vectorOf4())
                .resources(r -> r.cpus(0)) // fakes do no CPU work: their calls never wait for the budget
                // eager: the HTTP tests count batches that fill up with whatever waits, up to maxBatchSize
                .batching(b -> b.maxBatchSize(8).maxDelay(Duration.ZERO).queueCapacity(queueCapacity)
                        .policy(BatchPolicy::eager))
                .build();
    }

    /** Returns its input {@code in} as output {@code out}: any type, rank 2. */
    static Deployment<Map<String, Tensor>, Map<String, Tensor>> echo(DataType type) {
        TensorSignature sig = new TensorSignature(List.of(new TensorSpec("in", type, new long[] {-1, -1})),
                List.of(new TensorSpec("out", type, new long[] {-1, -1})));
        Model<Map<String, Tensor>, Map<String, Tensor>> model = batch -> {
            List<Map<String, Tensor>> out = new ArrayList<>();
            for (Map<String, Tensor> request : batch) {
                out.add(Map.of("out", request.get("in").withName("out")));
            }
            return out;
        };
        return Deployment.<Map<String, Tensor>, Map<String, Tensor>>builder("echo-" + type.name().toLowerCase(),
                ctx -> model).signature(sig).resources(r -> r.cpus(0)).build();
    }

    /**
     * The model of the protocol specification's inference example: inputs {@code input0} (UINT32 [n, 2]) and
     * {@code input1} (BOOL [n]); outputs {@code output0} (FP32 [3, 2], the spec's values) and {@code output1}.
     */
    static Deployment<Map<String, Tensor>, Map<String, Tensor>> specExample() {
        TensorSignature sig = new TensorSignature(
                List.of(new TensorSpec("input0", DataType.UINT32, new long[] {-1, 2}),
                        new TensorSpec("input1", DataType.BOOL, new long[] {-1})),
                List.of(new TensorSpec("output0", DataType.FP32, new long[] {-1, 2}),
                        new TensorSpec("output1", DataType.INT64, new long[] {-1})));
        Model<Map<String, Tensor>, Map<String, Tensor>> model = batch -> {
            List<Map<String, Tensor>> out = new ArrayList<>();
            for (Map<String, Tensor> request : batch) {
                ByteBuffer in0 = request.get("input0").data();
                if (in0.getInt(0) != 1) {
                    throw new InvalidInputException("expected the specification's input0");
                }
                Map<String, Tensor> result = new LinkedHashMap<>();
                result.put("output0", Tensor.ofFloats("output0", new long[] {3, 2}, 1.0f, 1.1f, 2.0f, 2.1f, 3.0f, 3.1f));
                result.put("output1", Tensor.ofLongs("output1", new long[] {1}, 7));
                out.add(result);
            }
            return out;
        };
        return Deployment.<Map<String, Tensor>, Map<String, Tensor>>builder("mymodel", ctx -> model)
                .signature(sig).resources(r -> r.cpus(0)).build();
    }

    static List<Integer> recorder() {
        return Collections.synchronizedList(new ArrayList<>());
    }
}
