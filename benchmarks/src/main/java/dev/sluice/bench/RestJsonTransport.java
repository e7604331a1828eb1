package dev.sluice.bench;

import dev.sluice.tensor.DataType;
import dev.sluice.tensor.Tensor;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.FloatBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import tools.jackson.core.JsonGenerator;
import tools.jackson.core.JsonParser;
import tools.jackson.core.JsonToken;
import tools.jackson.core.json.JsonFactory;

/**
 * The Open Inference Protocol over REST with JSON bodies ({@code POST /v2/models/{name}/infer}), through one
 * {@link RestClient} (java.net.http, HTTP/1.1, a connection per client thread in flight) shared by every client thread.
 * Each call writes its request body and reads the response into tensors with Jackson's streaming API, as a careful
 * client would: its cost is part of what the benchmark measures. FP32 tensors only (the benchmark's requests);
 * NaN goes out as the literal {@code NaN} and comes back as the string {@code "NaN"}, as the starter writes it.
 * Thread-safe.
 */
final class RestJsonTransport implements Transport {
    private static final JsonFactory JSON = new JsonFactory();

    private final RestClient http;

    /** @param base the server's root, such as {@code http://127.0.0.1:8080/} */
    RestJsonTransport(URI base, Duration timeout) {
        this.http = new RestClient(base, timeout);
    }

    @Override
    public String name() {
        return "rest-json";
    }

    @Override
    public Map<String, Tensor> infer(String model, Map<String, Tensor> inputs) throws IOException, InterruptedException {
        HttpResponse<byte[]> r = http.infer("REST JSON", model, request(inputs.values()),
                "Content-Type", "application/json");
        return outputs(r.body());
    }

    /** An inference request body holding {@code inputs} (FP32). */
    static byte[] request(Iterable<Tensor> inputs) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (JsonGenerator g = JSON.createGenerator(out)) {
            g.writeStartObject();
            g.writeArrayPropertyStart("inputs");
            for (Tensor t : inputs) {
                fp32(t);
                g.writeStartObject();
                g.writeStringProperty("name", t.name());
                g.writeStringProperty("datatype", DataType.FP32.oipName());
                g.writeArrayPropertyStart("shape");
                for (long d : t.shape()) {
                    g.writeNumber(d);
                }
                g.writeEndArray();
                g.writeArrayPropertyStart("data");
                FloatBuffer data = t.data().asFloatBuffer();
                while (data.hasRemaining()) {
                    float f = data.get();
                    if (Float.isNaN(f)) {
                        g.writeRawValue("NaN");
                    } else {
                        g.writeNumber(f);
                    }
                }
                g.writeEndArray();
                g.writeEndObject();
            }
            g.writeEndArray();
            g.writeEndObject();
        }
        return out.toByteArray();
    }

    /** The outputs of an inference response body (FP32, data flat or nested), by name in the order sent. */
    static Map<String, Tensor> outputs(byte[] body) {
        Map<String, Tensor> outputs = new LinkedHashMap<>();
        try (JsonParser p = JSON.createParser(body)) {
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

    /** One output object, the parser on its START_OBJECT; leaves it on its END_OBJECT. */
    private static Tensor output(JsonParser p) {
        String name = null;
        String type = null;
        List<Long> shape = new ArrayList<>();
        Floats data = new Floats();
        while (p.nextToken() == JsonToken.PROPERTY_NAME) {
            String field = p.currentName();
            JsonToken value = p.nextToken();
            switch (field) {
                case "name" -> name = p.getString();
                case "datatype" -> type = p.getString();
                case "shape" -> {
                    expect(p, value, JsonToken.START_ARRAY);
                    while (p.nextToken() != JsonToken.END_ARRAY) {
                        shape.add(p.getLongValue());
                    }
                }
                case "data" -> data.read(p);
                default -> p.skipChildren();
            }
        }
        if (!DataType.FP32.oipName().equals(type)) {
            throw new IllegalArgumentException("output '" + name + "' is " + type + "; this client reads FP32 only");
        }
        return Tensor.ofFloats(name, shape.stream().mapToLong(Long::longValue).toArray(), data.toArray());
    }

    private static void fp32(Tensor t) {
        if (t.dataType() != DataType.FP32) {
            throw new IllegalArgumentException("input '" + t.name() + "' is " + t.dataType()
                    + "; this client writes FP32 only");
        }
    }

    private static void expect(JsonParser p, JsonToken got, JsonToken wanted) {
        if (got != wanted) {
            throw new IllegalArgumentException("expected " + wanted + ", got " + got + " at " + p.currentLocation());
        }
    }

    /** A growing float array: a tensor's elements as they are read. */
    private static final class Floats {
        private float[] values = new float[1024];
        private int size;

        /** Reads a value or a (nested) array of them, the parser on its first token. */
        void read(JsonParser p) {
            JsonToken t = p.currentToken();
            if (t == JsonToken.START_ARRAY) {
                while (p.nextToken() != JsonToken.END_ARRAY) {
                    read(p);
                }
                return;
            }
            if (size == values.length) {
                values = Arrays.copyOf(values, size * 2);
            }
            values[size++] = t == JsonToken.VALUE_STRING ? Float.parseFloat(p.getString()) : p.getFloatValue();
        }

        float[] toArray() {
            return Arrays.copyOf(values, size);
        }
    }

    @Override
    public void close() {
        // java.net.http's client closes its connections when collected (HttpClient.close() is JDK 21+).
    }
}
