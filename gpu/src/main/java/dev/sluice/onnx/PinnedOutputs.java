package dev.sluice.onnx;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.sluice.batching.BatchCall;
import dev.sluice.tensor.DataType;
import dev.sluice.tensor.Tensor;
import dev.sluice.tensor.TensorSpec;
import dev.sluice.tensor.internal.TensorBatch;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Outputs written in place: where every output's shape is known before a run (fixed dimensions, the batch, and
 * dimensions that {@code follow} a padded input with an extent), ONNX Runtime writes them straight into the
 * replica's kept direct buffers ({@link ReusedBuffers}), from which each request's part is then copied out. A replica's model has one; it is turned off for good when
 * a predicted shape proves wrong.
 *
 * <p>Threading: {@link #shapes} and {@link #run} run on the replica's thread, one batch at a time; the on/off flag
 * and the count are safe to read from any thread.
 */
final class PinnedOutputs {
    private static final Logger LOG = LoggerFactory.getLogger(PinnedOutputs.class);

    private final List<TensorSpec> outputs;
    private final Map<String, OnnxSettings.Follow> follows;
    private final String replica;
    /** Off once a run with outputs written in place failed where a copying run succeeded. */
    private volatile boolean on = true;
    private final LongAdder runs = new LongAdder();

    PinnedOutputs(List<TensorSpec> outputs, Map<String, OnnxSettings.Follow> follows, String replica) {
        this.outputs = List.copyOf(outputs);
        this.follows = follows;
        this.replica = replica;
    }

    /** Each output's shape for a batch of {@code n} rows, or null when off or when one cannot be known before the run. */
    long[][] shapes(Map<String, TensorBatch.Stacked> stacked, long n) {
        if (!on) {
            return null;
        }
        long[][] shapes = new long[outputs.size()][];
        for (int o = 0; o < shapes.length; o++) {
            TensorSpec spec = outputs.get(o);
            long[] shape = spec.shape();
            if (shape.length == 0 || (shape[0] >= 0 && shape[0] != n) || spec.type() == DataType.BYTES) {
                return null;
            }
            shape[0] = n;
            OnnxSettings.Follow f = follows.get(spec.name());
            long bytes = spec.type().byteSize() * (long) n;
            for (int d = 1; d < shape.length; d++) {
                if (shape[d] < 0) {
                    if (f == null || f.outputDim() != d || f.extent() == null || !stacked.containsKey(f.input())
                            || f.inputDim() >= stacked.get(f.input()).tensor().rank()) {
                        return null;
                    }
                    shape[d] = f.extent().applyAsLong(stacked.get(f.input()).tensor().dim(f.inputDim()));
                }
                if (shape[d] < 0 || (shape[d] > 0 && bytes > Integer.MAX_VALUE / shape[d])) {
                    return null; // a negative extent, or more than one buffer holds
                }
                bytes *= shape[d];
            }
            shapes[o] = shape;
        }
        return shapes;
    }

    /**
     * Runs {@code session} on {@code feed} with its outputs written into buffers of {@code shapes} from
     * {@code lease}: the whole outputs returned are views of those buffers, valid until the lease is closed.
     *
     * @param terminate stops the run when every caller of the batch gives up
     * @throws OrtException if the run fails, e.g. because a predicted shape is wrong
     */
    // "try": "stop" and "result" are held, not read: closing them unregisters the hook and frees the run's
    // result (the outputs themselves are the pinned buffers).
    @SuppressWarnings("try")
    Map<String, Tensor> run(OrtEnvironment env, OrtSession session, Map<String, OnnxTensor> feed, long[][] shapes,
            Consumer<OrtSession.RunOptions> terminate, ReusedBuffers.Lease lease) throws OrtException {
        Map<String, OnnxTensor> pinned = new LinkedHashMap<>();
        Map<String, Tensor> whole = new LinkedHashMap<>();
        try {
            for (int o = 0; o < shapes.length; o++) {
                TensorSpec spec = outputs.get(o);
                long count = 1;
                for (long d : shapes[o]) {
                    count *= d;
                }
                ByteBuffer buffer = lease.take("out:" + spec.name(), (int) (count * spec.type().byteSize()));
                pinned.put(spec.name(), OnnxTensor.createTensor(env, buffer, shapes[o], OnnxTypes.javaType(spec.type())));
                OnnxModel.NATIVE_VALUES_OPEN.incrementAndGet();
                whole.put(spec.name(), Tensor.of(spec.name(), spec.type(), shapes[o], buffer)); // shares the buffer
            }
            try (OrtSession.RunOptions options = new OrtSession.RunOptions();
                    BatchCall.Registration stop = BatchCall.current().onAbandoned(() -> terminate.accept(options));
                    OrtSession.Result result = session.run(feed, Set.of(), pinned, options)) {
                runs.increment();
                return whole; // written in place; closing the result leaves pinned outputs alone
            }
        } finally {
            for (OnnxTensor t : pinned.values()) {
                t.close();
                OnnxModel.NATIVE_VALUES_OPEN.decrementAndGet();
            }
        }
    }

    /**
     * Turns writing in place off for good: a pinned run failed ({@code failure}) where a copying run gave
     * {@code got}, so a predicted shape was wrong. Says which, with a warning.
     */
    void turnOff(long[][] predicted, Map<String, Tensor> got, OrtException failure) {
        on = false;
        Map<String, String> expected = new LinkedHashMap<>();
        Map<String, String> actual = new LinkedHashMap<>();
        for (int o = 0; o < predicted.length; o++) {
            String name = outputs.get(o).name();
            expected.put(name, Arrays.toString(predicted[o]));
            actual.put(name, got.containsKey(name) ? Arrays.toString(got.get(name).shape()) : "none");
        }
        LOG.warn("Replica {}: outputs written in place failed ({}); predicted shapes {} but the model gave {}. "
                + "Check the follow(...) extents; outputs are copied from now on", replica, failure.getMessage(),
                expected, actual);
    }

    /** Whether the next batch's outputs may be written in place. */
    boolean on() {
        return on;
    }

    /** Runs so far whose outputs were written in place. */
    long runs() {
        return runs.sum();
    }
}
