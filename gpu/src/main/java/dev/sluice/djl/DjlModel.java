package dev.sluice.djl;

import ai.djl.Device;
import ai.djl.inference.Predictor;
import ai.djl.repository.zoo.Criteria;
import ai.djl.repository.zoo.ZooModel;
import ai.djl.translate.Translator;
import dev.sluice.Model;
import dev.sluice.ModelContext;
import dev.sluice.ModelFactory;
import dev.sluice.Placement;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A DJL model behind Sluice's batcher: each replica loads its own {@link ZooModel} on the device of its
 * placement ({@code Device.gpu(index)} on a GPU, the CPU otherwise) and runs batches through
 * {@link Predictor#batchPredict}, so the {@link Translator}'s batchifier stacks and splits them. DJL's
 * predictors are not thread-safe: each replica thread gets its own, all closed with the replica.
 *
 * <p>DJL's ONNX Runtime engine is inference-only: its NDArrays cannot {@code stack}, so with it the
 * translator's batchifier must stack in Java (or use a hybrid engine); {@code Batchifier.STACK} fails there.
 * That engine also insists on creating the process's one ONNX Runtime environment: in a JVM that uses
 * {@code OnnxModel} as well, start DJL's engine first ({@code Engine.getEngine("OnnxRuntime")}), or it fails
 * with "an OrtEnvironment already exists".
 *
 * <pre>{@code
 * ModelFactory<float[], float[]> f = DjlModel.builder(Path.of("model.onnx"), float[].class, float[].class, translator)
 *     .engine("OnnxRuntime").factory();
 * }</pre>
 *
 * @param <I> input type
 * @param <O> output type
 */
public final class DjlModel<I, O> implements Model<I, O> {
    private static final Logger LOG = LoggerFactory.getLogger(DjlModel.class);

    private final ZooModel<I, O> model;
    private final String replica;
    private final List<Predictor<I, O>> predictors = new ArrayList<>();
    private final ThreadLocal<Predictor<I, O>> predictor;

    private DjlModel(Builder<I, O> b, ModelContext ctx) throws Exception {
        this.replica = ctx.replicaId();
        Device device = device(ctx.placement());
        Criteria.Builder<I, O> criteria = Criteria.builder().setTypes(b.input, b.output)
                .optModelPath(b.path).optTranslator(b.translator).optDevice(device);
        if (b.engine != null) {
            criteria.optEngine(b.engine);
        }
        this.model = criteria.build().loadModel();
        this.predictor = ThreadLocal.withInitial(() -> {
            Predictor<I, O> p = model.newPredictor();
            synchronized (predictors) {
                predictors.add(p);
            }
            return p;
        });
        LOG.info("Replica {} loaded DJL model {} on {}", replica, b.path.getFileName(), device);
    }

    /** The DJL device of a placement: its first GPU, or the CPU. */
    static Device device(Placement placement) {
        return placement.gpus().isEmpty() ? Device.cpu() : Device.gpu(placement.gpus().get(0).device().index());
    }

    @Override
    public List<O> predict(List<I> batch) throws Exception {
        return predictor.get().batchPredict(batch);
    }

    @Override
    public void close() {
        synchronized (predictors) {
            predictors.forEach(Predictor::close);
            predictors.clear();
        }
        model.close();
    }

    @Override
    public String toString() {
        return "DjlModel[" + model.getName() + " on " + replica + "]";
    }

    /** A model to load with DJL, and how (see {@link DjlModel}). */
    public static <I, O> Builder<I, O> builder(Path path, Class<I> input, Class<O> output, Translator<I, O> translator) {
        return new Builder<>(path, input, output, translator);
    }

    /** Settings for {@link DjlModel}. */
    public static final class Builder<I, O> {
        private final Path path;
        private final Class<I> input;
        private final Class<O> output;
        private final Translator<I, O> translator;
        private String engine;

        private Builder(Path path, Class<I> input, Class<O> output, Translator<I, O> translator) {
            this.path = Objects.requireNonNull(path, "path");
            this.input = Objects.requireNonNull(input, "input");
            this.output = Objects.requireNonNull(output, "output");
            this.translator = Objects.requireNonNull(translator, "translator");
        }

        /** The DJL engine by name (e.g. {@code "OnnxRuntime"}); default: DJL's choice for the model. */
        public Builder<I, O> engine(String name) {
            this.engine = Objects.requireNonNull(name, "name");
            return this;
        }

        /** Loads the model once per replica. */
        public ModelFactory<I, O> factory() {
            return this::open;
        }

        /** Loads the model for one replica (or for direct use, with {@link ModelContext#forTest}). */
        public DjlModel<I, O> open(ModelContext context) throws Exception {
            return new DjlModel<>(this, Objects.requireNonNull(context, "context"));
        }
    }
}
