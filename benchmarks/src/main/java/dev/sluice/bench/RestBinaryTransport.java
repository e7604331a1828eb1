package dev.sluice.bench;

import dev.sluice.tensor.DataType;
import dev.sluice.tensor.Tensor;
import dev.sluice.tensor.internal.RawTensors;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import tools.jackson.core.JsonGenerator;
import tools.jackson.core.JsonParser;
import tools.jackson.core.JsonToken;
import tools.jackson.core.json.JsonFactory;

/**
 * The Open Inference Protocol over REST with the binary tensor data extension: a short JSON header, then each input's
 * elements as raw little-endian bytes ({@code binary_data_size}), and every output asked for as binary data
 * ({@code binary_data_output}). The raw encoding is core's {@link RawTensors}, the one the server reads and writes
 * (not API, used here as the format's reference). One {@link RestClient} shared by every client
 * thread. Thread-safe.
 */
final class RestBinaryTransport implements Transport {
    private static final JsonFactory JSON = new JsonFactory();
    private static final String HEADER = "Inference-Header-Content-Length";

    private final RestClient http;

    /** @param base the server's root, such as {@code http://127.0.0.1:8080/} */
    RestBinaryTransport(URI base, Duration timeout) {
        this.http = new RestClient(base, timeout);
    }

    @Override
    public String name() {
        return "rest-binary";
    }

    @Override
    public Map<String, Tensor> infer(String model, Map<String, Tensor> inputs) throws IOException, InterruptedException {
        byte[] header = header(inputs.values());
        int size = header.length;
        for (Tensor t : inputs.values()) {
            size += RawTensors.size(t);
        }
        ByteBuffer body = ByteBuffer.allocate(size).put(header);
        for (Tensor t : inputs.values()) {
            RawTensors.write(t, body);
        }
        HttpResponse<byte[]> r = http.infer("binary REST", model, body.array(),
                "Content-Type", "application/octet-stream", HEADER, Integer.toString(header.length));
        String length = r.headers().firstValue(HEADER).orElseThrow(() -> new IOException(model
                + " over binary REST: the answer has no " + HEADER + " header"));
        return outputs(r.body(), Integer.parseInt(length));
    }

    /** The JSON header: each input's name, type, shape and binary size; every output as binary data. */
    private static byte[] header(Iterable<Tensor> inputs) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (JsonGenerator g = JSON.createGenerator(out)) {
            g.writeStartObject();
            g.writeArrayPropertyStart("inputs");
            for (Tensor t : inputs) {
                g.writeStartObject();
                g.writeStringProperty("name", t.name());
                g.writeStringProperty("datatype", t.dataType().oipName());
                g.writeArrayPropertyStart("shape");
                for (long d : t.shape()) {
                    g.writeNumber(d);
                }
                g.writeEndArray();
                g.writeObjectPropertyStart("parameters");
                g.writeNumberProperty("binary_data_size", RawTensors.size(t));
                g.writeEndObject();
                g.writeEndObject();
            }
            g.writeEndArray();
            g.writeObjectPropertyStart("parameters");
            g.writeBooleanProperty("binary_data_output", true);
            g.writeEndObject();
            g.writeEndObject();
        }
        return out.toByteArray();
    }

    /** The outputs of a binary answer whose first {@code jsonLength} bytes are JSON, in the order it lists them. */
    private static Map<String, Tensor> outputs(byte[] body, int jsonLength) throws IOException {
        record Described(String name, DataType type, long[] shape, int size) {}
        List<Described> described = new ArrayList<>();
        try (JsonParser p = JSON.createParser(body, 0, jsonLength)) {
            expect(p.nextToken(), JsonToken.START_OBJECT);
            while (p.nextToken() == JsonToken.PROPERTY_NAME) {
                String field = p.currentName();
                JsonToken value = p.nextToken();
                if (!field.equals("outputs")) {
                    p.skipChildren();
                    continue;
                }
                expect(value, JsonToken.START_ARRAY);
                while (p.nextToken() == JsonToken.START_OBJECT) {
                    String name = null;
                    String type = null;
                    List<Long> shape = new ArrayList<>();
                    int size = -1;
                    while (p.nextToken() == JsonToken.PROPERTY_NAME) {
                        String f = p.currentName();
                        JsonToken v = p.nextToken();
                        switch (f) {
                            case "name" -> name = p.getString();
                            case "datatype" -> type = p.getString();
                            case "shape" -> {
                                expect(v, JsonToken.START_ARRAY);
                                while (p.nextToken() != JsonToken.END_ARRAY) {
                                    shape.add(p.getLongValue());
                                }
                            }
                            case "parameters" -> {
                                expect(v, JsonToken.START_OBJECT);
                                while (p.nextToken() == JsonToken.PROPERTY_NAME) {
                                    String param = p.currentName();
                                    p.nextToken();
                                    if (param.equals("binary_data_size")) {
                                        size = p.getIntValue();
                                    } else {
                                        p.skipChildren();
                                    }
                                }
                            }
                            default -> p.skipChildren();
                        }
                    }
                    if (size < 0) {
                        throw new IOException("output '" + name + "' came as JSON, not binary data");
                    }
                    described.add(new Described(name, DataType.fromOip(type),
                            shape.stream().mapToLong(Long::longValue).toArray(), size));
                }
            }
        }
        Map<String, Tensor> outputs = new LinkedHashMap<>();
        int at = jsonLength;
        for (Described d : described) {
            String what = "output '" + d.name() + "'";
            outputs.put(d.name(), RawTensors.read(what, "binary data", d.name(), d.type(), d.shape(),
                    ByteBuffer.wrap(body, at, d.size())));
            at += d.size();
        }
        if (at != body.length) {
            throw new IOException("the answer has " + (body.length - at) + " bytes after its outputs' binary data");
        }
        return outputs;
    }

    private static void expect(JsonToken got, JsonToken wanted) throws IOException {
        if (got != wanted) {
            throw new IOException("expected " + wanted + ", got " + got);
        }
    }

    @Override
    public void close() {
        // java.net.http's client closes its connections when collected (HttpClient.close() is JDK 21+).
    }
}
