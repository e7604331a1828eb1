package dev.sluice.tensor;

import dev.sluice.batching.InvalidInputException;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The inputs and outputs of a tensor model, whose requests and results are maps from name to {@link Tensor}.
 * A deployment that declares one ({@code Deployment.Builder.signature}) has every request checked against it
 * before the request joins a batch, and is described by it to adapters (the Open Inference Protocol's model
 * metadata).
 *
 * @param inputs the inputs, each required, dimension 0 being the batch
 * @param outputs the outputs
 */
public record TensorSignature(List<TensorSpec> inputs, List<TensorSpec> outputs) {
    public TensorSignature {
        inputs = List.copyOf(inputs);
        outputs = List.copyOf(outputs);
        unique(inputs, "input");
        unique(outputs, "output");
    }

    private static void unique(List<TensorSpec> specs, String what) {
        Set<String> seen = new HashSet<>();
        for (TensorSpec s : specs) {
            if (!seen.add(s.name())) {
                throw new IllegalArgumentException("two " + what + "s are named '" + s.name() + "'");
            }
        }
    }

    public Optional<TensorSpec> input(String name) {
        return inputs.stream().filter(s -> s.name().equals(name)).findFirst();
    }

    public Optional<TensorSpec> output(String name) {
        return outputs.stream().filter(s -> s.name().equals(name)).findFirst();
    }

    public List<String> inputNames() {
        return inputs.stream().map(TensorSpec::name).toList();
    }

    public List<String> outputNames() {
        return outputs.stream().map(TensorSpec::name).toList();
    }

    /**
     * Checks one request: every input present with its type, rank and fixed dimensions (dimension 0, the
     * batch, may be anything), and no input the model does not take.
     *
     * @throws InvalidInputException naming the input and saying what was expected and what came
     */
    public void validate(Map<String, Tensor> request) {
        if (request == null) {
            throw new InvalidInputException("a request needs its input tensors " + inputNames());
        }
        for (TensorSpec spec : inputs) {
            Tensor t = request.get(spec.name());
            if (t == null) {
                throw new InvalidInputException("input '" + spec.name() + "' is missing; the model takes " + inputNames());
            }
            if (t.dataType() != spec.type()) {
                throw new InvalidInputException("input '" + spec.name() + "' is " + t.dataType() + ", the model takes "
                        + spec.type());
            }
            if (t.rank() != spec.rank()) {
                throw new InvalidInputException("input '" + spec.name() + "' has shape " + Arrays.toString(t.shape())
                        + ", the model takes rank " + spec.rank() + ": " + spec + " (-1: any)");
            }
            for (int d = 1; d < spec.rank(); d++) {
                if (spec.dim(d) >= 0 && spec.dim(d) != t.dim(d)) {
                    throw new InvalidInputException("input '" + spec.name() + "' has dimension " + d + " of " + t.dim(d)
                            + " " + Arrays.toString(t.shape()) + ", the model takes " + spec.dim(d));
                }
            }
        }
        if (request.size() != inputs.size()) {
            for (String name : request.keySet()) {
                if (input(name).isEmpty()) {
                    throw new InvalidInputException("input '" + name + "' is not one of the model's " + inputNames());
                }
            }
        }
    }
}
