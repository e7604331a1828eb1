package dev.sluice.examples.ocr;

import ai.onnxruntime.OrtException;
import dev.sluice.DeploymentHandle;
import dev.sluice.Sluice;
import dev.sluice.batching.InvalidInputException;
import dev.sluice.pipeline.Pipeline;
import dev.sluice.pipeline.PipelineStepException;
import dev.sluice.pipeline.Ref;
import dev.sluice.pipeline.Result;
import dev.sluice.pipeline.Task;
import dev.sluice.tensor.Tensor;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeoutException;

/**
 * Text recognition with the PaddleOCR models as one Sluice pipeline. Each image is decoded, read once by the
 * text detector, its text boxes found in plain Java, and every box cut out; then each line goes to the
 * direction classifier and the recognizer as a request of its own, so lines of all the images in flight
 * share those models' batches. The recognizer's output is decoded with its dictionary into text.
 *
 * <pre>{@code
 * try (OcrService ocr = OcrService.builder(OcrService.defaultModels()).build()) {
 *     Result<OcrResult> r = ocr.read(Files.readAllBytes(Path.of("receipt.png"))).join();
 *     System.out.print(r.value().toJsonLines());
 *     System.out.println(r.trace());
 * }
 * }</pre>
 *
 * <p>The three deployments are named {@code det}, {@code cls} and {@code rec}; the pipeline is named
 * {@code ocr}, with the steps {@value #STEPS}. Any of the three may be given as a handle instead
 * ({@link Builder#detector}, {@link Builder#classifier}, {@link Builder#recognizer}): a {@code RemoteDeployment} of
 * workers that serve it ({@link Builder#buildModels}), so the pipeline runs in an entry service and the models in
 * pools of their own; the trace then names the server that answered each remote step.
 *
 * <p>Threading: thread-safe; {@link #read} never blocks.
 *
 * <p>Length: a little over 500 lines, on purpose: this is the example a reader opens to see a whole service
 * wired from public API (the pipeline's eleven steps, the builder); the three deployments, their start-up and
 * undeploy on failure are in {@link OcrModels}, and the image and text work it calls lives in the other classes of
 * this package.
 */
public final class OcrService implements AutoCloseable {
    /** The model files, as the PaddleOCR models package names them. */
    public static final String DETECTOR = "ch_PP-OCRv4_det_infer.onnx";
    public static final String CLASSIFIER = "ch_ppocr_mobile_v2.0_cls_infer.onnx";
    public static final String RECOGNIZER = "ch_PP-OCRv4_rec_infer.onnx";
    public static final String DICTIONARY = "ppocr_keys_v1.txt";
    static final String STEPS = "decode, detector input, detect, boxes, cut, classifier input, classify, orient,"
            + " recognizer input, recognize, read";

    /** The models it deployed itself (those it was not given as handles), and their runtime. */
    private final OcrModels local;
    private final DeploymentHandle<Map<String, Tensor>, Map<String, Tensor>> detector;
    private final DeploymentHandle<Map<String, Tensor>, Map<String, Tensor>> classifier;
    private final DeploymentHandle<Map<String, Tensor>, Map<String, Tensor>> recognizer;
    private final Pipeline<byte[], OcrResult> pipeline;
    private final ImageDecoder imageDecoder;
    private final TextDetector textDetector;
    private final LineImages lineImages;
    private final CtcDecoder ctcDecoder;
    private final double minFlipScore;
    private final int recognizerRunWidth;

