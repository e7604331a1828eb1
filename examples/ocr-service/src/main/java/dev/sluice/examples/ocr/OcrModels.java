package dev.sluice.examples.ocr;

import ai.onnxruntime.OrtException;
import dev.sluice.Deployment;
import dev.sluice.DeploymentHandle;
import dev.sluice.ModelFactory;
import dev.sluice.Resources;
import dev.sluice.Sluice;
import dev.sluice.onnx.OnnxModel;
import dev.sluice.tensor.Tensor;
import dev.sluice.tensor.TensorSignature;
import dev.sluice.tensor.TensorSpec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Some or all of the OCR service's three models, {@value #DET}, {@value #CLS} and {@value #REC}, deployed in a Sluice
 * runtime with the settings of an {@link OcrService.Builder}. An {@link OcrService} deploys those it was not given
 * as handles; a worker of the OCR cluster deploys only its own ({@link OcrService.Builder#buildModels}), which the
 * runtime's transports (the starter's REST and gRPC) then serve, and an entry elsewhere calls them through
 * {@code RemoteDeployment}s.
 *
 * <p>{@link #close()} undeploys what it deployed from a runtime it was given, which stays open, or closes the
 * runtime it made; what was admitted finishes first. Thread-safe.
 */
public final class OcrModels implements AutoCloseable {
    /** The detector's deployment name. */
    public static final String DET = "det";
    /** The direction classifier's deployment name. */
    public static final String CLS = "cls";
    /** The recognizer's deployment name. */
    public static final String REC = "rec";
    /** The three, in the order the pipeline calls them. */
    public static final List<String> ALL = List.of(DET, CLS, REC);

    private final Sluice sluice;
    private final boolean ownsSluice;
    /** By name, in the order deployed. */
    private final Map<String, DeploymentHandle<Map<String, Tensor>, Map<String, Tensor>>> handles;
    private final AtomicBoolean closed = new AtomicBoolean();

    private OcrModels(Sluice sluice, boolean ownsSluice,
            Map<String, DeploymentHandle<Map<String, Tensor>, Map<String, Tensor>>> handles) {
        this.sluice = sluice;
        this.ownsSluice = ownsSluice;
        this.handles = handles;
    }

    /**
     * Deploys {@code names} (a subset of {@link #ALL}) with {@code b}'s settings into {@code b}'s runtime, or one of
     * its own, and waits until they run. A failure undeploys what was deployed (or closes the runtime it made).
     */
    static OcrModels deploy(OcrService.Builder b, ModelFiles files, Collection<String> names)
            throws InterruptedException, TimeoutException {
        for (String n : names) {
            requireKnown(n);
        }
        boolean owns = b.sluice == null;
        // Replicas take no CPU of their own: the runtime's budget of this machine's cores is what limits how
        // many model calls of the deployments run at once, however many replicas there are.
        Sluice sluice = owns ? Sluice.builder().resources(Resources.detect()).build() : b.sluice;
        Map<String, DeploymentHandle<Map<String, Tensor>, Map<String, Tensor>>> deployed = new LinkedHashMap<>();
        try {
            for (String n : ALL) { // in the pipeline's order, whatever the order asked
                if (!names.contains(n)) {
                    continue;
                }
                DeploymentHandle<Map<String, Tensor>, Map<String, Tensor>> h = sluice.deploy(deployment(b, files, n));
                deployed.put(n, h);
            }
            for (DeploymentHandle<?, ?> h : deployed.values()) {
                h.awaitReady(b.startTimeout);
            }
        } catch (RuntimeException | InterruptedException | TimeoutException e) {
            if (owns) {
                sluice.close();
            } else {
                undeploy(sluice, List.copyOf(deployed.keySet()), e);
            }
            throw e;
        }
        return new OcrModels(sluice, owns, deployed);
    }

    private static Deployment<Map<String, Tensor>, Map<String, Tensor>> deployment(OcrService.Builder b, ModelFiles f,
            String name) {
        return switch (name) {
            case DET -> Deployment.<Map<String, Tensor>, Map<String, Tensor>>builder(DET, f.det.factory())
                    .signature(f.detSignature)
                    // Images differ in size, so detector requests are not stacked: one image per call.
                    .batching(x -> x.maxBatchSize(1))
                    .replicas(b.detectorReplicasMin, b.detectorReplicasMax)
                    // A detector call alone on the machine borrows idle CPUs (a second session with more threads):
                    // on 2 cores it took 62 ms instead of 84. The other two models gain nothing from a second thread.
                    .resources(r -> r.cpus(1).burstCpus(b.detectorBurstCpus))
                    .build();
            case CLS -> Deployment.<Map<String, Tensor>, Map<String, Tensor>>builder(CLS, f.cls.factory())
                    .signature(f.clsSignature)
                    .batching(x -> x.maxBatchSize(b.maxBatchSize).maxDelay(b.maxDelay))
                    .replicas(b.classifierReplicas)
                    .resources(r -> r.cpus(1))
                    .build();
            case REC -> {
                OnnxModel.Builder rec = f.rec;
                String recIn = f.recIn;
                String recOut = f.recOut;
                int runWidth = b.recognizerRunWidth;
                ModelFactory<Map<String, Tensor>, Map<String, Tensor>> recFactory =
                        ctx -> new WidthGroupedModel(rec.open(ctx), recIn, runWidth, recOut);
                yield Deployment.<Map<String, Tensor>, Map<String, Tensor>>builder(REC, recFactory)
                        .signature(f.recAnswers)
                        .batching(x -> x.maxBatchSize(b.maxBatchSize).maxDelay(b.maxDelay))
                        .replicas(b.recognizerReplicas)
                        .resources(r -> r.cpus(1))
                        .build();
            }
            default -> throw new IllegalArgumentException(unknown(name));
        };
    }

    static void requireKnown(String name) {
        if (!ALL.contains(name)) {
            throw new IllegalArgumentException(unknown(name));
        }
    }

    private static String unknown(String name) {
        return "'" + name + "' is not one of the OCR models " + String.join(", ", ALL);
    }

    /**
     * Undeploys in reverse order, each even if an earlier one failed. Failures are added to {@code failure}
     * when there is one, and otherwise the first is thrown (the others suppressed in it).
     */
    static void undeploy(Sluice sluice, List<String> names, Throwable failure) {
        RuntimeException first = null;
        for (int i = names.size() - 1; i >= 0; i--) {
            try {
                sluice.undeploy(names.get(i));
            } catch (RuntimeException e) {
                if (failure != null) {
                    failure.addSuppressed(e);
                } else if (first == null) {
                    first = e;
                } else {
                    first.addSuppressed(e);
                }
            }
        }
        if (first != null) {
            throw first;
        }
    }

    /** The names deployed, in the pipeline's order. */
    public List<String> names() {
        return List.copyOf(handles.keySet());
    }

    /** The deployment of {@code name}, if this deployed it. */
    public Optional<DeploymentHandle<Map<String, Tensor>, Map<String, Tensor>>> handle(String name) {
        return Optional.ofNullable(handles.get(name));
    }

    /** The runtime they run in (their own, or the one given to the builder). */
    public Sluice sluice() {
        return sluice;
    }

    /**
     * Closes the runtime if this made it, or undeploys what it deployed from a runtime it was given; what was admitted
     * finishes first (within the runtime's close grace period). Blocks until then. Idempotent.
     */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        if (ownsSluice) {
            sluice.close();
        } else {
            undeploy(sluice, List.copyOf(handles.keySet()), null);
        }
    }

    @Override
    public String toString() {
        return "OcrModels" + handles.keySet();
    }

    /**
     * What the model files say: the three models' signatures, the recognizer's dictionary, and the builders that open
     * them. Read by every process of the service, also by an entry that calls all three models remotely (it needs
     * their tensor names and the dictionary; opening a model for its signature loads it only for that moment).
     */
    static final class ModelFiles {
        final OnnxModel.Builder det;
        final OnnxModel.Builder cls;
        final OnnxModel.Builder rec;
        final TensorSignature detSignature;
        final TensorSignature clsSignature;
        /**
         * What the recognizer's deployment answers, and so what its metadata over the Open Inference Protocol says:
         * each step's best class and its probability, not the model file's [batch, steps, classes].
         */
        final TensorSignature recAnswers;
        final String recIn;
        final String recOut;
        final CtcDecoder ctc;

        private ModelFiles(Path dir) throws OrtException, IOException {
            Path detFile = model(dir, OcrService.DETECTOR);
            Path clsFile = model(dir, OcrService.CLASSIFIER);
            Path recFile = model(dir, OcrService.RECOGNIZER);
            this.ctc = CtcDecoder.load(model(dir, OcrService.DICTIONARY));
            this.det = OnnxModel.builder(detFile);
            this.detSignature = det.signature();
            this.cls = OnnxModel.builder(clsFile);
            this.clsSignature = cls.signature();
            TensorSignature recSignature = OnnxModel.builder(recFile).signature();
            this.recIn = recSignature.inputs().get(0).name();
            this.recOut = recSignature.outputs().get(0).name();
            long classes = recSignature.outputs().get(0).shape()[2];
            if (classes > 0 && classes != ctc.classes()) {
                throw new IllegalArgumentException(OcrService.RECOGNIZER + " gives " + classes + " classes, "
                        + OcrService.DICTIONARY + " makes " + ctc.classes()
                        + " (with blank and space): the two do not belong together");
            }
            // The recognizer gives one time step per 8 pixels of width ((W + 3) / 8 with its padding): each line's
            // output is cropped to its own width, so the padding of a batch with wider lines is never decoded.
            this.rec = OnnxModel.builder(recFile).follow(recOut, 1, recIn, 3, w -> Math.max(1, (w + 3) / 8));
            TensorSpec probabilities = recSignature.outputs().get(0);
            this.recAnswers = new TensorSignature(recSignature.inputs(), List.of(new TensorSpec(recOut,
                    probabilities.type(), new long[] {probabilities.shape()[0], probabilities.shape()[1], 2})));
        }

        static ModelFiles read(Path dir) throws OrtException, IOException {
            return new ModelFiles(dir);
        }

        /** The signature of {@code name}'s deployment, as a worker serves it. */
        TensorSignature signature(String name) {
            return switch (name) {
                case DET -> detSignature;
                case CLS -> clsSignature;
                case REC -> recAnswers;
                default -> throw new IllegalArgumentException(unknown(name));
            };
        }

        private static Path model(Path dir, String file) {
            Path p = dir.resolve(file);
            if (!Files.isRegularFile(p)) {
                throw new IllegalArgumentException("models: " + p + " does not exist; scripts/fetch-models.sh fetches"
                        + " the PaddleOCR models (the build runs it)");
            }
            return p;
        }
    }
}
