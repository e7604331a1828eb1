package dev.sluice.spring;

import dev.sluice.tensor.DataType;
import dev.sluice.tensor.Fp16;
import dev.sluice.tensor.Tensor;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import tools.jackson.core.JsonParser;
import tools.jackson.core.JsonToken;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * A client's side of the Open Inference Protocol's JSON bodies, for every data type: tensors to an inference
 * request, an inference response back to tensors. Written from the specification, apart from the starter's own
 * reader and writer, so a test that compares transports does not compare the server's JSON code with itself.
 * Responses are read token by token, each number parsed from its own digits (a float not through a double; -0.0
 * kept); NaN goes out as the literal {@code NaN} and comes back as
 * the string {@code "NaN"} (the starter's convention). Stateless and thread-safe.
 */
final class OipJson {
    private static final JsonMapper JSON = JsonMapper.builder().build();

    private OipJson() {}

    /** An inference request body holding {@code inputs}. */
    static String request(List<Tensor> inputs) {
        ObjectNode body = JSON.createObjectNode();
        ArrayNode in = body.putArray("inputs");
        for (Tensor t : inputs) {
            ObjectNode o = in.addObject().put("name", t.name()).put("datatype", t.dataType().oipName());
            ArrayNode shape = o.putArray("shape");
            for (long d : t.shape()) {
                shape.add(d);
            }
            data(t, o.putArray("data"));
        }
        // NaN is not JSON: written as a string by the tree, sent as the literal Python's json module writes.
        return JSON.writeValueAsString(body).replace("\"NaN\"", "NaN");
    }

    private static void data(Tensor t, ArrayNode out) {
        if (t.dataType() == DataType.BYTES) {
            t.strings().forEach(s -> out.add(new String(s, StandardCharsets.UTF_8)));
            return;
        }
        ByteBuffer b = t.data();
        for (long i = 0; i < t.elementCount(); i++) {
            switch (t.dataType()) {
                case BOOL -> out.add(b.get() != 0);
                case UINT8 -> out.add(b.get() & 0xFF);
                case INT8 -> out.add(b.get());
                case UINT16 -> out.add(b.getShort() & 0xFFFF);
                case INT16 -> out.add(b.getShort());
                case UINT32 -> out.add(b.getInt() & 0xFFFF_FFFFL);
                case INT32 -> out.add(b.getInt());
                case UINT64 -> out.add(new BigInteger(Long.toUnsignedString(b.getLong())));
                case INT64 -> out.add(b.getLong());
                case FP16 -> number(out, Fp16.toFloat(b.getShort()));
                case FP32 -> number(out, b.getFloat());
                case FP64 -> number(out, b.getDouble());
                default -> throw new IllegalArgumentException("no JSON for " + t.dataType());
            }
        }
    }

    private static void number(ArrayNode out, double value) {
        if (Double.isNaN(value)) {
            out.add("NaN");
        } else if (value == (float) value && !Double.isInfinite(value)) {
            out.add((float) value); // written with a float's shortest digits
        } else {
            out.add(value);
        }
    }

    /** The outputs of an inference response body, by name, in the order sent. */
    static Map<String, Tensor> outputs(String responseBody) {
        Map<String, Tensor> outputs = new LinkedHashMap<>();
        try (JsonParser p = JSON.createParser(responseBody)) {
            expect(p, p.nextToken(), JsonToken.START_OBJECT);
            while (p.nextToken() == JsonToken.PROPERTY_NAME) {
                String field = p.currentName();
                JsonToken value = p.nextToken();
                if (!field.equals("outputs")) {
                    p.skipChildren();
                    continue;
                }
                expect(p, value, JsonToken.START_ARRAY);
                while (p.nextToken() == JsonToken.START_OBJECT) {
                    Tensor t = output(p);
                    outputs.put(t.name(), t);
                }
            }
        }
        return outputs;
    }

    /** One output object, the parser on its START_OBJECT; leaves it on the END_OBJECT. */
    private static Tensor output(JsonParser p) {
        String name = null;
        DataType type = null;
        List<Long> shape = new ArrayList<>();
        List<String> data = new ArrayList<>();
        while (p.nextToken() == JsonToken.PROPERTY_NAME) {
            String field = p.currentName();
            JsonToken value = p.nextToken();
            switch (field) {
                case "name" -> name = p.getString();
                case "datatype" -> type = DataType.fromOip(p.getString());
                case "shape" -> {
                    expect(p, value, JsonToken.START_ARRAY);
                    while (p.nextToken() != JsonToken.END_ARRAY) {
                        shape.add(p.getLongValue());
                    }
                }
                case "data" -> elements(p, data);
                default -> p.skipChildren();
            }
        }
        if (name == null || type == null) {
            throw new IllegalArgumentException("an output without name or datatype");
        }
        return tensor(name, type, shape.stream().mapToLong(Long::longValue).toArray(), data);
    }

    /** The elements of {@code data}, flat or nested, each as written: digits, a string's text, true or false. */
    private static void elements(JsonParser p, List<String> into) {
        if (p.currentToken() != JsonToken.START_ARRAY) {
            into.add(p.getString());
            return;
        }
        while (p.nextToken() != JsonToken.END_ARRAY) {
            elements(p, into);
        }
    }

    private static void expect(JsonParser p, JsonToken got, JsonToken wanted) {
        if (got != wanted) {
            throw new IllegalArgumentException("expected " + wanted + ", got " + got + " at " + p.currentLocation());
        }
    }

    private static Tensor tensor(String name, DataType type, long[] shape, List<String> data) {
        if (type == DataType.BYTES) {
            List<byte[]> strings = new ArrayList<>();
            data.forEach(e -> strings.add(e.getBytes(StandardCharsets.UTF_8)));
            return Tensor.ofStrings(name, shape, strings);
        }
        ByteBuffer b = ByteBuffer.allocate(data.size() * type.byteSize()).order(ByteOrder.nativeOrder());
        for (String e : data) {
            switch (type) {
                case BOOL -> b.put((byte) (Boolean.parseBoolean(e) ? 1 : 0));
                case UINT8, INT8 -> b.put((byte) Long.parseLong(e));
                case UINT16, INT16 -> b.putShort((short) Long.parseLong(e));
                case UINT32, INT32 -> b.putInt((int) Long.parseLong(e));
                case UINT64, INT64 -> b.putLong(new BigInteger(e).longValue()); // two's complement: UINT64's bits
                case FP16 -> b.putShort(Fp16.fromFloat(Float.parseFloat(e)));
                case FP32 -> b.putFloat(Float.parseFloat(e)); // from its own digits, "-0.0" and "NaN" included
                case FP64 -> b.putDouble(Double.parseDouble(e));
                default -> throw new IllegalArgumentException("no JSON for " + type);
            }
        }
        return Tensor.of(name, type, shape, b.flip());
    }
}