    private OcrService(Builder b) throws OrtException, IOException, InterruptedException, TimeoutException {
        OcrModels.ModelFiles files = OcrModels.ModelFiles.read(b.models);
        CtcDecoder ctc = files.ctc;
        String recOut = files.recOut;
        List<String> toDeploy = new ArrayList<>();
        for (String name : OcrModels.ALL) {
            if (!b.given.containsKey(name)) {
                toDeploy.add(name);
            }
        }
        this.local = OcrModels.deploy(b, files, toDeploy);
        this.detector = handle(b, local, OcrModels.DET);
        this.classifier = handle(b, local, OcrModels.CLS);
        this.recognizer = handle(b, local, OcrModels.REC);

        ImageDecoder decoder = new ImageDecoder(b.maxPixels, b.maxSide);
        TextDetector text = new TextDetector(files.detSignature.inputs().get(0).name(), b.detectorMaxSide, b.detectorMaxPixels,
                b.pixelThreshold, b.boxThreshold, b.unclipRatio, 3);
        LineImages lines = new LineImages(files.clsSignature.inputs().get(0).name(), files.recIn, b.maxLineWidth, b.minLineWidth);
        double minFlipScore = b.minFlipScore;
        this.imageDecoder = decoder;
        this.textDetector = text;
        this.lineImages = lines;
        this.ctcDecoder = ctc;
        this.minFlipScore = minFlipScore;
        this.recognizerRunWidth = b.recognizerRunWidth;

        Pipeline.Builder<byte[]> p = Pipeline.builder("ocr");
        Ref<BufferedImage> image = p.step("decode").run(Task.blocking(decoder::decode), p.input());
        Ref<Map<String, Tensor>> detIn = p.step("detector input").apply(text::input, image);
        Ref<Map<String, Tensor>> detOut = p.step("detect").call(detector, detIn);
        Ref<TextDetector.Regions> regions = p.step("boxes").run(Task.blocking(text::regions), detOut);
        Ref<List<LineImages.LineImage>> cut = p.step("cut").apply(lines::cut, image, regions);
        Ref<List<Map<String, Tensor>>> clsIn = p.step("classifier input").apply(l -> map(l, lines::classifierInput), cut);
        Ref<List<Map<String, Tensor>>> clsOut = p.step("classify").each(classifier, clsIn);
        Ref<List<LineImages.LineImage>> upright = p.step("orient").apply((List<LineImages.LineImage> l,
                List<Map<String, Tensor>> o) -> {
            List<LineImages.LineImage> turned = new ArrayList<>(l.size());
            for (int i = 0; i < l.size(); i++) {
                turned.add(LineImages.orient(l.get(i), o.get(i), minFlipScore));
            }
            return turned;
        }, cut, clsOut);
        Ref<List<Map<String, Tensor>>> recIns = p.step("recognizer input").apply(l -> map(l, lines::recognizerInput), upright);
        Ref<List<Map<String, Tensor>>> recOuts = p.step("recognize").each(recognizer, recIns);
        Ref<OcrResult> read = p.step("read").apply((List<LineImages.LineImage> l, List<Map<String, Tensor>> o) -> {
            List<OcrResult.Line> result = new ArrayList<>(l.size());
            for (int i = 0; i < l.size(); i++) {
                CtcDecoder.Reading r = ctc.decode(o.get(i).get(recOut));
                if (!r.text().isBlank()) {
                    result.add(new OcrResult.Line(r.text().strip(), r.confidence(), l.get(i).box()));
                }
            }
            return new OcrResult(result);
        }, upright, recOuts);
        this.pipeline = p.build(read);
    }

    private static DeploymentHandle<Map<String, Tensor>, Map<String, Tensor>> handle(Builder b, OcrModels local,
            String name) {
        DeploymentHandle<Map<String, Tensor>, Map<String, Tensor>> given = b.given.get(name);
        return given != null ? given : local.handle(name).orElseThrow();
    }

    private static <A, B> List<B> map(List<A> in, java.util.function.Function<A, B> f) {
        List<B> out = new ArrayList<>(in.size());
        for (A a : in) {
            out.add(f.apply(a));
        }
        return out;
    }

