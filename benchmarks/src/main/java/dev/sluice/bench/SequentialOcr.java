package dev.sluice.bench;

import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.sluice.examples.ocr.CtcDecoder;
import dev.sluice.examples.ocr.ImageDecoder;
import dev.sluice.examples.ocr.LineImages;
import dev.sluice.examples.ocr.OcrResult;
import dev.sluice.examples.ocr.OcrService;
import dev.sluice.examples.ocr.TextDetector;
import dev.sluice.tensor.Tensor;
import java.awt.image.BufferedImage;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The baseline of {@link OcrBenchmark}: the OCR service's work written as a careful engineer would without a
 * serving library. One thread reads one page from start to end, calling ONNX Runtime directly on sessions it
 * owns: the detector once, then the direction classifier once with all of the page's lines stacked, then the
 * recognizer once per width bucket with that bucket's lines stacked (the buckets {@link LineImages} pads to,
 * run separately and at most {@link OcrService#recognizerRunWidth()} pixels of lines a run, as the service's
 * {@code WidthGroupedModel} does, so every line reads as it does there and no run grows past what pays).
 * Between the model calls it runs exactly the plain-Java steps the service's pipeline runs, the same instances
 * with the same settings ({@link OcrService#imageDecoder()} and the others), and builds the result as the
 * pipeline's "orient" and "read" steps do. So the two differ only in how the models are called: here each
 * page's lines form the batches and nothing waits; in the service lines of all pages in flight share them.
 *
 * <p>This is the strong baseline: batching a page's own lines is free (no waiting) and already gives the
 * classifier and recognizer most of what batching can give them on a CPU; a weaker one would run each line
 * alone.
 *
 * <p>Thread-safe (immutable); each thread needs its own {@link Sessions}.
 */
final class SequentialOcr {

    /**
     * One thread's ONNX Runtime sessions of the three models, each with one intra-op and one inter-op thread (as
     * {@code OnnxModel} opens a replica whose calls hold one CPU). Not thread-safe.
     */
    static final class Sessions implements AutoCloseable {
        private final OrtEnvironment env = OrtEnvironment.getEnvironment();
        private final OrtSession.SessionOptions options = new OrtSession.SessionOptions();
        private final List<OrtSession> open = new ArrayList<>();
        final OrtSession detector;
        final OrtSession classifier;
        final OrtSession recognizer;

        Sessions(Path models) throws OrtException {
            try {
                options.setIntraOpNumThreads(1);
                options.setInterOpNumThreads(1);
                detector = open(models.resolve(OcrService.DETECTOR));
                classifier = open(models.resolve(OcrService.CLASSIFIER));
                recognizer = open(models.resolve(OcrService.RECOGNIZER));
            } catch (OrtException | RuntimeException e) {
                close();
                throw e;
            }
        }

        private OrtSession open(Path model) throws OrtException {
            OrtSession s = env.createSession(model.toString(), options);
            open.add(s);
            return s;
        }

        /** Runs {@code session} on one input, {@code data} in native order with {@code shape}; returns the first output. */
        Output run(OrtSession session, ByteBuffer data, long[] shape) throws OrtException {
            String input = session.getInputNames().iterator().next();
            try (OnnxTensor in = OnnxTensor.createTensor(env, direct(data), shape, OnnxJavaType.FLOAT);
                    OrtSession.Result result = session.run(Map.of(input, in))) {
                OnnxTensor out = (OnnxTensor) result.get(0);
                FloatBuffer values = out.getFloatBuffer(); // a heap copy: the one copy a Java caller must make
                float[] array = values.hasArray() && values.arrayOffset() == 0 && values.array().length == values.remaining()
                        ? values.array() : copy(values);
                return new Output(out.getInfo().getShape(), array);
            }
        }

        private static float[] copy(FloatBuffer values) {
            float[] a = new float[values.remaining()];
            values.get(a);
            return a;
        }

        @Override
        public void close() throws OrtException {
            OrtException failure = null;
            for (OrtSession s : open) {
                try {
                    s.close();
                } catch (OrtException e) {
                    failure = failure == null ? e : failure;
                }
            }
            options.close();
            if (failure != null) {
                throw failure;
            }
        }
    }

    /** A model's first output: its shape and values, row-major. */
    record Output(long[] shape, float[] values) {}

    private final ImageDecoder decoder;
    private final TextDetector text;
    private final LineImages lines;
    private final CtcDecoder ctc;
    private final double minFlipScore;
    private final int runWidth;
    private final BatchSizes runs;

    /**
     * @param service the service whose plain-Java steps (and settings) to run; its models are not used
     * @param runs told of every model call's size, by the service's deployment names ({@code det}, {@code cls},
     *     {@code rec}), so both sides' calls are counted alike
     */
    SequentialOcr(OcrService service, BatchSizes runs) {
        this.decoder = service.imageDecoder();
        this.text = service.textDetector();
        this.lines = service.lineImages();
        this.ctc = service.ctcDecoder();
        this.minFlipScore = service.minFlipScore();
        this.runWidth = service.recognizerRunWidth();
        this.runs = runs;
    }

    /** Reads one page on the calling thread with its sessions. */
    OcrResult read(Sessions s, byte[] png) throws OrtException {
        BufferedImage image = decoder.decode(png);
        Tensor detIn = only(text.input(image));
        Output map = s.run(s.detector, detIn.data(), detIn.shape());
        runs.record("det", 1);
        TextDetector.Regions regions = text.regions(map.values(), (int) map.shape()[3], (int) map.shape()[2]);
        List<LineImages.LineImage> cut = lines.cut(image, regions);
        if (cut.isEmpty()) {
            return new OcrResult(List.of());
        }

        // The classifier: every line of the page in one call ([rows, 3, 48, 192], a line's windows in a run of rows).
        List<Tensor> clsIn = new ArrayList<>(cut.size());
        for (LineImages.LineImage line : cut) {
            clsIn.add(only(lines.classifierInput(line)));
        }
        long[] clsShape = stackedShape(clsIn);
        Output cls = s.run(s.classifier, stack(clsIn), clsShape);
        runs.record("cls", cut.size());
        int perRow = (int) (cls.values().length / clsShape[0]);
        List<LineImages.LineImage> upright = new ArrayList<>(cut.size());
        int row = 0;
        for (int i = 0; i < cut.size(); i++) {
            int rows = (int) clsIn.get(i).dim(0);
            float[] p = Arrays.copyOfRange(cls.values(), row * perRow, (row + rows) * perRow);
            row += rows;
            Tensor own = Tensor.ofFloats("cls", new long[] {rows, perRow}, p);
            upright.add(LineImages.orient(cut.get(i), Map.of("cls", own), minFlipScore));
        }

        // The recognizer: per width bucket, the bucket's lines stacked ([n, 3, 48, W]), in runs of the service's width.
        List<Tensor> recIn = new ArrayList<>(upright.size());
        for (LineImages.LineImage line : upright) {
            recIn.add(only(lines.recognizerInput(line)));
        }
        Map<Long, List<Integer>> byWidth = new LinkedHashMap<>();
        for (int i = 0; i < recIn.size(); i++) {
            byWidth.computeIfAbsent(recIn.get(i).dim(3), w -> new ArrayList<>()).add(i);
        }
        CtcDecoder.Reading[] readings = new CtcDecoder.Reading[recIn.size()];
        for (Map.Entry<Long, List<Integer>> bucket : byWidth.entrySet()) {
            // As many of the bucket's lines a run as fit in the service's run width (at least one), as it runs them.
            List<Integer> lines = bucket.getValue();
            int perRun = (int) Math.max(1, Math.min(lines.size(), runWidth / bucket.getKey()));
            for (int from = 0; from < lines.size(); from += perRun) {
                List<Integer> group = lines.subList(from, Math.min(lines.size(), from + perRun));
                List<Tensor> run = new ArrayList<>(group.size());
                for (int i : group) {
                    run.add(recIn.get(i));
                }
                Output rec = s.run(s.recognizer, stack(run), stackedShape(run));
                runs.record("rec", group.size());
                int classes = (int) rec.shape()[2];
                int each = rec.values().length / group.size();
                for (int k = 0; k < group.size(); k++) {
                    readings[group.get(k)] = ctc.decode(Arrays.copyOfRange(rec.values(), k * each, (k + 1) * each), classes);
                }
            }
        }

        // As the pipeline's "read" step builds its result.
        List<OcrResult.Line> result = new ArrayList<>(upright.size());
        for (int i = 0; i < upright.size(); i++) {
            CtcDecoder.Reading r = readings[i];
            if (!r.text().isBlank()) {
                result.add(new OcrResult.Line(r.text().strip(), r.confidence(), upright.get(i).box()));
            }
        }
        return new OcrResult(result);
    }

    private static Tensor only(Map<String, Tensor> request) {
        if (request.size() != 1) {
            throw new IllegalStateException("expected one input tensor, got " + request.keySet());
        }
        return request.values().iterator().next();
    }

    /**
     * {@code data} in a direct buffer (native order), as ONNX Runtime reads it in place: copied when it is on the
     * heap (a tensor's data is; ONNX Runtime 1.23's {@code createTensor} fails on a read-only heap buffer).
     */
    static ByteBuffer direct(ByteBuffer data) {
        if (data.isDirect()) {
            return data;
        }
        ByteBuffer out = ByteBuffer.allocateDirect(data.remaining()).order(ByteOrder.nativeOrder());
        return out.put(data.duplicate()).flip();
    }

    /** The tensors' values one after the other, in one direct buffer (native order) that ONNX Runtime reads in place. */
    static ByteBuffer stack(List<Tensor> parts) {
        if (parts.size() == 1) {
            return parts.get(0).data();
        }
        int bytes = 0;
        for (Tensor t : parts) {
            bytes += t.data().remaining();
        }
        ByteBuffer out = ByteBuffer.allocateDirect(bytes).order(ByteOrder.nativeOrder());
        for (Tensor t : parts) {
            out.put(t.data());
        }
        return out.flip();
    }

    /** The shape of {@code parts} stacked along their first dimension (each {@code [rows, ...]}, the rest of one shape). */
    static long[] stackedShape(List<Tensor> parts) {
        long[] shape = parts.get(0).shape();
        long rows = 0;
        for (Tensor t : parts) {
            if (t.dim(0) < 1 || !Arrays.equals(Arrays.copyOfRange(t.shape(), 1, t.rank()),
                    Arrays.copyOfRange(shape, 1, shape.length))) {
                throw new IllegalArgumentException("cannot stack " + Arrays.toString(t.shape()) + " with "
                        + Arrays.toString(shape));
            }
            rows += t.dim(0);
        }
        shape[0] = rows;
        return shape;
    }
}
