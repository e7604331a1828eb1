package dev.sluice.grpc;

import dev.sluice.grpc.proto.ModelInferRequest;
import dev.sluice.tensor.Tensor;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * One inference request for {@link OipGrpcClient}: a model (and optionally its version), input tensors, the
 * outputs wanted (none named: all), parameters, and how the inputs travel: as raw contents (the default: the
 * tensors' bytes as they are, little-endian) or as typed contents (one protobuf field per element type; FP16
 * inputs always travel raw, so a request with one sends every input raw). Immutable.
 */
public final class InferRequest {
    private final String model;
    private final String version;
    private final String id;
    private final List<Tensor> inputs;
    private final List<String> outputs;
    private final Map<String, Object> parameters;
    private final boolean raw;

    private InferRequest(Builder b) {
        this.model = b.model;
        this.version = b.version;
        this.id = b.id;
        this.inputs = List.copyOf(b.inputs.values());
        this.outputs = List.copyOf(b.outputs);
        this.parameters = Collections.unmodifiableMap(new LinkedHashMap<>(b.parameters));
        this.raw = b.raw || inputs.stream().anyMatch(t -> !TensorCodec.hasContentsField(t.dataType()));
    }

    /** A request to {@code model}, the version it serves. */
    public static Builder builder(String model) {
        return new Builder(model);
    }

    public String model() {
        return model;
    }

    /** The version asked for, or "" for the one the server serves. */
    public String version() {
        return version;
    }

    /** The request's id, echoed in the response, or "". */
    public String id() {
        return id;
    }

    public List<Tensor> inputs() {
        return inputs;
    }

    /** The outputs asked for; empty for all. */
    public List<String> outputs() {
        return outputs;
    }

    public Map<String, Object> parameters() {
        return parameters;
    }

    /** Whether the inputs travel as raw contents. */
    public boolean rawContents() {
        return raw;
    }

    /** The protocol's message. */
    ModelInferRequest toMessage() {
        ModelInferRequest.Builder m = ModelInferRequest.newBuilder().setModelName(model).setModelVersion(version)
                .setId(id).putAllParameters(Parameters.of(parameters));
        for (Tensor t : inputs) {
            ModelInferRequest.InferInputTensor.Builder in = ModelInferRequest.InferInputTensor.newBuilder()
                    .setName(t.name()).setDatatype(t.dataType().oipName());
            for (long d : t.shape()) {
                in.addShape(d);
            }
            if (raw) {
                m.addRawInputContents(TensorCodec.raw(t));
            } else {
                in.setContents(TensorCodec.contents(t));
            }
            m.addInputs(in);
        }
        for (String o : outputs) {
            m.addOutputs(ModelInferRequest.InferRequestedOutputTensor.newBuilder().setName(o));
        }
        return m.build();
    }

    @Override
    public String toString() {
        return "InferRequest[" + model + (version.isEmpty() ? "" : " v" + version) + ", inputs " + inputs
                + (outputs.isEmpty() ? "" : ", outputs " + outputs) + "]";
    }

    /** Builds an {@link InferRequest}; each setter checks its value and names it when refused. */
    public static final class Builder {
        private final String model;
        private String version = "";
        private String id = "";
        private final Map<String, Tensor> inputs = new LinkedHashMap<>();
        private final List<String> outputs = new ArrayList<>();
        private final Map<String, Object> parameters = new LinkedHashMap<>();
        private boolean raw = true;

        private Builder(String model) {
            if (model == null || model.isEmpty()) {
                throw new IllegalArgumentException("model must be a non-empty name, was " + model);
            }
            this.model = model;
        }

        /** The model version to run; default: the one the server serves. */
        public Builder version(String version) {
            this.version = Objects.requireNonNull(version, "version");
            return this;
        }

        /** An id the response echoes. */
        public Builder id(String id) {
            this.id = Objects.requireNonNull(id, "id");
            return this;
        }

        /** Adds an input; its name is the model's input name. */
        public Builder input(Tensor input) {
            Objects.requireNonNull(input, "input");
            if (inputs.putIfAbsent(input.name(), input) != null) {
                throw new IllegalArgumentException("input '" + input.name() + "' is given twice");
            }
            return this;
        }

        /** Adds inputs, in order. */
        public Builder inputs(Collection<Tensor> inputs) {
            inputs.forEach(this::input);
            return this;
        }

        /** Asks for an output by name (none asked: all of them). */
        public Builder output(String name) {
            if (name == null || name.isEmpty()) {
                throw new IllegalArgumentException("an output needs a name, was " + name);
            }
            if (outputs.contains(name)) {
                throw new IllegalArgumentException("output '" + name + "' is asked for twice");
            }
            outputs.add(name);
            return this;
        }

        /**
         * A request parameter: a Boolean, a whole number (sent as int64), a Double or Float, or a String.
         * {@code timeout_ms} bounds the request's wait for a replica on a Sluice server.
         */
        public Builder parameter(String name, Object value) {
            Objects.requireNonNull(name, "name");
            Parameters.of(name, value); // checks the type now
            parameters.put(name, value);
            return this;
        }

        /** Whether inputs travel as raw contents (default) or as typed contents. */
        public Builder rawContents(boolean raw) {
            this.raw = raw;
            return this;
        }

        /**
         * The request.
         *
         * @throws IllegalStateException if it has no input
         */
        public InferRequest build() {
            if (inputs.isEmpty()) {
                throw new IllegalStateException("a request to '" + model + "' needs at least one input");
            }
            return new InferRequest(this);
        }
    }
}