    /** The models' directory the build fetches into: {@code $SLUICE_MODEL_CACHE} or {@code ~/.cache/sluice/models}, then {@code ocr-models-1.4.2}. */
    public static Path defaultModels() {
        String cache = System.getenv("SLUICE_MODEL_CACHE");
        Path base = cache != null && !cache.isBlank() ? Path.of(cache)
                : Path.of(System.getProperty("user.home"), ".cache", "sluice", "models");
        return base.resolve("ocr-models-1.4.2");
    }

    /** Settings for an {@link OcrService} whose models are in {@code models}. */
    public static Builder builder(Path models) {
        return new Builder(models);
    }

    /**
     * Reads the text in an image (PNG, JPEG, GIF or BMP bytes). Never blocks.
     *
     * @return a future of the lines read (none for an image without text) with the request's trace. It fails
     *     with {@link InvalidInputException} when the body is empty, not an image, or declares more pixels than
     *     allowed (nothing of it is decoded then); with {@link PipelineStepException} when a step failed
     *     otherwise (the step, its attempts, the trace); or with the runtime's {@code OverloadedException}
     */
    public CompletableFuture<Result<OcrResult>> read(byte[] image) {
        return unwrapInvalidInput(pipeline.submit(image));
    }

    /** Like {@link #read(byte[])}, with a deadline that bounds every step (and model call) of the request. */
    public CompletableFuture<Result<OcrResult>> read(byte[] image, Duration deadline) {
        return unwrapInvalidInput(pipeline.submit(image, deadline));
    }

    /** A bad image is the caller's error, not a failed step: fail with it, as a deployment would. */
    private static CompletableFuture<Result<OcrResult>> unwrapInvalidInput(CompletableFuture<Result<OcrResult>> f) {
        CompletableFuture<Result<OcrResult>> out = new CompletableFuture<>();
        f.whenComplete((r, e) -> {
            if (e == null) {
                out.complete(r);
                return;
            }
            Throwable cause = e instanceof CompletionException || e instanceof ExecutionException ? e.getCause() : e;
            InvalidInputException invalid = cause instanceof PipelineStepException ? invalidInput(cause) : null;
            if (invalid != null) {
                InvalidInputException refused = new InvalidInputException(invalid.getMessage(), invalid);
                refused.addSuppressed(cause); // keeps the step and its trace
                out.completeExceptionally(refused);
            } else {
                out.completeExceptionally(cause);
            }
        });
        out.whenComplete((r, e) -> {
            if (out.isCancelled()) {
                f.cancel(true);
            }
        });
        return out;
    }

    private static InvalidInputException invalidInput(Throwable e) {
        for (Throwable t = e; t != null && t.getCause() != t; t = t.getCause()) {
            if (t instanceof InvalidInputException invalid) {
                return invalid;
            }
        }
        return null;
    }

    /** The pipeline itself: its {@code submit} fails a bad image with a {@link PipelineStepException} of step {@code decode}. */
    public Pipeline<byte[], OcrResult> pipeline() {
        return pipeline;
    }

    public DeploymentHandle<Map<String, Tensor>, Map<String, Tensor>> detector() {
        return detector;
    }

    public DeploymentHandle<Map<String, Tensor>, Map<String, Tensor>> classifier() {
        return classifier;
    }

    /**
     * The recognizer's deployment. It answers each line's probabilities as each time step's best class and its
     * probability, [1, T, 2], which {@link CtcDecoder#decode(Tensor)} reads (a line's full [1, T, 6625] would hold
     * megabytes while the page's other lines are read); its signature, and so its metadata over the Open Inference
     * Protocol, says so.
     */
    public DeploymentHandle<Map<String, Tensor>, Map<String, Tensor>> recognizer() {
        return recognizer;
    }

    /**
     * The plain-Java steps this service's pipeline runs, with its settings: for code that runs the same steps
     * around other model calls (the benchmarks' sequential baseline). Immutable and thread-safe.
     */
    public ImageDecoder imageDecoder() {
        return imageDecoder;
    }

