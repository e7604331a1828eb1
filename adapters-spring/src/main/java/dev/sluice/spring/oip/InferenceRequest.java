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
 */
record InferenceRequest(String id, Map<String, Tensor> inputs, List<String> outputs, Map<String, Object> parameters) {}
