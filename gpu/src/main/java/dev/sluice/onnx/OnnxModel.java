package dev.sluice.onnx;

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
import dev.sluice.tensor.Tensor;
import dev.sluice.tensor.TensorSignature;
import dev.sluice.tensor.TensorSpec;
import dev.sluice.tensor.internal.RaggedRuns;
import dev.sluice.tensor.internal.TensorBatch;
import java.nio.file.Path;
import java.util.ArrayList;
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
 * replica's {@link ModelContext} (intra-op threads from the CPUs each call holds; on a GPU placement the CUDA
 * execution provider on that device with its memory limit). On CPU, a deployment whose calls may borrow idle
 * CPUs ({@code burstCpus}) gets a second session per replica with that many intra-op threads (not spinning),
 * used by exactly the calls the execution budget lent them to ({@link BatchCall#cpus()}); it costs a second
 * copy of the model's memory. A request is a map from input name to {@link Tensor};
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
 *
 * <p>This class coordinates a batch's run; the parts live beside it: {@link OnnxTypes} (Sluice's tensor types and
 * ONNX Runtime's), {@link RaggedRuns} (splitting a ragged batch when padding is bounded), {@link TensorBatch}
 * (stacking and splitting), {@link PinnedOutputs} (outputs written in place) and {@link OnnxSettings} (the
 * builder's settings, frozen).
 */
public final class OnnxModel implements Model<Map<String, Tensor>, Map<String, Tensor>> {
    private static final Logger LOG = LoggerFactory.getLogger(OnnxModel.class);
    /** Native ONNX Runtime values (input tensors, run results) made by this class and not yet closed. */
    static final AtomicLong NATIVE_VALUES_OPEN = new AtomicLong();

    private final OnnxSettings settings;
    private final String replica;
    private final OrtEnvironment env;
    private final OrtSession.SessionOptions options;
    private final OrtSession session;
    /**
     * A second session with {@link ModelContext#burstCpuThreads()} intra-op threads, for calls the execution
     * budget lends idle CPUs to; null when the deployment never lends (or on a GPU).
     */
    private final OrtSession.SessionOptions wideOptions;
    private final OrtSession wide;
    private final int wideThreads;
    /** Runs made on {@link #wide}. */
    private final AtomicLong wideRuns = new AtomicLong();
    private final TensorSignature signature;
    /** Per input, the open dimensions past the batch, found once rather than per batch. */
    private final Map<String, int[]> raggedDims;
    /** Writes outputs in place where their shapes are known before a run. */
    private final PinnedOutputs pinned;
    /** The direct buffers batches are stacked into and outputs written into, kept from call to call. */
    private final ReusedBuffers buffers = new ReusedBuffers(ReusedBuffers.DEFAULT_RETAIN_BYTES);

    private OnnxModel(OnnxSettings b, ModelContext ctx) throws OrtException {
        this.settings = b;
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
            opened = b.file() != null ? env.createSession(b.file().toString(), options) : env.createSession(b.bytes(), options);
            this.signature = OnnxTypes.signature(opened); // refuses a model with a non-tensor input or output
        } catch (OrtException | RuntimeException e) {
            if (opened != null) {
                opened.close();
            }
            options.close();
            throw e;
        }
        this.session = opened;
        this.wideThreads = ctx.gpu().isEmpty() ? ctx.burstCpuThreads() : ctx.cpuThreads();
        if (wideThreads > ctx.cpuThreads()) {
            OrtSession.SessionOptions wo = new OrtSession.SessionOptions();
            OrtSession w = null;
            try {
                wo.setIntraOpNumThreads(wideThreads);
                wo.setInterOpNumThreads(1);
                // Its threads must not spin after a run: the CPUs they borrowed go back to other calls at once.
                wo.addConfigEntry("session.intra_op.allow_spinning", "0");
                w = b.file() != null ? env.createSession(b.file().toString(), wo) : env.createSession(b.bytes(), wo);
            } catch (OrtException | RuntimeException e) {
                wo.close();
                session.close();
                options.close();
                throw e;
            }
            this.wideOptions = wo;
            this.wide = w;
        } else {
            this.wideOptions = null;
            this.wide = null;
        }
        this.raggedDims = raggedDims(signature);
        this.pinned = new PinnedOutputs(signature.outputs(), settings.follows(), replica);
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
            if (!settings.cpuFallback()) {
                throw new IllegalStateException(why + "; or allow CPU fallback with OnnxModel.Builder.allowCpuFallback()", e);
            }
            LOG.warn("{}; running on CPU, as the deployment allows", why);
        }
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
        List<int[]> runs = settings.maxPadding() == Double.POSITIVE_INFINITY || batch.size() == 1 ? null
                : RaggedRuns.plan(batch, signature.inputNames(), settings.maxPadding());
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
     * One run of a batch. Memory: the inputs are stacked into this replica's kept direct buffers (a lone request
     * already in direct memory is read where it is), and outputs written in place go to kept buffers too; every
     * output handed back is a copy on the Java heap (or a view of one), so nothing a caller holds is native memory
     * that only a garbage collection would free, and the kept buffers are reused only after the batch is answered
     * and its native tensors closed.
     */
    private List<Map<String, Tensor>> run(List<Map<String, Tensor>> batch) throws OrtException {
        try (ReusedBuffers.Lease lease = buffers.acquire()) {
            return run(batch, lease);
        }
    }

    private List<Map<String, Tensor>> run(List<Map<String, Tensor>> batch, ReusedBuffers.Lease lease) throws OrtException {
        Map<String, TensorBatch.Stacked> stacked = new HashMap<>();
        Map<String, OnnxTensor> feed = new LinkedHashMap<>();
        try {
            for (TensorSpec spec : signature.inputs()) {
                List<Tensor> column = new ArrayList<>(batch.size());
                for (Map<String, Tensor> request : batch) {
                    column.add(request.get(spec.name()));
                }
                String slot = "in:" + spec.name();
                TensorBatch.Stacked s = TensorBatch.stack(column, settings.pad(spec.name()),
                        bytes -> lease.take(slot, bytes), raggedDims.get(spec.name()));
                stacked.put(spec.name(), s);
                feed.put(spec.name(), OnnxTensor.createTensor(env, s.tensor().data(), s.tensor().shape(),
                        OnnxTypes.javaType(spec.type())));
                NATIVE_VALUES_OPEN.incrementAndGet();
            }
            // The outputs' batch dimension is the rows stacked, not the requests: a request may bring several rows.
            long rows = stacked.get(signature.inputs().get(0).name()).tensor().dim(0);
            Map<String, Tensor> whole = outputs(feed, stacked, rows, lease);
            List<Map<String, Tensor>> out = new ArrayList<>(batch.size());
            for (int i = 0; i < batch.size(); i++) {
                out.add(new LinkedHashMap<>());
            }
            for (Map.Entry<String, Tensor> e : whole.entrySet()) {
                OnnxSettings.Follow follow = settings.follows().get(e.getKey());
                // Outputs written in place are in kept buffers, reused by the next batch: every part is copied out.
                // (An output copied out of ONNX Runtime is on the heap already: its parts may be views of it.)
                boolean reused = e.getValue().data().isDirect();
                TensorBatch.Stacked in = stacked.get(follow == null ? signature.inputs().get(0).name() : follow.input());
                TensorBatch.Follow[] crop = follow == null ? new TensorBatch.Follow[0] : new TensorBatch.Follow[] {follow(follow)};
                List<Tensor> parts = reused ? TensorBatch.splitCopies(e.getValue(), in, crop)
                        : TensorBatch.split(e.getValue(), in, crop);
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

    private static TensorBatch.Follow follow(OnnxSettings.Follow f) {
        return f.extent() == null ? TensorBatch.Follow.dim(f.outputDim(), f.inputDim())
                : TensorBatch.Follow.dim(f.outputDim(), f.inputDim(), f.extent());
    }

    /**
     * Runs the batch and returns its whole outputs. Where every output's shape is known before the run (fixed
     * dimensions, the batch, and dimensions that {@code follow} a padded input with an extent), ONNX Runtime
     * writes the outputs straight into direct buffers that become the output tensors (no copy); otherwise
     * its own outputs are copied out. A pinned run that fails where an unpinned one succeeds means a
     * predicted shape was wrong (a {@code follow} extent that disagrees with the model): pinning is then
     * turned off for this replica, with a warning, and the batch still answered.
     */
    private Map<String, Tensor> outputs(Map<String, OnnxTensor> feed, Map<String, TensorBatch.Stacked> stacked, long n,
            ReusedBuffers.Lease lease) throws OrtException {
        long[][] shapes = pinned.shapes(stacked, n);
        if (shapes == null) {
            return runCopyingOutputs(feed);
        }
        try {
            return pinned.run(env, sessionForThisCall(), feed, shapes, this::terminate, lease);
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
            pinned.turnOff(shapes, got, pinnedFailure);
            return got;
        }
    }

    /**
     * Runs the session with ONNX Runtime allocating the outputs, then copies them out. If every caller of this
     * batch gives up meanwhile (cancels, or its pipeline's deadline passes), the run is terminated through
     * {@code RunOptions.setTerminate}, which ONNX Runtime checks between operators: nobody is left to read
     * the outputs, so stopping only frees the replica sooner. (Pinned runs do the same.)
     */
    @SuppressWarnings("try") // "stop" is held, not read: closing it unregisters the hook when the run ends
    private Map<String, Tensor> runCopyingOutputs(Map<String, OnnxTensor> feed) throws OrtException {
        try (OrtSession.RunOptions options = new OrtSession.RunOptions();
                BatchCall.Registration stop = BatchCall.current().onAbandoned(() -> terminate(options))) {
            OrtSession.Result run = sessionForThisCall().run(feed, options);
            NATIVE_VALUES_OPEN.incrementAndGet();
            try (OrtSession.Result result = run) {
                Map<String, Tensor> whole = new LinkedHashMap<>();
                for (Map.Entry<String, OnnxValue> e : result) {
                    if (!(e.getValue() instanceof OnnxTensor t)) {
                        throw new IllegalStateException("output '" + e.getKey() + "' is not a tensor");
                    }
                    TensorInfo info = t.getInfo();
                    // getByteBuffer copies ONNX Runtime's output to the Java heap once; the tensor keeps that copy.
                    whole.put(e.getKey(), TensorBatch.owned(e.getKey(), OnnxTypes.dataType(e.getKey(), info.type),
                            info.getShape(), t.getByteBuffer()));
                }
                return whole;
            } finally {
                NATIVE_VALUES_OPEN.decrementAndGet();
            }
        }
    }

    /**
     * The wide session when this call was lent the CPUs it was opened for ({@link BatchCall#cpus()}),
     * otherwise the replica's own.
     */
    private OrtSession sessionForThisCall() {
        if (wide != null && BatchCall.current().cpus() >= wideThreads) {
            wideRuns.incrementAndGet();
            return wide;
        }
        return session;
    }

    /** Whether it opened a wide session (a second copy of the model) for calls lent idle CPUs. */
    boolean hasWideSession() {
        return wide != null;
    }

    /** Runs so far on the wide session (calls lent idle CPUs). */
    long wideRuns() {
        return wideRuns.get();
    }

    /** Whether the next batch's outputs may be written in place (false once a predicted shape proved wrong). */
    boolean pinsOutputs() {
        return pinned.on();
    }

    /** Runs so far whose outputs were written in place. */
    long pinnedRuns() {
        return pinned.runs();
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
            if (wide != null) {
                try {
                    wide.close();
                } finally {
                    wideOptions.close();
                }
            }
        }
    }

    @Override
    public String toString() {
        return "OnnxModel[" + settings.describe() + " on " + replica + "]";
    }

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
        private final Map<String, OnnxSettings.Follow> follows = new HashMap<>();
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
            follows.put(output, new OnnxSettings.Follow(outputDim, input, inputDim, Objects.requireNonNull(extent, "extent")));
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
            follows.put(output, new OnnxSettings.Follow(outputDim, input, inputDim, null));
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
                    return OnnxTypes.signature(session);
                }
            }
        }

        /**
         * Makes one session per replica, with the settings this builder has now: they are copied here, so a later
         * call on this builder changes neither the replicas running nor those the factory starts later.
         */
        public ModelFactory<Map<String, Tensor>, Map<String, Tensor>> factory() {
            OnnxSettings frozen = settings();
            return context -> new OnnxModel(frozen, Objects.requireNonNull(context, "context"));
        }

        /** Loads the model for one replica (or for direct use, with {@link ModelContext#forTest}), as set now. */
        public OnnxModel open(ModelContext context) throws OrtException {
            return new OnnxModel(settings(), Objects.requireNonNull(context, "context"));
        }

        private OnnxSettings settings() {
            return new OnnxSettings(file, bytes, pads, follows, cpuFallback, maxPadding);
        }
    }
}
