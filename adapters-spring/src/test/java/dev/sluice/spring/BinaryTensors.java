package dev.sluice.spring;

import dev.sluice.tensor.DataType;
import dev.sluice.tensor.Fp16;
import dev.sluice.tensor.Tensor;
import java.io.ByteArrayOutputStream;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import tools.jackson.databind.JsonNode;

/**
 * The client's side of the binary tensor data extension, written from the specification and independently of the
 * server's codec, so that a mistake in one is not hidden by the same mistake in the other: request bodies (JSON,
 * then each binary input's bytes in the order of {@code inputs}, with the length of the JSON for the
 * {@value #HEADER} header) and responses split back into their JSON and each binary output's bytes. Elements are
 * little-endian, row-major; BOOL one byte; FP16 its IEEE half-precision bits; BYTES a 4-byte length and the bytes.
 *
 * <p>Values are given as Java objects: {@link Boolean} for BOOL, a {@link Number} for the numeric types
 * ({@link BigInteger} for UINT64 past {@code Long.MAX_VALUE}), a {@link String} (UTF-8) for BYTES.
 */
final class BinaryTensors {
    static final String HEADER = "Inference-Header-Content-Length";

    private BinaryTensors() {}

    /** A request body: {@code jsonLength} bytes of JSON, then binary data. */
    record Body(byte[] bytes, int jsonLength) {
        String header() {
            return Integer.toString(jsonLength);
        }
    }

