package dev.sluice.xgboost;

import dev.sluice.Deployment;
import dev.sluice.Model;
import dev.sluice.ModelContext;
import dev.sluice.ModelFactory;
import dev.sluice.batching.InvalidInputException;
import dev.sluice.tensor.DataType;
import dev.sluice.tensor.Tensor;
import dev.sluice.tensor.TensorSignature;
import dev.sluice.tensor.TensorSpec;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import ml.dmlc.xgboost4j.java.XGBoostError;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An XGBoost model behind Sluice's batcher: one {@code Booster} per replica, loaded from XGBoost's own JSON or
 * UBJSON model file, with {@code nthread} set to the CPUs each of its calls holds
 * ({@link ModelContext#cpuThreads()}). A request is one row of
 * {@link Features} (in the model's order, or by feature name); a batch is scored in one call over one dense
 * {@code float[]} of all its rows, missing values {@code NaN}; each request gets its {@link Prediction}.
 *
 * <pre>{@code
 * XgboostModel.Builder fraud = XgboostModel.builder(Path.of("fraud.json")).withContributions();
 * DeploymentHandle<Features, Prediction> h = sluice.deploy(Deployment.builder("fraud", fraud.factory())
 *     .validator(fraud.info()::validate).build());
 * Prediction p = h.submit(Features.named(Map.of("amount", 912.5, "hour", 3))).join();
 * p.value();                     // the probability, for binary:logistic
 * p.contributions().top(3);      // the features that moved it most
 * }</pre>
 *
 * <p>For the Open Inference Protocol, {@link Builder#tensorFactory()} serves the same model over tensors: input
 * {@value #INPUT} {@code FP32 [-1, features]} (several rows per request allowed), output {@value #OUTPUT} (the
 * objective's values), and when asked for {@value #CLASS} ({@link Builder#withClass()}), {@value #MARGIN}
 * ({@link Builder#withMargin()}) and {@value #CONTRIBUTIONS} ({@link Builder#withContributions()});
 * {@link Builder#signature()} declares them, and {@link Builder#tensorDeployment(String)} makes the deployment
 * with its signature and a check of each request before it queues:
 *
 * <pre>{@code
 * sluice.deploy(XgboostModel.builder(Path.of("fraud.json")).withMargin().tensorDeployment("fraud")
 *     .batching(b -> b.maxBatchSize(64)).build());
 * }</pre>
 *
 * <p>Bad rows: {@link #predict} checks every row of a batch before scoring it (see {@link ModelInfo#validate}:
 * length, names, no infinite value) and throws {@link InvalidInputException} naming what was wrong, which the
 * batcher's failure isolation confines to that row's caller. A deployment can also refuse bad rows before they
 * join a batch with {@code validator(info::validate)}.
 *
 * <p>Batched and one-row scoring give the same floats: XGBoost scores each row on its own, summing its trees in
 * a fixed order, whatever else is in the batch.
 *
 * <p>Threading: a replica calls {@link #predict} from one thread at a time by default. With several ongoing batches
 * per replica they share its {@code Booster}, which XGBoost documents as predicting thread-safely (contributions
 * included) for tree models ({@code gbtree}, {@code dart}) since 1.4, not for {@code gblinear}.
 */
public final class XgboostModel implements Model<Features, Prediction> {
    private static final Logger LOG = LoggerFactory.getLogger(XgboostModel.class);

    /** The tensor model's input: the rows, {@code FP32 [-1, features]}. */
    public static final String INPUT = "features";
    /** The tensor model's output of the objective's values, {@code FP32 [-1, outputCount]}. */
    public static final String OUTPUT = "prediction";
    /** The tensor model's margin output, {@code FP32 [-1, groupCount]}, when built {@link Builder#withMargin()}. */
    public static final String MARGIN = "margin";
    /**
     * The tensor model's feature contributions, when built {@link Builder#withContributions()}: {@code FP32
     * [-1, features + 1]} (the bias last), or {@code [-1, groupCount, features + 1]} for several margin groups.
     */
    public static final String CONTRIBUTIONS = "contributions";
    /**
     * The tensor model's predicted class per row, {@code INT64 [-1]}, when built {@link Builder#withClass()}: as
     * {@link Prediction#predictedClass()} gives it.
     */
    public static final String CLASS = "class";

    private final BoosterReplica booster;
    private final String replica;
    private final String source;

    private XgboostModel(Settings s, ModelContext ctx) throws IOException {
        this.booster = s.open(ctx.cpuThreads());
        this.replica = ctx.replicaId();
        this.source = s.source.describe();
        LOG.info("Replica {} loaded XGBoost model {}: {}", replica, source, booster.info());
    }

    /** What the model takes and gives. */
    public ModelInfo info() {
        return booster.info();
    }

    /**
     * Scores a batch: one {@link Prediction} per row, in order.
     *
     * @throws InvalidInputException if a row does not fit the model (see {@link ModelInfo#validate}); no row is
     *     scored then
     * @throws XGBoostError if XGBoost fails
     */
    @Override
    public List<Prediction> predict(List<Features> batch) throws XGBoostError {
        ModelInfo info = booster.info();
        int features = info.featureCount();
        int n = batch.size();
        float[] data = new float[Math.multiplyExact(n, features)];
        for (int i = 0; i < n; i++) {
            info.fill(batch.get(i), data, i * features); // a bad row fails the batch; the batcher isolates it
        }
        BoosterReplica.Scores scores = booster.score(data, n);
        List<Prediction> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            out.add(new Prediction(info, scores.values()[i], scores.margin() == null ? null : scores.margin()[i],
                    scores.contributions() == null ? null : scores.contributions()[i]));
        }
        return out;
    }

    @Override
    public void close() {
        booster.close();
    }

    @Override
    public String toString() {
        return "XgboostModel[" + source + " on " + replica + "]";
    }

    /** A model file to load: XGBoost's JSON ({@code .json}) or UBJSON ({@code .ubj}), told apart by content. */
    public static Builder builder(Path file) {
        return new Builder(new BoosterReplica.Source(Objects.requireNonNull(file, "file"), null));
    }

    /** A model in memory: the bytes of XGBoost's JSON or UBJSON model (copied). */
    public static Builder builder(byte[] model) {
        return new Builder(new BoosterReplica.Source(null, Objects.requireNonNull(model, "model").clone()));
    }

    /** The builder's settings, frozen when a factory is made. */
    private record Settings(BoosterReplica.Source source, List<String> featureNames, boolean margin,
            boolean contributions, boolean predictedClass) {
        BoosterReplica open(int threads) throws IOException {
            return BoosterReplica.open(source, featureNames, margin, contributions, threads);
        }
    }

    /** Settings for {@link XgboostModel}; every setter validates at once and names what it refuses. */
    public static final class Builder {
        private final BoosterReplica.Source source;
        private List<String> featureNames;
        private boolean margin;
        private boolean contributions;
        private boolean predictedClass;
        /** What {@link #info()} read, for the feature names set now; null until it is read. */
        private ModelInfo loaded;

        private Builder(BoosterReplica.Source source) {
            this.source = source;
        }

        /** Also compute each row's margin (the raw score; one more pass over the trees per batch). */
        public Builder withMargin() {
            this.margin = true;
            return this;
        }

        /**
         * Also compute each row's feature contributions (XGBoost's {@code pred_contribs}, SHAP values). They cost
         * far more than the prediction itself (tens of times, for deep trees): ask for them only where they are
         * read.
         */
        public Builder withContributions() {
            this.contributions = true;
            return this;
        }

        /**
         * Also give, over tensors, each row's predicted class as output {@value #CLASS} ({@code INT64 [-1]}), as
         * {@link Prediction#predictedClass()} computes it from the objective's values (no extra pass over the
         * trees). Only for a model that {@link ModelInfo#predictsClass() predicts a class}: for any other,
         * {@link #signature()}, {@link #tensorDeployment} and the tensor factory refuse it naming the objective. The
         * row model is unchanged: its {@link Prediction#predictedClass()} answers either way.
         */
        public Builder withClass() {
            this.predictedClass = true;
            return this;
        }

        /**
         * Names the features, in the model's order, for a model saved without names (or to rename them): named
         * rows and contributions use these. The count is checked against the model when it loads.
         *
         * @throws IllegalArgumentException if a name is null, empty or given twice
         */
        public Builder featureNames(List<String> names) {
            List<String> copy = List.copyOf(Objects.requireNonNull(names, "names"));
            java.util.Set<String> seen = new java.util.HashSet<>();
            for (String n : copy) {
                if (n.isEmpty() || !seen.add(n)) {
                    throw new IllegalArgumentException("featureNames: '" + n + "' is " + (n.isEmpty() ? "empty"
                            : "given twice") + " in " + copy);
                }
            }
            this.featureNames = copy;
            this.loaded = null; // read again with these names
            return this;
        }

        /**
         * Loads the model once (and frees it) to read what it takes and gives: for a deployment's
         * {@code validator(info::validate)}, or to name the features. Read once per builder: later calls, and
         * {@link #signature()} and {@link #tensorDeployment}, reuse it (until {@link #featureNames} changes), so a
         * large model is not parsed again to describe it; each replica still loads the file itself.
         *
         * @throws IOException if the file cannot be read
         * @throws IllegalArgumentException naming the file if it is not a model XGBoost can load
         */
        public ModelInfo info() throws IOException {
            if (loaded == null) {
                try (BoosterReplica b = settings().open(1)) {
                    loaded = b.info();
                }
            }
            return loaded;
        }

        /**
         * The tensor model's inputs and outputs (see {@link XgboostModel}), for a {@code Deployment.Builder.signature}
         * with {@link #tensorFactory()}; loads the model once to read its feature and output counts.
         *
         * @throws IOException if the file cannot be read
         * @throws IllegalArgumentException naming the file if it is not a model XGBoost can load, or the objective
         *     if the builder asks {@link #withClass()} of a model that predicts none
         */
        public TensorSignature signature() throws IOException {
            return signature(info(), margin, contributions, predictedClass);
        }

        static TensorSignature signature(ModelInfo info, boolean margin, boolean contributions,
                boolean predictedClass) {
            long features = info.featureCount();
            List<TensorSpec> outputs = new ArrayList<>();
            outputs.add(new TensorSpec(OUTPUT, DataType.FP32, new long[] {-1, info.outputCount()}));
            if (predictedClass) {
                if (!info.predictsClass()) {
                    throw new IllegalArgumentException("output '" + CLASS + "': objective " + info.objective()
                            + " with " + info.outputCount() + " output(s) predicts no class (only binary:logistic,"
                            + " binary:logitraw, binary:hinge, multi:softmax and multi:softprob do)");
                }
                outputs.add(new TensorSpec(CLASS, DataType.INT64, new long[] {-1}));
            }
            if (margin) {
                outputs.add(new TensorSpec(MARGIN, DataType.FP32, new long[] {-1, info.groupCount()}));
            }
            if (contributions) {
                outputs.add(new TensorSpec(CONTRIBUTIONS, DataType.FP32, info.groupCount() == 1
                        ? new long[] {-1, features + 1} : new long[] {-1, info.groupCount(), features + 1}));
            }
            return new TensorSignature(List.of(new TensorSpec(INPUT, DataType.FP32, new long[] {-1, features})), outputs);
        }

        /**
         * Loads one {@code Booster} per replica, with the settings this builder has now (a later change to this
         * builder changes no replica).
         */
        public ModelFactory<Features, Prediction> factory() {
            Settings frozen = settings();
            return context -> new XgboostModel(frozen, Objects.requireNonNull(context, "context"));
        }

        /**
         * Like {@link #factory()}, over tensors ({@code Map<String, Tensor>} in and out; see {@link XgboostModel}),
         * for the Open Inference Protocol. Declare {@link #signature()} on the deployment.
         */
        public ModelFactory<Map<String, Tensor>, Map<String, Tensor>> tensorFactory() {
            Settings frozen = settings();
            return context -> {
                BoosterReplica booster = frozen.open(Objects.requireNonNull(context, "context").cpuThreads());
                try {
                    return new XgboostTensorModel(booster, frozen.predictedClass, context.replicaId(),
                            frozen.source.describe());
                } catch (RuntimeException e) {
                    booster.close();
                    throw e;
                }
            };
        }

        /**
         * A tensor deployment of this model named {@code name}, for the Open Inference Protocol: the
         * {@link #tensorFactory()}, its {@link #signature()}, and a check of each request on the caller's thread
         * before it joins the queue: the signature's, rows as wide as the model (the message lists its features),
         * and no infinite value (the message names the row and the feature; NaN is a missing value). A bad
         * request fails alone with {@link InvalidInputException} and never reaches a batch. Batching, replicas
         * and resources are the caller's to set on the builder returned.
         *
         * @throws IOException if the file cannot be read
         * @throws IllegalArgumentException as {@link #signature()} does
         */
        public Deployment.Builder<Map<String, Tensor>, Map<String, Tensor>> tensorDeployment(String name)
                throws IOException {
            Objects.requireNonNull(name, "name");
            ModelInfo info = info();
            TensorSignature signature = signature();
            // signature() installs the signature's own check; validator() replaces it with one that runs it too.
            return Deployment.<Map<String, Tensor>, Map<String, Tensor>>builder(name, tensorFactory())
                    .signature(signature)
                    .validator(request -> XgboostTensorModel.check(info, signature, request));
        }

        /** Loads the model for one replica (or for direct use, with {@link ModelContext#forTest}), as set now. */
        public XgboostModel open(ModelContext context) throws IOException {
            return new XgboostModel(settings(), Objects.requireNonNull(context, "context"));
        }

        private Settings settings() {
            return new Settings(source, featureNames, margin, contributions, predictedClass);
        }
    }
}
