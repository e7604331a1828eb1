package dev.sluice.spring.oip;

import dev.sluice.tensor.Tensor;
import java.util.List;
import java.util.Map;

/**
 * A parsed inference request.
 *
 * @param id the request's {@code id}, or null
 * @param inputs the input tensors by name, in request order
 * @param outputs the names of the outputs asked for, or null for all
 * @param parameters the request's {@code parameters} (strings, numbers, booleans)
 * @param binaryDataOutput the request's {@code binary_data_output} parameter: outputs without their own
 *     {@code binary_data} are answered as binary data
 * @param binaryData each asked output's own {@code binary_data} parameter, where it has one
 */
record InferenceRequest(String id, Map<String, Tensor> inputs, List<String> outputs, Map<String, Object> parameters,
        boolean binaryDataOutput, Map<String, Boolean> binaryData) {

    /** Whether {@code output} is answered as binary data: its own parameter, else the request's. */
    boolean binary(String output) {
        return binaryData.getOrDefault(output, binaryDataOutput);
    }
}
