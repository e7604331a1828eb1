package dev.sluice.spring.oip;

import dev.sluice.tensor.DataType;
import dev.sluice.tensor.Fp16;
import dev.sluice.tensor.Tensor;
import dev.sluice.tensor.TensorSignature;
import dev.sluice.tensor.TensorSpec;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.function.Consumer;
import tools.jackson.core.JsonGenerator;
import tools.jackson.core.ObjectWriteContext;
import tools.jackson.core.json.JsonFactory;

/** Writes the protocol's JSON bodies with a streaming generator. */
final class JsonBodies {
    private static final JsonFactory JSON = JsonFactory.builder().build();

    private JsonBodies() {}

    static byte[] write(Consumer<JsonGenerator> body) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(256);
        try (JsonGenerator g = JSON.createGenerator(ObjectWriteContext.empty(), out)) {
            body.accept(g);
        }
        return out.toByteArray();
    }

    static byte[] serverMetadata(String name, String version, List<String> extensions) {
        return write(g -> {
            g.writeStartObject();
            g.writeStringProperty("name", name);
            g.writeStringProperty("version", version);
            g.writeName("extensions");
            g.writeStartArray();
            for (String e : extensions) {
                g.writeString(e);
            }
            g.writeEndArray();
            g.writeEndObject();
        });
    }

    static byte[] modelMetadata(String name, String version, String platform, TensorSignature signature) {
        return write(g -> {
            g.writeStartObject();
            g.writeStringProperty("name", name);
            g.writeName("versions");
            g.writeStartArray();
            g.writeString(version);
            g.writeEndArray();
            g.writeStringProperty("platform", platform);
            specs(g, "inputs", signature.inputs());
            specs(g, "outputs", signature.outputs());
            g.writeEndObject();
        });
    }

    private static void specs(JsonGenerator g, String field, List<TensorSpec> specs) {
        g.writeName(field);
        g.writeStartArray();
        for (TensorSpec s : specs) {
            g.writeStartObject();
            g.writeStringProperty("name", s.name());
            g.writeStringProperty("datatype", s.type().oipName());
            g.writeName("shape");
            long[] shape = s.shape();
            g.writeArray(shape, 0, shape.length);
            g.writeEndObject();
        }
        g.writeEndArray();
    }

    /**
     * The inference response: {@code outputs} in the order given, each with its elements in {@code data}, or, where
     * {@code binarySizes} has a size for it (not -1), with that size as its {@code binary_data_size} and no data:
     * then this is the JSON that comes before the binary data.
     */
    static byte[] inferResponse(String model, String version, String id, List<Tensor> outputs, int[] binarySizes) {
        return write(g -> {
            g.writeStartObject();
            g.writeStringProperty("model_name", model);
            g.writeStringProperty("model_version", version);
            if (id != null) {
                g.writeStringProperty("id", id);
            }
            g.writeName("outputs");
            g.writeStartArray();
            for (int i = 0; i < outputs.size(); i++) {
                Tensor t = outputs.get(i);
                g.writeStartObject();
                g.writeStringProperty("name", t.name());
                g.writeStringProperty("datatype", t.dataType().oipName());
                g.writeName("shape");
                long[] shape = t.shape();
                g.writeArray(shape, 0, shape.length);
                if (binarySizes[i] >= 0) {
                    g.writeName("parameters");
                    g.writeStartObject();
                    g.writeNumberProperty(InferenceRequestReader.BINARY_DATA_SIZE, binarySizes[i]);
                    g.writeEndObject();
                } else {
                    g.writeName("data");
                    data(g, t);
                }
                g.writeEndObject();
            }
            g.writeEndArray();
            g.writeEndObject();
        });
    }

    /** The elements, flat, in row-major order. */
    private static void data(JsonGenerator g, Tensor t) {
        g.writeStartArray();
        if (t.dataType() == DataType.BYTES) {
            for (byte[] s : t.strings()) {
                g.writeString(new String(s, StandardCharsets.UTF_8));
            }
            g.writeEndArray();
            return;
        }
        ByteBuffer b = t.data();
        long n = t.elementCount();
        for (long i = 0; i < n; i++) {
            switch (t.dataType()) {
                case BOOL -> g.writeBoolean(b.get() != 0);
                case INT8 -> g.writeNumber(b.get());
                case UINT8 -> g.writeNumber(b.get() & 0xFF);
                case INT16 -> g.writeNumber(b.getShort());
                case UINT16 -> g.writeNumber(b.getShort() & 0xFFFF);
                case INT32 -> g.writeNumber(b.getInt());
                case UINT32 -> g.writeNumber(b.getInt() & 0xFFFF_FFFFL);
                case INT64 -> g.writeNumber(b.getLong());
                case UINT64 -> g.writeNumber(Long.toUnsignedString(b.getLong()));
                case FP16 -> g.writeNumber(Fp16.toFloat(b.getShort()));
                case FP32 -> g.writeNumber(b.getFloat());
                case FP64 -> g.writeNumber(b.getDouble());
                default -> throw new IllegalStateException("not a fixed-size type: " + t.dataType());
            }
        }
        g.writeEndArray();
    }
}