    /** The detector's input and the reading of its output, as the pipeline runs them (see {@link #imageDecoder()}). */
    public TextDetector textDetector() {
        return textDetector;
    }

    /** The cutting of lines and the classifier's and recognizer's inputs, as the pipeline makes them. */
    public LineImages lineImages() {
        return lineImages;
    }

    /** The recognizer's output decoder, with the service's dictionary. */
    public CtcDecoder ctcDecoder() {
        return ctcDecoder;
    }

    /** The classifier probability above which a line is turned by half a turn ({@link LineImages#orient}). */
    public double minFlipScore() {
        return minFlipScore;
    }

    /**
     * The most pixels of width of the lines stacked in one recognizer run (wider batches run in parts): for code that
     * calls the recognizer itself as the service does (the benchmarks' sequential baseline).
     */
    public int recognizerRunWidth() {
        return recognizerRunWidth;
    }

    /**
     * The runtime the models it deployed run in (the service's own, or the one it was given): also when it was given
     * all three as handles and so deployed none there.
     */
    public Sluice sluice() {
        return local.sluice();
    }

    /**
     * Closes the runtime if the service made it; undeploys the service's deployments from a runtime
     * given to the builder, which stays open. Either way what was admitted finishes first (within the
     * runtime's close grace period). Blocks until then. Handles given to the builder ({@link Builder#detector} and
     * the others) are left open: their owner closes them. Idempotent.
     */
    @Override
    public void close() {
        local.close(); // idempotent
    }

    /** Settings of an {@link OcrService}; each setter validates at once and names what it refuses. */
    public static final class Builder {
        // Package-private: OcrModels deploys with these settings.
        final Path models;
        Sluice sluice;
        /** Models called through a handle given instead of being deployed here, by name. */
        final Map<String, DeploymentHandle<Map<String, Tensor>, Map<String, Tensor>>> given = new LinkedHashMap<>();
        int detectorReplicasMin = 1;
        int detectorReplicasMax = 2;
        int detectorBurstCpus = 2;
        int classifierReplicas = 2;
        int recognizerReplicas = 2;
        int maxBatchSize = 32;
        Duration maxDelay = Duration.ofMillis(5);
        Duration startTimeout = Duration.ofSeconds(60);
        private long maxPixels = 40_000_000L;
        private int maxSide = 8192;
        private int detectorMaxSide = 4000;
        private long detectorMaxPixels = 6_000_000L;
        private double pixelThreshold = 0.3;
        private double boxThreshold = 0.6;
        private double unclipRatio = 1.5;
        private double minFlipScore = 0.9;
        private int maxLineWidth = 3200;
        private int minLineWidth = 320;
        int recognizerRunWidth = 1600;

        private Builder(Path models) {
            this.models = Objects.requireNonNull(models, "models");
        }

        /**
         * Deploys into this runtime, which the service then does not close: its {@link OcrService#close()}
         * undeploys what it deployed, as does a {@link #build()} that fails half-way. Default: a runtime of
         * its own.
         */
        public Builder sluice(Sluice runtime) {
            this.sluice = Objects.requireNonNull(runtime, "sluice");
            return this;
        }

        /**
         * Calls {@code handle} for the detector ({@value OcrModels#DET}) instead of deploying the model: a
         * {@code RemoteDeployment} of the workers that serve it, say. It must answer as the service's own deployment
         * does (any Sluice process of this service that deploys the model, such as {@code --sluice.ocr.models=det}).
         * The service does not close it.
         */
        public Builder detector(DeploymentHandle<Map<String, Tensor>, Map<String, Tensor>> handle) {
            return use(OcrModels.DET, handle);
        }

        /** Calls {@code handle} for the direction classifier ({@value OcrModels#CLS}); see {@link #detector}. */
        public Builder classifier(DeploymentHandle<Map<String, Tensor>, Map<String, Tensor>> handle) {
            return use(OcrModels.CLS, handle);
        }

