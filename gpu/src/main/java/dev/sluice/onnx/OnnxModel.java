package dev.sluice.onnx;

import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import ai.onnxruntime.providers.OrtCUDAProviderOptions;
import dev.sluice.Model;
import dev.sluice.ModelContext;
import dev.sluice.ModelFactory;
import dev.sluice.Placement;
import dev.sluice.batching.BatchCall;
import dev.sluice.batching.InvalidInputException;
import dev.sluice.tensor.DataType;
import dev.sluice.tensor.Tensor;
import dev.sluice.tensor.TensorBatch;
import dev.sluice.tensor.TensorSignature;
import dev.sluice.tensor.TensorSpec;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An ONNX model behind Sluice's batcher: one ONNX Runtime session per replica, configured from the
 * replica's {@link ModelContext} (intra-op threads from its CPU slots; on a GPU placement the CUDA execution
 * provider on that device with its memory limit). A request is a map from input name to {@link Tensor};
 * a batch stacks each input along dimension 0 (padding the dimensions the model declares dynamic), runs once,
 * and splits every output back per request.
 *
 * <pre>{@code
 * ModelFactory<Map<String, Tensor>, Map<String, Tensor>> rec = OnnxModel.builder(Path.of("rec.onnx"))
 *     .follow("softmax_0.tmp_0", 1, "x", 3)     // output dim 1 follows the input's width
 *     .factory();
 * }</pre>
 *
 * <p>{@link #validate} checks a request against the model's inputs (names, types, ranks, fixed dimensions)
 * and says what was expected and what came; call it before submitting so a malformed request never joins a
 * batch. A batch is validated too: a bad request that got in fails with {@link InvalidInputException}, which
 * the batcher's failure isolation confines to it.
 */
public final class OnnxModel implements Model<Map<String, Tensor>, Map<String, Tensor>> {
    private static final Logger LOG = LoggerFactory.getLogger(OnnxModel.class);
    /** Native ONNX Runtime values (input tensors, run results) made by this class and not yet closed. */
    static final AtomicLong NATIVE_VALUES_OPEN = new AtomicLong();

    private final Builder builder;
    private final String replica;
    private final OrtEnvironment env;
    private final OrtSession.SessionOptions options;
    private final OrtSession session;
    private final TensorSignature signature;
    /** Per input, the open dimensions past the batch, found once rather than per batch. */
    private final Map<String, int[]> raggedDims;
    /** Off once a run with outputs written in place failed where a copying run succeeded. */
    private volatile boolean pinOutputs = true;
    /** Runs whose outputs were written in place (for tests). */
    private final java.util.concurrent.atomic.LongAdder pinnedRuns = new java.util.concurrent.atomic.LongAdder();

    private OnnxModel(Builder b, ModelContext ctx) throws OrtException {
        this.builder = b;
        this.replica = ctx.replicaId();
        this.env = OrtEnvironment.getEnvironment();
        this.options = new OrtSession.SessionOptions();
        try {
            options.setIntraOpNumThreads(ctx.cpuThreads());
            options.setInterOpNumThreads(1);
            if (ctx.gpu().isPresent()) {
                useCuda(ctx, ctx.gpu().get());
            }
        } catch (OrtException | RuntimeException e) {
            options.close();
            throw e;
        }
        OrtSession opened = null;
        try {
            opened = b.file != null ? env.createSession(b.file.toString(), options) : env.createSession(b.bytes, options);
            this.signature = signature(opened); // refuses a model with a non-tensor input or output
        } catch (OrtException | RuntimeException e) {
            if (opened != null) {
                opened.close();
            }
            options.close();
            throw e;
        }
        this.session = opened;
        this.raggedDims = raggedDims(signature);
        LOG.info("Replica {} loaded ONNX model {}: inputs {}, outputs {}", replica, b.describe(), signature.inputs(),
                signature.outputs());
    }

    private void useCuda(ModelContext ctx, Placement.GpuShare gpu) throws OrtException {
        try {
            OrtCUDAProviderOptions cuda = new OrtCUDAProviderOptions(gpu.device().index());
            cuda.add("gpu_mem_limit", Long.toString(gpu.memoryBytes()));
            options.addCUDA(cuda);
        } catch (OrtException | UnsatisfiedLinkError | IllegalArgumentException e) {
            String why = "replica " + ctx.replicaId() + " was placed on " + gpu.device().label() + " ("
                    + gpu.device().name() + ") but ONNX Runtime's CUDA execution provider cannot be loaded: " + e
                    + ". Depend on com.microsoft.onnxruntime:onnxruntime_gpu instead of onnxruntime, with a matching"
                    + " CUDA and cuDNN";
            if (!builder.cpuFallback) {
                throw new IllegalStateException(why + "; or allow CPU fallback with OnnxModel.Builder.allowCpuFallback()", e);
            }
            LOG.warn("{}; running on CPU, as the deployment allows", why);
        }
    }

    static TensorSignature signature(OrtSession session) throws OrtException {
        return new TensorSignature(specs(session.getInputInfo()), specs(session.getOutputInfo()));
    }

    private static List<TensorSpec> specs(Map<String, NodeInfo> info) {
        List<TensorSpec> specs = new ArrayList<>();
        for (NodeInfo node : info.values()) {
            if (!(node.getInfo() instanceof TensorInfo t)) {
                throw new IllegalArgumentException("'" + node.getName() + "' is not a tensor (" + node.getInfo()
                        + "); only tensor inputs and outputs are supported");
            }
            specs.add(new TensorSpec(node.getName(), dataType(node.getName(), t.type), t.getShape()));
        }
        return List.copyOf(specs);
    }

    static DataType dataType(String name, OnnxJavaType type) {
        return switch (type) {
            case FLOAT -> DataType.FP32;
            case DOUBLE -> DataType.FP64;
            case FLOAT16 -> DataType.FP16;
            case INT8 -> DataType.INT8;
            case INT16 -> DataType.INT16;
            case INT32 -> DataType.INT32;
            case INT64 -> DataType.INT64;
            case UINT8 -> DataType.UINT8;
            case BOOL -> DataType.BOOL;
            default -> throw new IllegalArgumentException("'" + name + "' has element type " + type
                    + ", which Sluice's ONNX adapter does not support");
        };
    }

    static OnnxJavaType javaType(DataType type) {
        return switch (type) {
            case FP32 -> OnnxJavaType.FLOAT;
            case FP64 -> OnnxJavaType.DOUBLE;
            case FP16 -> OnnxJavaType.FLOAT16;
            case INT8 -> OnnxJavaType.INT8;
            case INT16 -> OnnxJavaType.INT16;
            case INT32 -> OnnxJavaType.INT32;
            case INT64 -> OnnxJavaType.INT64;
            case UINT8 -> OnnxJavaType.UINT8;
            case BOOL -> OnnxJavaType.BOOL;
            default -> throw new IllegalArgumentException(type + " is not supported by the ONNX adapter");
        };
    }

    /** The model's inputs and outputs, as it declares them. */
    public TensorSignature signature() {
        return signature;
    }

    /**
     * Checks one request against the model's inputs (see {@link TensorSignature#validate}).
     *
     * @throws InvalidInputException naming the input and saying what was expected and what came
     */
    public void validate(Map<String, Tensor> request) {
        signature.validate(request);
    }

    @Override
    public List<Map<String, Tensor>> predict(List<Map<String, Tensor>> batch) throws OrtException {
        for (Map<String, Tensor> request : batch) {
            validate(request); // a bad request fails this batch; the batcher's isolation leaves it alone
        }
        List<int[]> runs = builder.maxPadding == Double.POSITIVE_INFINITY || batch.size() == 1 ? null : runs(batch);
        if (runs == null || runs.size() == 1) {
            return run(batch);
        }
        List<Map<String, Tensor>> out = new ArrayList<>(java.util.Collections.nCopies(batch.size(), null));
        for (int[] run : runs) {
            List<Map<String, Tensor>> part = new ArrayList<>(run.length);
            for (int i : run) {
                part.add(batch.get(i));
            }
            List<Map<String, Tensor>> answers = run(part);
            for (int k = 0; k < run.length; k++) {
                out.set(run[k], answers.get(k));
            }
        }
        return out;
    }

    /**
     * Splits a ragged batch into runs of similar sizes where one run would pad more than {@code maxPadding} of
     * its real elements: requests sorted by size, a new run started whenever the next one would take the
     * run's padded elements past {@code (1 + maxPadding)} times its real ones.
     */
    private List<int[]> runs(List<Map<String, Tensor>> batch) {
        List<TensorSpec> specs = signature.inputs();
        Integer[] order = new Integer[batch.size()];
        long[] size = new long[batch.size()];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
            for (TensorSpec spec : specs) {
                size[i] += batch.get(i).get(spec.name()).elementCount();
            }
        }
        Arrays.sort(order, java.util.Comparator.comparingLong(i -> size[i]));
        List<int[]> runs = new ArrayList<>();
        List<Integer> current = new ArrayList<>();
        long[][] maxDims = new long[specs.size()][];
        long real = 0;
        for (int i : order) {
            long[][] widened = new long[specs.size()][];
            long padded = 0;
            for (int s = 0; s < specs.size(); s++) {
                long[] dims = batch.get(i).get(specs.get(s).name()).shape();
                widened[s] = dims;
                if (maxDims[s] != null) {
                    for (int d = 1; d < dims.length; d++) {
                        widened[s][d] = Math.max(dims[d], maxDims[s][d]);
                    }
                }
                long perRequest = 1;
                for (int d = 1; d < dims.length; d++) {
                    perRequest *= widened[s][d];
                }
                padded += perRequest * (current.size() + 1);
            }
            if (!current.isEmpty() && padded > (1 + builder.maxPadding) * (real + size[i])) {
                runs.add(current.stream().mapToInt(Integer::intValue).toArray());
                current.clear();
                real = 0;
                for (int s = 0; s < specs.size(); s++) {
                    widened[s] = batch.get(i).get(specs.get(s).name()).shape();
                }
            }
            current.add(i);
            real += size[i];
            maxDims = widened;
        }
        runs.add(current.stream().mapToInt(Integer::intValue).toArray());
        return runs;
    }

    private List<Map<String, Tensor>> run(List<Map<String, Tensor>> batch) throws OrtException {
        Map<String, TensorBatch.Stacked> stacked = new HashMap<>();
        Map<String, OnnxTensor> feed = new LinkedHashMap<>();
        try {
            for (TensorSpec spec : signature.inputs()) {
                List<Tensor> column = new ArrayList<>(batch.size());
                for (Map<String, Tensor> request : batch) {
                    column.add(request.get(spec.name()));
                }
                TensorBatch.Stacked s = TensorBatch.stack(column, builder.pads.getOrDefault(spec.name(), 0.0),
                        raggedDims.get(spec.name()));
                stacked.put(spec.name(), s);
                feed.put(spec.name(), OnnxTensor.createTensor(env, s.tensor().data(), s.tensor().shape(),
                        javaType(spec.type())));
                NATIVE_VALUES_OPEN.incrementAndGet();
            }
            Map<String, Tensor> whole = outputs(feed, stacked, batch.size());
            List<Map<String, Tensor>> out = new ArrayList<>(batch.size());
            for (int i = 0; i < batch.size(); i++) {
                out.add(new LinkedHashMap<>());
            }
            for (Map.Entry<String, Tensor> e : whole.entrySet()) {
                Follow follow = builder.follows.get(e.getKey());
                List<Tensor> parts = follow == null
                        ? TensorBatch.split(e.getValue(), stacked.get(signature.inputs().get(0).name()))
                        : TensorBatch.split(e.getValue(), stacked.get(follow.input), follow.extent == null
                                ? TensorBatch.Follow.dim(follow.outputDim, follow.inputDim)
                                : TensorBatch.Follow.dim(follow.outputDim, follow.inputDim, follow.extent));
                for (int i = 0; i < parts.size(); i++) {
                    out.get(i).put(e.getKey(), parts.get(i));
                }
            }
            return out;
        } finally {
            for (OnnxTensor t : feed.values()) {
                t.close();
                NATIVE_VALUES_OPEN.decrementAndGet();
            }
        }
    }

    /**
     * Runs the batch and returns its whole outputs. Where every output's shape is known before the run (fixed
     * dimensions, the batch, and dimensions that {@code follow} a padded input with an extent), ONNX Runtime
     * writes the outputs straight into direct buffers that become the output tensors (no copy); otherwise
     * its own outputs are copied out. A pinned run that fails where an unpinned one succeeds means a
     * predicted shape was wrong (a {@code follow} extent that disagrees with the model): pinning is then
     * turned off for this replica, with a warning, and the batch still answered.
     */
    private Map<String, Tensor> outputs(Map<String, OnnxTensor> feed, Map<String, TensorBatch.Stacked> stacked, int n)
            throws OrtException {
        long[][] shapes = pinOutputs ? outputShapes(stacked, n) : null;
        if (shapes == null) {
            return runCopyingOutputs(feed);
        }
        try {
            return runPinned(feed, shapes);
        } catch (OrtException pinnedFailure) {
            if (BatchCall.current().isAbandoned()) {
                throw pinnedFailure; // terminated: nobody wants the outputs
            }
            Map<String, Tensor> got;
            try {
                got = runCopyingOutputs(feed);
            } catch (OrtException | RuntimeException e) {
                e.addSuppressed(pinnedFailure);
                throw e; // the model's own failure, not the pinning's
            }
            pinOutputs = false;
            Map<String, String> predicted = new LinkedHashMap<>();
            Map<String, String> actual = new LinkedHashMap<>();
            for (int o = 0; o < shapes.length; o++) {
                String name = signature.outputs().get(o).name();
                predicted.put(name, Arrays.toString(shapes[o]));
                actual.put(name, got.containsKey(name) ? Arrays.toString(got.get(name).shape()) : "none");
            }
            LOG.warn("Replica {}: outputs written in place failed ({}); predicted shapes {} but the model gave {}. "
                    + "Check the follow(...) extents; outputs are copied from now on", replica, pinnedFailure.getMessage(),
                    predicted, actual);
            return got;
        }
    }

    /** Each output's shape for a batch of {@code n}, or null where one cannot be known before the run. */
    private long[][] outputShapes(Map<String, TensorBatch.Stacked> stacked, int n) {
        List<TensorSpec> specs = signature.outputs();
        long[][] shapes = new long[specs.size()][];
        for (int o = 0; o < shapes.length; o++) {
            TensorSpec spec = specs.get(o);
            long[] shape = spec.shape();
            if (shape.length == 0 || (shape[0] >= 0 && shape[0] != n) || spec.type() == DataType.BYTES) {
                return null;
            }
            shape[0] = n;
            Follow f = builder.follows.get(spec.name());
            long bytes = spec.type().byteSize() * (long) n;
            for (int d = 1; d < shape.length; d++) {
                if (shape[d] < 0) {
                    if (f == null || f.outputDim != d || f.extent == null || !stacked.containsKey(f.input)
                            || f.inputDim >= stacked.get(f.input).tensor().rank()) {
                        return null;
                    }
                    shape[d] = f.extent.applyAsLong(stacked.get(f.input).tensor().dim(f.inputDim));
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

    private Map<String, Tensor> runPinned(Map<String, OnnxTensor> feed, long[][] shapes) throws OrtException {
        List<TensorSpec> specs = signature.outputs();
        Map<String, OnnxTensor> pinned = new LinkedHashMap<>();
        Map<String, Tensor> whole = new LinkedHashMap<>();
        try {
            for (int o = 0; o < shapes.length; o++) {
                TensorSpec spec = specs.get(o);
                long count = 1;
                for (long d : shapes[o]) {
                    count *= d;
                }
                java.nio.ByteBuffer buffer = java.nio.ByteBuffer.allocateDirect((int) (count * spec.type().byteSize()))
                        .order(java.nio.ByteOrder.nativeOrder());
                pinned.put(spec.name(), OnnxTensor.createTensor(env, buffer, shapes[o], javaType(spec.type())));
                NATIVE_VALUES_OPEN.incrementAndGet();
                whole.put(spec.name(), Tensor.of(spec.name(), spec.type(), shapes[o], buffer)); // shares the buffer
            }
            try (OrtSession.RunOptions options = new OrtSession.RunOptions();
                    BatchCall.Registration stop = BatchCall.current().onAbandoned(() -> terminate(options));
                    OrtSession.Result result = session.run(feed, java.util.Set.of(), pinned, options)) {
                pinnedRuns.increment();
                return whole; // written in place; closing the result leaves pinned outputs alone
            }
        } finally {
            for (OnnxTensor t : pinned.values()) {
                t.close();
                NATIVE_VALUES_OPEN.decrementAndGet();
            }
        }
    }

    /**
     * Runs the session with ONNX Runtime allocating the outputs, then copies them out. If every caller of this
     * batch gives up meanwhile (cancels, or its pipeline's deadline passes), the run is terminated through
     * {@code RunOptions.setTerminate}, which ONNX Runtime checks between operators: nobody is left to read
     * the outputs, so stopping only frees the replica sooner. (Pinned runs do the same.)
     */
    private Map<String, Tensor> runCopyingOutputs(Map<String, OnnxTensor> feed) throws OrtException {
        try (OrtSession.RunOptions options = new OrtSession.RunOptions();
                BatchCall.Registration stop = BatchCall.current().onAbandoned(() -> terminate(options))) {
            OrtSession.Result run = session.run(feed, options);
            NATIVE_VALUES_OPEN.incrementAndGet();
            try (OrtSession.Result result = run) {
                Map<String, Tensor> whole = new LinkedHashMap<>();
                for (Map.Entry<String, OnnxValue> e : result) {
                    if (!(e.getValue() instanceof OnnxTensor t)) {
                        throw new IllegalStateException("output '" + e.getKey() + "' is not a tensor");
                    }
                    TensorInfo info = t.getInfo();
                    whole.put(e.getKey(), Tensor.of(e.getKey(), dataType(e.getKey(), info.type), info.getShape(),
                            t.getByteBuffer()));
                }
                return whole;
            } finally {
                NATIVE_VALUES_OPEN.decrementAndGet();
            }
        }
    }

    /** Whether the next batch's outputs may be written in place (false once a predicted shape proved wrong). */
    boolean pinsOutputs() {
        return pinOutputs;
    }

    /** Runs so far whose outputs were written in place. */
    long pinnedRuns() {
        return pinnedRuns.sum();
    }

    private void terminate(OrtSession.RunOptions options) {
        try {
            options.setTerminate(true);
            LOG.debug("Replica {}: every caller of the running batch gave up; terminating the run", replica);
        } catch (OrtException e) {
            LOG.warn("Replica {}: could not terminate an abandoned run", replica, e);
        }
    }

    /** Each input's dimensions the model leaves open (past the batch): the ones a batch may pad. */
    private static Map<String, int[]> raggedDims(TensorSignature signature) {
        Map<String, int[]> dims = new HashMap<>();
        for (TensorSpec spec : signature.inputs()) {
            dims.put(spec.name(), java.util.stream.IntStream.range(1, spec.rank()).filter(d -> spec.dim(d) < 0).toArray());
        }
        return dims;
    }

    @Override
    public void close() throws OrtException {
        try {
            session.close();
        } finally {
            options.close();
        }
    }

    @Override
    public String toString() {
        return "OnnxModel[" + builder.describe() + " on " + replica + "]";
    }

    /** An output dimension that follows a padded input dimension (extent null: in proportion). */
    private record Follow(int outputDim, String input, int inputDim, java.util.function.LongUnaryOperator extent) {}

    /** A model file (or bytes) to load, with how its batches are padded and split. */
    public static Builder builder(Path file) {
        return new Builder(Objects.requireNonNull(file, "file"), null);
    }

    public static Builder builder(byte[] model) {
        return new Builder(null, Objects.requireNonNull(model, "model").clone());
    }

    /** Settings for {@link OnnxModel}; every setter validates at once and names what it refuses. */
    public static final class Builder {
        private final Path file;
        private final byte[] bytes;
        private final Map<String, Double> pads = new HashMap<>();
        private final Map<String, Follow> follows = new HashMap<>();
        private boolean cpuFallback;
        private double maxPadding = Double.POSITIVE_INFINITY;

        private Builder(Path file, byte[] bytes) {
            this.file = file;
            this.bytes = bytes;
        }

        /** The value padded into {@code input}'s dynamic dimensions when a batch's requests differ there. Default 0. */
        public Builder pad(String input, double value) {
            pads.put(Objects.requireNonNull(input, "input"), value);
            return this;
        }

        /**
         * Output {@code output}'s dimension {@code outputDim} follows input {@code input}'s padded dimension
         * {@code inputDim}: each request's part is cropped to {@code extent} of its own input extent, e.g.
         * {@code w -> Math.max(1, (w + 3) / 8)} for the PaddleOCR recognizer's time steps.
         */
        public Builder follow(String output, int outputDim, String input, int inputDim,
                java.util.function.LongUnaryOperator extent) {
            follow(output, outputDim, input, inputDim);
            follows.put(output, new Follow(outputDim, input, inputDim, Objects.requireNonNull(extent, "extent")));
            return this;
        }

        /**
         * Like the exact {@code follow}, but cropping in proportion to each request's extent, which is right
         * only for an output exactly proportional to its input.
         */
        public Builder follow(String output, int outputDim, String input, int inputDim) {
            Objects.requireNonNull(output, "output");
            Objects.requireNonNull(input, "input");
            if (outputDim < 1 || inputDim < 1) {
                throw new IllegalArgumentException("follow: dimension 0 is the batch; was " + outputDim + " following "
                        + inputDim);
            }
            follows.put(output, new Follow(outputDim, input, inputDim, null));
            return this;
        }

        /**
         * Bounds padding: a batch of ragged requests whose padding would exceed {@code fraction} of its real
         * elements runs as several runs, each of requests of similar sizes (sorted by size). E.g. 0.25 for
         * text lines: a 100-pixel line is not padded to the 2000 pixels of its neighbour, which costs compute
         * and can change what the recognizer reads. Default: no bound, one run per batch.
         */
        public Builder maxPadding(double fraction) {
            if (!(fraction >= 0)) {
                throw new IllegalArgumentException("maxPadding must be 0 or more (a fraction of the real elements), was "
                        + fraction);
            }
            this.maxPadding = fraction;
            return this;
        }

        /** Lets a replica placed on a GPU run on CPU if the CUDA execution provider cannot load. Off by default. */
        public Builder allowCpuFallback() {
            this.cpuFallback = true;
            return this;
        }

        /**
         * Reads the model's inputs and outputs from a CPU session opened for the purpose and closed at once:
         * for a {@code Deployment.Builder.signature}, so requests are checked before they join a batch.
         *
         * @throws OrtException if the model cannot be loaded
         */
        public TensorSignature signature() throws OrtException {
            OrtEnvironment env = OrtEnvironment.getEnvironment();
            try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
                options.setIntraOpNumThreads(1);
                try (OrtSession session = file != null ? env.createSession(file.toString(), options)
                        : env.createSession(bytes, options)) {
                    return OnnxModel.signature(session);
                }
            }
        }

        /** Makes one session per replica. */
        public ModelFactory<Map<String, Tensor>, Map<String, Tensor>> factory() {
            return this::open;
        }

        /** Loads the model for one replica (or for direct use, with {@link ModelContext#forTest}). */
        public OnnxModel open(ModelContext context) throws OrtException {
            return new OnnxModel(this, Objects.requireNonNull(context, "context"));
        }

        String describe() {
            return file != null ? Objects.toString(file.getFileName(), file.toString()) : bytes.length + " bytes";
        }
    }
}
