package dev.sluice.grpc;

import dev.sluice.batching.InvalidInputException;
import dev.sluice.grpc.proto.ModelInferResponse;
import dev.sluice.tensor.Tensor;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.NoSuchElementException;

/**
 * The answer to an {@link InferRequest}.
 *
 * @param model the model that ran it
 * @param version the version that ran it
 * @param id the request's id, or ""
 * @param outputs the output tensors by name, in the response's order
 * @param parameters the response's parameters (see {@link InferRequest.Builder#parameter} for the Java types)
 */
public record InferResult(String model, String version, String id, Map<String, Tensor> outputs,
        Map<String, Object> parameters) {
    public InferResult {
        outputs = Collections.unmodifiableMap(new LinkedHashMap<>(outputs));
        parameters = Collections.unmodifiableMap(new LinkedHashMap<>(parameters));
    }

    /**
     * The output named {@code name}.
     *
     * @throws NoSuchElementException if the response has none of that name
     */
    public Tensor output(String name) {
        Tensor t = outputs.get(name);
        if (t == null) {
            throw new NoSuchElementException("the response has no output '" + name + "'; it has " + outputs.keySet());
        }
        return t;
    }

    /**
     * Reads a response message.
     *
     * @throws InvalidInputException if the message does not hold the tensors it describes
     */
    static InferResult of(ModelInferResponse r) {
        int n = r.getOutputsCount();
        int raw = r.getRawOutputContentsCount();
        if (raw != 0 && raw != n) {
            throw new InvalidInputException("the response has " + raw + " raw_output_contents for " + n + " outputs");
        }
        Map<String, Tensor> outputs = new LinkedHashMap<>();
        for (int i = 0; i < n; i++) {
            ModelInferResponse.InferOutputTensor o = r.getOutputs(i);
            String what = "output '" + o.getName() + "'";
            Tensor t = TensorCodec.tensor(what, o.getName(), o.getDatatype(), o.getShapeList(), o.getContents(),
                    raw > 0 ? r.getRawOutputContents(i) : null);
            if (outputs.put(o.getName(), t) != null) {
                throw new InvalidInputException("the response has " + what + " twice");
            }
        }
        return new InferResult(r.getModelName(), r.getModelVersion(), r.getId(), outputs,
                Parameters.values(r.getParametersMap()));
    }
}
