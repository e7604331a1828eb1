package dev.sluice.grpc;

import dev.sluice.grpc.proto.InferParameter;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The protocol's parameters ({@link InferParameter}: a boolean, a 64-bit integer, a string, a double or an
 * unsigned 64-bit integer) as Java values: {@code Boolean}, {@code Long}, {@code String}, {@code Double}, and an
 * unsigned value as a {@code Long} when it fits, else its decimal {@code String}. Stateless, thread-safe.
 */
final class Parameters {
    private Parameters() {}

    static InferParameter of(String name, Object value) {
        InferParameter.Builder b = InferParameter.newBuilder();
        if (value instanceof Boolean v) {
            b.setBoolParam(v);
        } else if (value instanceof Long || value instanceof Integer || value instanceof Short
                || value instanceof Byte) {
            b.setInt64Param(((Number) value).longValue());
        } else if (value instanceof Double || value instanceof Float) {
            b.setDoubleParam(((Number) value).doubleValue());
        } else if (value instanceof String v) {
            b.setStringParam(v);
        } else {
            throw new IllegalArgumentException("parameter '" + name + "' must be a Boolean, a whole number, a "
                    + "Double or a String, was " + (value == null ? "null" : value.getClass().getName()));
        }
        return b.build();
    }

    static Map<String, InferParameter> of(Map<String, ?> values) {
        Map<String, InferParameter> out = new LinkedHashMap<>();
        values.forEach((k, v) -> out.put(k, of(k, v)));
        return out;
    }

    static Map<String, Object> values(Map<String, InferParameter> parameters) {
        if (parameters.isEmpty()) {
            return Map.of();
        }
        Map<String, Object> out = new LinkedHashMap<>();
        parameters.forEach((k, p) -> {
            Object v = value(p);
            if (v != null) {
                out.put(k, v);
            }
        });
        return Collections.unmodifiableMap(out);
    }

    /** The value, or null when no choice is set. */
    static Object value(InferParameter p) {
        return switch (p.getParameterChoiceCase()) {
            case BOOL_PARAM -> p.getBoolParam();
            case INT64_PARAM -> p.getInt64Param();
            case STRING_PARAM -> p.getStringParam();
            case DOUBLE_PARAM -> p.getDoubleParam();
            case UINT64_PARAM -> p.getUint64Param() >= 0 ? (Object) p.getUint64Param()
                    : Long.toUnsignedString(p.getUint64Param());
            case PARAMETERCHOICE_NOT_SET -> null;
        };
    }

    /** For messages: the value and which choice carried it. */
    static String describe(InferParameter p) {
        return switch (p.getParameterChoiceCase()) {
            case BOOL_PARAM -> p.getBoolParam() + " (bool_param)";
            case INT64_PARAM -> p.getInt64Param() + " (int64_param)";
            case STRING_PARAM -> {
                String v = p.getStringParam();
                yield "\"" + (v.length() > 40 ? v.substring(0, 40) + "..." : v) + "\" (string_param)";
            }
            case DOUBLE_PARAM -> p.getDoubleParam() + " (double_param)";
            case UINT64_PARAM -> Long.toUnsignedString(p.getUint64Param()) + " (uint64_param)";
            case PARAMETERCHOICE_NOT_SET -> "a parameter with no value";
        };
    }
}
