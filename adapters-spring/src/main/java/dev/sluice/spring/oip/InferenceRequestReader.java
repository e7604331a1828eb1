package dev.sluice.spring.oip;

import dev.sluice.batching.InvalidInputException;
import dev.sluice.tensor.DataType;
import dev.sluice.tensor.Fp16;
import dev.sluice.tensor.Tensor;
import dev.sluice.tensor.internal.TensorBatch;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import tools.jackson.core.JacksonException;
import tools.jackson.core.JsonParser;
import tools.jackson.core.JsonToken;
import tools.jackson.core.ObjectReadContext;
import tools.jackson.core.StreamReadConstraints;
import tools.jackson.core.TokenStreamLocation;
import tools.jackson.core.json.JsonFactory;
import tools.jackson.core.json.JsonReadFeature;

/**
 * Parses an inference request body (JSON, the protocol's tensor encoding) straight into {@link Tensor}s, with a
 * streaming parser: no tree of the data is built. Each input's {@code data} array is skipped on the first pass
 * (so {@code shape} and {@code datatype} may come after it) and read on a second pass into a buffer of exactly
 * the size its shape and type need. A shape is checked before anything is allocated: one with more elements
 * than the body could carry (each element takes at least two bytes) is refused, saying how many elements
 * {@code data} has, so a tiny body cannot make the server allocate a huge tensor.
 *
 * <p>Floating-point data ({@code FP16}, {@code FP32}, {@code FP64}) may hold {@code NaN}, written as the bare
 * literal {@code NaN} that Python's {@code json} module writes for a float NaN (JSON itself has no NaN): it is the
 * only way to send a missing value, which is what NaN means to an XGBoost model. Infinities ({@code Infinity},
 * {@code -Infinity}) and numbers beyond the type's range are refused, naming the element.
 *
 * <p>Under the binary tensor data extension the JSON is only the first part of the body: an input with
 * {@code parameters.binary_data_size} (and no {@code data}) takes its elements from the bytes after the JSON, the
 * inputs in the order of {@code inputs} (see {@link BinaryData}, which checks each declared size before reading).
 * An output's {@code parameters.binary_data} and the request's {@code binary_data_output} must be booleans.
 *
 * <p>Every problem is an {@link InvalidInputException} saying which input and what was wrong.
 */