        /**
         * Calls {@code handle} for the recognizer ({@value OcrModels#REC}); see {@link #detector}. It must answer
         * each step's best class and its probability, as {@link OcrService#recognizer()} does.
         */
        public Builder recognizer(DeploymentHandle<Map<String, Tensor>, Map<String, Tensor>> handle) {
            return use(OcrModels.REC, handle);
        }

        private Builder use(String name, DeploymentHandle<Map<String, Tensor>, Map<String, Tensor>> handle) {
            given.put(name, Objects.requireNonNull(handle, name));
            return this;
        }

        /**
         * The most pixels of width of the lines stacked in one recognizer run (at least one line a run): a batch of
         * wider lines is run in parts. Default 1600 (five lines of 320, one of 1440). For measurements.
         */
        Builder recognizerRunWidth(int pixels) {
            this.recognizerRunWidth = positive("recognizerRunWidth", pixels);
            return this;
        }

        /** The detector's replicas, autoscaled between min and max, each call on one CPU. Default 1 to 2. */
        public Builder detectorReplicas(int min, int max) {
            if (min < 1 || max < min) {
                throw new IllegalArgumentException("detectorReplicas: need 1 <= min <= max, was " + min + ", " + max);
            }
            this.detectorReplicasMin = min;
            this.detectorReplicasMax = max;
            return this;
        }

        /**
         * The CPUs a detector call may borrow in all when the others are idle (its replicas then run a second
         * ONNX Runtime session with this many threads); 1 never borrows. Default 2.
         */
        public Builder detectorBurstCpus(int n) {
            this.detectorBurstCpus = positive("detectorBurstCpus", n);
            return this;
        }

        /** The direction classifier's replicas, each call on one CPU. Default 2. */
        public Builder classifierReplicas(int n) {
            this.classifierReplicas = positive("classifierReplicas", n);
            return this;
        }

        /** The recognizer's replicas, each call on one CPU. Default 2. */
        public Builder recognizerReplicas(int n) {
            this.recognizerReplicas = positive("recognizerReplicas", n);
            return this;
        }

        /** The most lines in one classifier or recognizer batch. Default 32. */
        public Builder maxBatchSize(int n) {
            this.maxBatchSize = positive("maxBatchSize", n);
            return this;
        }

        /** How long a free classifier or recognizer replica waits for more lines. Default 5 ms. */
        public Builder maxDelay(Duration delay) {
            Objects.requireNonNull(delay, "maxDelay");
            if (delay.isNegative()) {
                throw new IllegalArgumentException("maxDelay must not be negative, was " + delay);
            }
            this.maxDelay = delay;
            return this;
        }

        /** How long {@link #build()} waits for every deployment's replicas to run. Default 60 s. */
        public Builder startTimeout(Duration timeout) {
            this.startTimeout = Objects.requireNonNull(timeout, "startTimeout");
            return this;
        }

        /**
         * The largest image decoded: at most {@code maxSide} pixels a side and {@code maxPixels} in all, read
         * from the image's header before decoding. Default 8192 a side, 40 megapixels.
         */
        public Builder maxImageSize(int maxSide, long maxPixels) {
            this.maxSide = positive("maxSide", maxSide);
            if (maxPixels < 1) {
                throw new IllegalArgumentException("maxPixels must be at least 1, was " + maxPixels);
            }
            this.maxPixels = maxPixels;
            return this;
        }

        /**
         * The detector sees an image at its own size, scaled down only when its long side is over this (a multiple of
         * 32) or it has more than {@link #detectorMaxPixels} pixels. Default 4000, PaddleOCR 3's limit. It was 960,
         * PaddleOCR 2's, which halved a 1920 px screenshot and shrank the 14 px text of a 1400 x 3000 page to 4 px,
         * below what the detector finds (issue 15). The detector's time and memory grow with the pixels it sees.
         */
        public Builder detectorMaxSide(int side) {
            if (side < 32 || side % 32 != 0) {
                throw new IllegalArgumentException("detectorMaxSide must be a multiple of 32, was " + side);
            }
            this.detectorMaxSide = side;
            return this;
        }