    /** {@code json} followed by {@code binary}, each part as it is. */
    static Body body(String json, byte[]... binary) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] head = json.getBytes(StandardCharsets.UTF_8);
        out.writeBytes(head);
        for (byte[] b : binary) {
            out.writeBytes(b);
        }
        return new Body(out.toByteArray(), head.length);
    }

    /** The elements' binary encoding. */
    static byte[] encode(DataType type, List<?> values) {
        if (type == DataType.BYTES) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            for (Object v : values) {
                byte[] s = ((String) v).getBytes(StandardCharsets.UTF_8);
                out.writeBytes(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(s.length).array());
                out.writeBytes(s);
            }
            return out.toByteArray();
        }
        ByteBuffer b = ByteBuffer.allocate(values.size() * type.byteSize()).order(ByteOrder.LITTLE_ENDIAN);
        for (Object v : values) {
            switch (type) {
                case BOOL -> b.put((byte) ((Boolean) v ? 1 : 0));
                case INT8, UINT8 -> b.put(((Number) v).byteValue());
                case INT16, UINT16 -> b.putShort(((Number) v).shortValue());
                case INT32, UINT32 -> b.putInt((int) ((Number) v).longValue());
                case INT64, UINT64 -> b.putLong(((Number) v).longValue());
                case FP16 -> b.putShort(Fp16.fromFloat(((Number) v).floatValue()));
                case FP32 -> b.putFloat(((Number) v).floatValue());
                case FP64 -> b.putDouble(((Number) v).doubleValue());
                default -> throw new IllegalArgumentException(type.name());
            }
        }
        return b.array();
    }

    /** A tensor's elements in their binary encoding (from its native-order buffer, or its byte strings). */
    static byte[] encode(Tensor t) {
        if (t.dataType() == DataType.BYTES) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            for (byte[] v : t.strings()) {
                out.writeBytes(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(v.length).array());
                out.writeBytes(v);
            }
            return out.toByteArray();
        }
        return reorder(t.data(), ByteOrder.LITTLE_ENDIAN, t.dataType().byteSize()).array();
    }

    /** A tensor from its binary encoding. */
    static Tensor decode(String name, DataType type, long[] shape, byte[] raw) {
        if (type != DataType.BYTES) {
            return Tensor.of(name, type, shape, reorder(ByteBuffer.wrap(raw).order(ByteOrder.LITTLE_ENDIAN),
                    ByteOrder.nativeOrder(), type.byteSize()).flip());
        }
        ByteBuffer in = ByteBuffer.wrap(raw).order(ByteOrder.LITTLE_ENDIAN);
        List<byte[]> values = new ArrayList<>();
        while (in.hasRemaining()) {
            byte[] v = new byte[in.getInt()];
            in.get(v);
            values.add(v);
        }
        return Tensor.ofStrings(name, shape, values);
    }

    /** The outputs of a response whose every output came as binary data, by name in the order listed. */
    static Map<String, Tensor> tensors(Answer answer) {
        Map<String, Tensor> out = new LinkedHashMap<>();
        for (JsonNode o : answer.json().get("outputs")) {
            String name = o.get("name").asString();
            byte[] raw = answer.binary().get(name);
            if (raw == null) {
                throw new AssertionError("output '" + name + "' came as JSON, not binary data: " + o);
            }
            long[] shape = new long[o.get("shape").size()];
            for (int i = 0; i < shape.length; i++) {
                shape[i] = o.get("shape").get(i).asLong();
            }
            out.put(name, decode(name, DataType.fromOip(o.get("datatype").asString()), shape, raw));
        }
        return out;
    }

    /** {@code in}'s elements of {@code size} bytes copied into a new heap buffer in {@code order}, positioned after. */
    private static ByteBuffer reorder(ByteBuffer in, ByteOrder order, int size) {
        ByteBuffer src = in.duplicate().order(in.order());
        ByteBuffer out = ByteBuffer.allocate(src.remaining()).order(order);
        while (src.hasRemaining()) {
            switch (size) {
                case 1 -> out.put(src.get());
                case 2 -> out.putShort(src.getShort());
                case 4 -> out.putInt(src.getInt());
                case 8 -> out.putLong(src.getLong());
                default -> throw new IllegalArgumentException("element size " + size);
            }
        }
        return out;
    }

    /** The elements as a JSON array, as a client puts them in {@code data}. */
    static String json(DataType type, List<?> values) {
        return values.stream().map(v -> v instanceof String s ? "\"" + s + "\"" : String.valueOf(v))
                .collect(Collectors.joining(",", "[", "]"));
    }

    /** FP32 elements from their binary encoding. */
    static float[] floats(byte[] raw) {
        ByteBuffer b = ByteBuffer.wrap(raw).order(ByteOrder.LITTLE_ENDIAN);
        float[] out = new float[raw.length / 4];
        for (int i = 0; i < out.length; i++) {
            out[i] = b.getFloat();
        }
        return out;
    }

    /** INT64 elements from their binary encoding. */
    static long[] longs(byte[] raw) {
        ByteBuffer b = ByteBuffer.wrap(raw).order(ByteOrder.LITTLE_ENDIAN);
        long[] out = new long[raw.length / 8];
        for (int i = 0; i < out.length; i++) {
            out[i] = b.getLong();
        }
        return out;
    }

    /** An inference request, inputs and outputs in the order added. */
    static Request request() {
        return new Request();
    }

    static final class Request {
        private final List<String> inputs = new ArrayList<>();
        private final List<String> outputs = new ArrayList<>();
        private final List<String> parameters = new ArrayList<>();
        private final List<byte[]> binary = new ArrayList<>();

        /** An input whose elements travel as binary data. */
        Request binaryInput(String name, DataType type, long[] shape, List<?> values) {
            byte[] raw = encode(type, values);
            inputs.add(head(name, type, shape) + ",\"parameters\":{\"binary_data_size\":" + raw.length + "}}");
            binary.add(raw);
            return this;
        }

        /** An input whose elements travel as binary data, from a tensor. */
        Request binaryInput(Tensor t) {
            byte[] raw = encode(t);
            inputs.add(head(t.name(), t.dataType(), t.shape()) + ",\"parameters\":{\"binary_data_size\":" + raw.length
                    + "}}");
            binary.add(raw);
            return this;
        }

        /** An input whose elements travel in {@code data}. */
        Request jsonInput(String name, DataType type, long[] shape, List<?> values) {
            inputs.add(head(name, type, shape) + ",\"data\":" + BinaryTensors.json(type, values) + "}");
            return this;
        }

        /** An output asked for by name, with no {@code binary_data} of its own. */
        Request output(String name) {
            outputs.add("{\"name\":\"" + name + "\"}");
            return this;
        }

        /** An output asked for with {@code binary_data}. */
        Request output(String name, boolean binaryData) {
            outputs.add("{\"name\":\"" + name + "\",\"parameters\":{\"binary_data\":" + binaryData + "}}");
            return this;
        }

        /** A request parameter, its value as JSON. */
        Request parameter(String name, String json) {
            parameters.add("\"" + name + "\":" + json);
            return this;
        }

        String json() {
            return "{" + (parameters.isEmpty() ? "" : "\"parameters\":{" + String.join(",", parameters) + "},")
                    + "\"inputs\":[" + String.join(",", inputs) + "]"
                    + (outputs.isEmpty() ? "" : ",\"outputs\":[" + String.join(",", outputs) + "]") + "}";
        }

        Body build() {
            return body(json(), binary.toArray(new byte[0][]));
        }

        private static String head(String name, DataType type, long[] shape) {
            return "{\"name\":\"" + name + "\",\"datatype\":\"" + type.oipName() + "\",\"shape\":"
                    + Arrays.toString(shape).replace(" ", "");
        }
    }

    /**
     * A response split: its JSON, and the bytes of each output that has {@code binary_data_size}, by name.
     *
     * @param header the response's {@value #HEADER} header, or null when the whole body is JSON
     */
    static Answer answer(byte[] body, String header) {
        int jsonLength = header == null ? body.length : Integer.parseInt(header);
        JsonNode json = Http.json(new String(body, 0, jsonLength, StandardCharsets.UTF_8));
        Map<String, byte[]> binary = new LinkedHashMap<>();
        int at = jsonLength;
        for (JsonNode o : json.get("outputs")) {
            JsonNode size = o.at("/parameters/binary_data_size");
            if (!size.isMissingNode()) {
                binary.put(o.get("name").asString(), Arrays.copyOfRange(body, at, at + size.asInt()));
                at += size.asInt();
            }
        }
        if (at != body.length) {
            throw new AssertionError("the binary outputs' sizes add up to " + (at - jsonLength) + " bytes, the body has "
                    + (body.length - jsonLength) + " after its JSON");
        }
        return new Answer(json, binary);
    }

    record Answer(JsonNode json, Map<String, byte[]> binary) {}
}