final class InferenceRequestReader {
    private static final JsonFactory JSON = JsonFactory.builder()
            .enable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS) // NaN (and infinities, to refuse them by name)
            .streamReadConstraints(StreamReadConstraints.builder()
                    .maxNestingDepth(64)
                    .maxNumberLength(1000)
                    .build())
            .build();
    private static final int MAX_RANK = 32;
    /** An input's parameter: its elements are this many bytes of binary data after the JSON. */
    static final String BINARY_DATA_SIZE = "binary_data_size";
    /** An output's parameter: whether it is answered as binary data. */
    static final String BINARY_DATA = "binary_data";
    /** The request's parameter: whether outputs without their own {@value #BINARY_DATA} are answered as binary. */
    static final String BINARY_DATA_OUTPUT = "binary_data_output";
    private static final BigInteger UINT64_LIMIT = BigInteger.ONE.shiftLeft(64);

    private InferenceRequestReader() {}

    /** A request body of {@code length} bytes that is all JSON. */
    static InferenceRequest read(byte[] body, int length) {
        return read(body, length, length, false);
    }

    /**
     * A request body of {@code length} bytes whose first {@code jsonLength} are its JSON, the rest the binary data
     * of the inputs that have {@code binary_data_size}, in the order of {@code inputs}.
     *
     * @param headerGiven whether the request said where its JSON ends (the Inference-Header-Content-Length
     *     header): without it, an input with binary data is refused, saying the header is missing
     */
    static InferenceRequest read(byte[] body, int jsonLength, int length, boolean headerGiven) {
        BinaryData binary = new BinaryData(body, jsonLength, length, headerGiven);
        InferenceRequest request = read(body, jsonLength, binary);
        binary.checkAllRead();
        return request;
    }

    private static InferenceRequest read(byte[] body, int length, BinaryData binary) {
        try (JsonParser p = JSON.createParser(ObjectReadContext.empty(), body, 0, length)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                throw new InvalidInputException("the request body must be a JSON object with \"inputs\"");
            }
            String id = null;
            Map<String, Tensor> inputs = null;
            List<String> outputs = null;
            Map<String, Boolean> binaryData = Map.of();
            Map<String, Object> parameters = Map.of();
            String field;
            while ((field = p.nextName()) != null) {
                switch (field) {
                    case "id" -> {
                        if (p.nextToken() != JsonToken.VALUE_STRING) {
                            throw new InvalidInputException("\"id\" must be a string");
                        }
                        id = p.getString();
                    }
                    case "parameters" -> parameters = parameters(p, "parameters");
                    case "inputs" -> inputs = inputs(p, body, length, binary);
                    case "outputs" -> {
                        binaryData = new LinkedHashMap<>();
                        outputs = outputs(p, binaryData);
                    }
                    default -> {
                        p.nextToken();
                        p.skipChildren();
                    }
                }
            }
            if (p.nextToken() != null) {
                throw new InvalidInputException("unexpected content after the request's JSON object, at "
                        + where(p.currentTokenLocation()));
            }
            if (inputs == null) {
                throw new InvalidInputException("the request has no \"inputs\"");
            }
            Object all = parameters.getOrDefault(BINARY_DATA_OUTPUT, Boolean.FALSE);
            if (!(all instanceof Boolean)) {
                throw new InvalidInputException("parameter \"" + BINARY_DATA_OUTPUT + "\" must be true or false, it is "
                        + quoted(all));
            }
            return new InferenceRequest(id, inputs, outputs, parameters, (Boolean) all, binaryData);
        } catch (JacksonException e) {
            throw new InvalidInputException("the request body is not valid JSON: " + e.getOriginalMessage()
                    + (e.getLocation() != null ? " (at " + where(e.getLocation()) + ")" : ""), e);
        }
    }

    private static Map<String, Tensor> inputs(JsonParser p, byte[] body, int length, BinaryData binary) {
        if (p.nextToken() != JsonToken.START_ARRAY) {
            throw new InvalidInputException("\"inputs\" must be an array of input tensors");
        }
        Map<String, Tensor> inputs = new LinkedHashMap<>();
        int index = 0;
        while (p.nextToken() != JsonToken.END_ARRAY) {
            Tensor t = input(p, body, length, binary, index++);
            if (inputs.put(t.name(), t) != null) {
                throw new InvalidInputException("input '" + t.name() + "' is given twice");
            }
        }
        if (inputs.isEmpty()) {
            throw new InvalidInputException("\"inputs\" is empty");
        }
        return inputs;
    }

    private static Tensor input(JsonParser p, byte[] body, int length, BinaryData binary, int index) {
        String what = "inputs[" + index + "]";
        if (p.currentToken() != JsonToken.START_OBJECT) {
            throw new InvalidInputException(what + " must be an object with name, shape, datatype and data");
        }
        String name = null;
        long[] shape = null;
        DataType type = null;
        long dataOffset = -1;
        Object binarySize = null;
        String field;
        while ((field = p.nextName()) != null) {
            switch (field) {
                case "name" -> {
                    if (p.nextToken() != JsonToken.VALUE_STRING || p.getString().isEmpty()) {
                        throw new InvalidInputException(what + ": \"name\" must be a non-empty string");
                    }
                    name = p.getString();
                    what = "input '" + name + "'";
                }
                case "shape" -> shape = shape(p, what);
                case "datatype" -> {
                    if (p.nextToken() != JsonToken.VALUE_STRING) {
                        throw new InvalidInputException(what + ": \"datatype\" must be a string such as \"FP32\"");
                    }
                    String s = p.getString();
                    try {
                        type = DataType.fromOip(s);
                    } catch (InvalidInputException e) {
                        throw new InvalidInputException(what + ": " + e.getMessage());
                    }
                }
                case "parameters" -> binarySize = parameters(p, what + " parameters").get(BINARY_DATA_SIZE);
                case "data" -> {
                    if (p.nextToken() != JsonToken.START_ARRAY) {
                        throw new InvalidInputException(what + ": \"data\" must be an array of elements");
                    }
                    dataOffset = p.currentTokenLocation().getByteOffset();
                    p.skipChildren();
                }
                default -> {
                    p.nextToken();
                    p.skipChildren();
                }
            }
        }
        if (name == null) {
            throw new InvalidInputException(what + " has no \"name\"");
        }
        if (type == null) {
            throw new InvalidInputException(what + " has no \"datatype\"");
        }
        if (shape == null) {
            throw new InvalidInputException(what + " has no \"shape\"");
        }
        if (binarySize != null) {
            if (dataOffset >= 0) {
                throw new InvalidInputException(what + " has both \"data\" and \"" + BINARY_DATA_SIZE + "\"; its "
                        + "elements come one way or the other");
            }
            return binary.next(what, name, type, shape, binarySize);
        }
        if (dataOffset < 0) {
            throw new InvalidInputException(what + " has no \"data\"");
        }
        long count = elements(what, shape);
        long carried = (length + 1L) / 2; // each element takes a digit (or more) and a comma
        try (JsonParser data = JSON.createParser(ObjectReadContext.empty(), body, (int) dataOffset,
                length - (int) dataOffset)) {
            data.nextToken(); // the START_ARRAY seen before
            if (count > carried) {
                // More than this body can carry, so "data" falls short: nothing is allocated for the shape; the
                // elements are only counted (an object counts as one, wrong, element), to say by how much.
                checkCount(what, shape, type, count, elements(data, what, shape,
                        (int) Math.min(count, Integer.MAX_VALUE), (t, i) -> data.skipChildren()));
            }
            return type == DataType.BYTES ? strings(data, what, name, shape, (int) count)
                    : fixed(data, what, name, type, shape, (int) count);
        }
    }

    private static long[] shape(JsonParser p, String what) {
        if (p.nextToken() != JsonToken.START_ARRAY) {
            throw new InvalidInputException(what + ": \"shape\" must be an array of dimensions");
        }
        long[] dims = new long[4];
        int rank = 0;
        JsonToken t;
        while ((t = p.nextToken()) != JsonToken.END_ARRAY) {
            if (t != JsonToken.VALUE_NUMBER_INT) {
                throw new InvalidInputException(what + ": \"shape\" must hold whole numbers, found "
                        + describe(p, t));
            }
            if (p.getNumberType() == JsonParser.NumberType.BIG_INTEGER) {
                throw new InvalidInputException(what + ": dimension " + rank + " of \"shape\" (" + p.getString()
                        + ") is too large");
            }
            long d = p.getLongValue();
            if (d < 0) {
                throw new InvalidInputException(what + ": dimension " + rank + " of \"shape\" is negative (" + d + ")");
            }
            if (rank == MAX_RANK) {
                throw new InvalidInputException(what + ": \"shape\" has more than " + MAX_RANK + " dimensions");
            }
            if (rank == dims.length) {
                dims = Arrays.copyOf(dims, rank * 2);
            }
            dims[rank++] = d;
        }
        return Arrays.copyOf(dims, rank);
    }

    private static long elements(String what, long[] shape) {
        long n = 1;
        for (long d : shape) {
            try {
                n = Math.multiplyExact(n, d);
            } catch (ArithmeticException e) {
                throw new InvalidInputException(what + ": shape " + Arrays.toString(shape)
                        + " has more elements than a tensor can hold");
            }
        }
        return n;
    }

    private static Tensor fixed(JsonParser p, String what, String name, DataType type, long[] shape, int count) {
        long bytes = (long) count * type.byteSize();
        if (bytes > Integer.MAX_VALUE) {
            throw new InvalidInputException(what + ": shape " + Arrays.toString(shape) + " of " + type + " needs "
                    + bytes + " bytes, more than the 2 GiB one tensor may hold");
        }
        // On the Java heap, where the collector sees its size, like every tensor Sluice makes; kept without a copy.
        ByteBuffer buffer = ByteBuffer.allocate((int) bytes).order(ByteOrder.nativeOrder());
        int n = elements(p, what, shape, count, (t, i) -> put(p, t, what, type, i, buffer));
        buffer.flip();
        checkCount(what, shape, type, count, n);
        return TensorBatch.owned(name, type, shape, buffer);
    }

    private static Tensor strings(JsonParser p, String what, String name, long[] shape, int count) {
        List<byte[]> values = new ArrayList<>(Math.min(count, 1024));
        int n = elements(p, what, shape, count, (t, i) -> {
            if (t != JsonToken.VALUE_STRING) {
                throw new InvalidInputException(what + ": element " + i + " is " + describe(p, t)
                        + "; BYTES elements are strings");
            }
            values.add(p.getString().getBytes(StandardCharsets.UTF_8));
        });
        checkCount(what, shape, DataType.BYTES, count, n);
        return Tensor.ofStrings(name, shape, values);
    }

    private interface ElementSink {
        void accept(JsonToken token, int index);
    }

    /** Walks the (possibly nested) data array, flattening it in row-major order; returns the element count. */
    private static int elements(JsonParser p, String what, long[] shape, int count, ElementSink sink) {
        int depth = 1;
        int n = 0;
        while (depth > 0) {
            JsonToken t = p.nextToken();
            if (t == JsonToken.START_ARRAY) {
                depth++;
            } else if (t == JsonToken.END_ARRAY) {
                depth--;
            } else {
                if (n == count) {
                    throw new InvalidInputException(what + ": \"data\" has more than the " + count
                            + " elements of shape " + Arrays.toString(shape));
                }
                sink.accept(t, n++);
            }
        }
        return n;
    }

    private static void checkCount(String what, long[] shape, DataType type, long count, long n) {
        if (n != count) {
            throw new InvalidInputException(what + ": shape " + Arrays.toString(shape) + " needs " + count + " "
                    + type + " elements, \"data\" has " + n);
        }
    }

    private static void put(JsonParser p, JsonToken t, String what, DataType type, int i, ByteBuffer out) {
        switch (type) {
            case BOOL -> {
                if (t != JsonToken.VALUE_TRUE && t != JsonToken.VALUE_FALSE) {
                    throw bad(p, t, what, type, i, "true or false");
                }
                out.put((byte) (t == JsonToken.VALUE_TRUE ? 1 : 0));
            }
            case INT8 -> out.put((byte) integer(p, t, what, type, i, Byte.MIN_VALUE, Byte.MAX_VALUE));
            case UINT8 -> out.put((byte) integer(p, t, what, type, i, 0, 0xFF));
            case INT16 -> out.putShort((short) integer(p, t, what, type, i, Short.MIN_VALUE, Short.MAX_VALUE));
            case UINT16 -> out.putShort((short) integer(p, t, what, type, i, 0, 0xFFFF));
            case INT32 -> out.putInt((int) integer(p, t, what, type, i, Integer.MIN_VALUE, Integer.MAX_VALUE));
            case UINT32 -> out.putInt((int) integer(p, t, what, type, i, 0, 0xFFFF_FFFFL));
            case INT64 -> out.putLong(integer(p, t, what, type, i, Long.MIN_VALUE, Long.MAX_VALUE));
            case UINT64 -> {
                if (t != JsonToken.VALUE_NUMBER_INT) {
                    throw bad(p, t, what, type, i, "a whole number");
                }
                BigInteger v = p.getBigIntegerValue();
                if (v.signum() < 0 || v.compareTo(UINT64_LIMIT) >= 0) {
                    throw bad(p, t, what, type, i, "a whole number from 0 to 2^64-1");
                }
                out.putLong(v.longValue());
            }
            case FP16 -> out.putShort(Fp16.fromFloat((float) real(p, t, what, type, i, 65504)));
            case FP32 -> out.putFloat(real32(p, t, what, type, i));
            case FP64 -> out.putDouble(real(p, t, what, type, i, Double.MAX_VALUE));
            default -> throw new IllegalStateException("not a fixed-size type: " + type);
        }
    }

    private static long integer(JsonParser p, JsonToken t, String what, DataType type, int i, long min, long max) {
        if (t != JsonToken.VALUE_NUMBER_INT) {
            throw bad(p, t, what, type, i, "a whole number");
        }
        if (p.getNumberType() == JsonParser.NumberType.BIG_INTEGER) {
            throw bad(p, t, what, type, i, "a whole number from " + min + " to " + max);
        }
        long v = p.getLongValue();
        if (v < min || v > max) {
            throw bad(p, t, what, type, i, "a whole number from " + min + " to " + max);
        }
        return v;
    }

    private static double real(JsonParser p, JsonToken t, String what, DataType type, int i, double max) {
        if (t != JsonToken.VALUE_NUMBER_INT && t != JsonToken.VALUE_NUMBER_FLOAT) {
            throw bad(p, t, what, type, i, "a number");
        }
        double v = p.getDoubleValue();
        if (Math.abs(v) > max) { // an infinity too; NaN (a missing value) passes
            throw bad(p, t, what, type, i, "NaN or a finite number within the range of " + type);
        }
        return v;
    }

    /**
     * An FP32 element parsed straight to the nearest float, not through a double: narrowing a double rounds twice
     * (rarely to the wrong float), and {@code 3.4028235E38}, how Java and numpy write the largest float, is a
     * double just above it, yet a float.
     */
    private static float real32(JsonParser p, JsonToken t, String what, DataType type, int i) {
        if (t != JsonToken.VALUE_NUMBER_INT && t != JsonToken.VALUE_NUMBER_FLOAT) {
            throw bad(p, t, what, type, i, "a number");
        }
        float v = p.getFloatValue();
        if (Float.isInfinite(v)) { // written so, or beyond the range; NaN (a missing value) passes
            throw bad(p, t, what, type, i, "NaN or a finite number within the range of " + type);
        }
        return v;
    }

    private static InvalidInputException bad(JsonParser p, JsonToken t, String what, DataType type, int i,
            String expected) {
        return new InvalidInputException(what + ": element " + i + " is " + describe(p, t) + "; a " + type
                + " element must be " + expected);
    }

    /** Reads a parameters object: string, number or boolean values. */
    private static Map<String, Object> parameters(JsonParser p, String what) {
        if (p.nextToken() != JsonToken.START_OBJECT) {
            throw new InvalidInputException("\"" + what + "\" must be an object");
        }
        Map<String, Object> params = new LinkedHashMap<>();
        String key;
        while ((key = p.nextName()) != null) {
            JsonToken t = p.nextToken();
            Object value = switch (t) {
                case VALUE_STRING -> p.getString();
                case VALUE_NUMBER_INT, VALUE_NUMBER_FLOAT -> p.getNumberValue();
                case VALUE_TRUE -> Boolean.TRUE;
                case VALUE_FALSE -> Boolean.FALSE;
                default -> throw new InvalidInputException("\"" + what + "\": parameter '" + key
                        + "' must be a string, number or boolean, found " + describe(p, t));
            };
            params.put(key, value);
        }
        return params;
    }

    /** The outputs asked for; each one's {@code binary_data} parameter, where given, goes into {@code binaryData}. */
    private static List<String> outputs(JsonParser p, Map<String, Boolean> binaryData) {
        if (p.nextToken() != JsonToken.START_ARRAY) {
            throw new InvalidInputException("\"outputs\" must be an array of {\"name\": ...} objects");
        }
        List<String> names = new ArrayList<>();
        int index = 0;
        while (p.nextToken() != JsonToken.END_ARRAY) {
            String what = "outputs[" + index++ + "]";
            if (p.currentToken() != JsonToken.START_OBJECT) {
                throw new InvalidInputException(what + " must be an object with a \"name\"");
            }
            String name = null;
            Object binary = null;
            String field;
            while ((field = p.nextName()) != null) {
                if (field.equals("name")) {
                    if (p.nextToken() != JsonToken.VALUE_STRING) {
                        throw new InvalidInputException(what + ": \"name\" must be a string");
                    }
                    name = p.getString();
                } else if (field.equals("parameters")) {
                    binary = parameters(p, what + " parameters").get(BINARY_DATA);
                    if (binary != null && !(binary instanceof Boolean)) {
                        throw new InvalidInputException(what + ": parameter \"" + BINARY_DATA
                                + "\" must be true or false, it is " + quoted(binary));
                    }
                } else {
                    p.nextToken();
                    p.skipChildren();
                }
            }
            if (name == null) {
                throw new InvalidInputException(what + " has no \"name\"");
            }
            if (names.contains(name)) {
                throw new InvalidInputException("output '" + name + "' is asked for twice");
            }
            names.add(name);
            if (binary != null) {
                binaryData.put(name, (Boolean) binary);
            }
        }
        return names;
    }

    private static String describe(JsonParser p, JsonToken t) {
        return switch (t) {
            case VALUE_STRING -> {
                String s = p.getString();
                yield "the string \"" + (s.length() > 40 ? s.substring(0, 40) + "..." : s) + "\"";
            }
            case VALUE_NUMBER_INT, VALUE_NUMBER_FLOAT -> {
                String s = p.getString();
                yield s.length() > 40 ? s.substring(0, 40) + "..." : s;
            }
            case VALUE_TRUE -> "true";
            case VALUE_FALSE -> "false";
            case VALUE_NULL -> "null";
            case START_OBJECT -> "an object";
            case START_ARRAY -> "an array";
            default -> String.valueOf(t);
        };
    }

    private static String quoted(Object parameter) {
        return parameter instanceof String ? "the string \"" + parameter + "\"" : String.valueOf(parameter);
    }

    private static String where(TokenStreamLocation l) {
        return "line " + l.getLineNr() + ", column " + l.getColumnNr();
    }
}