        /**
         * The most pixels the detector sees: a larger image is scaled down to about this many (see
         * {@link #detectorMaxSide}). Default 6,000,000: a 1400 x 3000 page or a 2560 x 1440 screen at its own size.
         */
        public Builder detectorMaxPixels(long pixels) {
            if (pixels < 32 * 32) {
                throw new IllegalArgumentException("detectorMaxPixels must be at least 1024, was " + pixels);
            }
            this.detectorMaxPixels = pixels;
            return this;
        }

        /**
         * How the detector's probability map is read: a pixel is text above {@code pixelThreshold}, a region
         * is kept when its box's mean probability is at least {@code boxThreshold}, and its box grows by
         * {@code area * unclipRatio / perimeter} on every side. Default 0.3, 0.6, 1.5 (PaddleOCR's).
         */
        public Builder detection(double pixelThreshold, double boxThreshold, double unclipRatio) {
            if (!(pixelThreshold > 0 && pixelThreshold < 1) || !(boxThreshold > 0 && boxThreshold <= 1)) {
                throw new IllegalArgumentException("detection: thresholds must be in (0, 1), were " + pixelThreshold
                        + ", " + boxThreshold);
            }
            if (!(unclipRatio >= 0)) {
                throw new IllegalArgumentException("detection: unclipRatio must not be negative, was " + unclipRatio);
            }
            this.pixelThreshold = pixelThreshold;
            this.boxThreshold = boxThreshold;
            this.unclipRatio = unclipRatio;
            return this;
        }

        /** A line is turned by half a turn when the classifier says so with more than this probability. Default 0.9. */
        public Builder minFlipScore(double score) {
            if (!(score >= 0.5 && score <= 1)) {
                throw new IllegalArgumentException("minFlipScore must be in [0.5, 1], was " + score);
            }
            this.minFlipScore = score;
            return this;
        }

        /**
         * Deploys only {@code names} (of {@value OcrModels#DET}, {@value OcrModels#CLS}, {@value OcrModels#REC}) with
         * these settings, and no pipeline: what a worker of the OCR cluster serves. Waits until they run; a failure
         * undeploys what was deployed. Handles given with {@link #detector} and the others play no part.
         *
         * @throws IllegalArgumentException naming a name that is not one of the three
         * @throws IllegalStateException if a model cannot be loaded, or does not start within the start timeout
         */
        public OcrModels buildModels(Collection<String> names) {
            List<String> asked = List.copyOf(names);
            for (String n : asked) {
                OcrModels.requireKnown(n);
            }
            return building(() -> OcrModels.deploy(this, OcrModels.ModelFiles.read(models), asked));
        }

        /**
         * Builds the service: deploys the models it was not given as handles and waits until they run.
         *
         * @throws IllegalStateException if a model cannot be loaded, or does not start within the start timeout
         */
        public OcrService build() {
            return building(() -> new OcrService(this));
        }

        private interface Start<T> {
            T start() throws OrtException, IOException, InterruptedException, TimeoutException;
        }

        private <T> T building(Start<T> start) {
            try {
                return start.start();
            } catch (OrtException e) {
                throw new IllegalStateException("a model under " + models + " cannot be loaded: " + e.getMessage(), e);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while the models started", e);
            } catch (TimeoutException e) {
                throw new IllegalStateException("the models did not start within the start timeout of "
                        + startTimeout.toMillis() + " ms: " + e.getMessage(), e);
            }
        }

        private static int positive(String field, int n) {
            if (n < 1) {
                throw new IllegalArgumentException(field + " must be at least 1, was " + n);
            }
            return n;
        }
    }
}
