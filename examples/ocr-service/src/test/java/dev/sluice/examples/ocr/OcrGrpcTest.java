package dev.sluice.examples.ocr;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.grpc.OipGrpcClient;
import dev.sluice.spring.grpc.SluiceGrpcLifecycle;
import dev.sluice.tensor.DataType;
import dev.sluice.tensor.Tensor;
import java.awt.Font;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.math.BigDecimal;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import tools.jackson.databind.DeserializationFeature;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * The service's tensor deployments over the Open Inference Protocol's gRPC service ({@code sluice.grpc.port}, a free
 * port here) answer what they answer over REST JSON, bit for bit: a rendered line of text, through the detector, the
 * classifier and the recognizer, the client doing the pipeline's plain-Java steps in between.
 */
class OcrGrpcTest extends OcrHttp {
    private static final Duration TIMEOUT = Duration.ofSeconds(60);
    /** REST JSON numbers kept as written, so each FP32 is read back from its own digits. */
    private static final JsonMapper EXACT = JsonMapper.builder()
            .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS).build();
    private static final String LINE = "Grpc reads 1234";

    @Autowired
    OcrService service;

    @Autowired
    SluiceGrpcLifecycle grpc;

    private OipGrpcClient client;

    @BeforeEach
    void connect() {
        client = OipGrpcClient.connect(OcrApplication.grpcTarget(grpc.address()));
    }

    @AfterEach
    void close() {
        client.close();
    }

    @Test
    void theGrpcServerListensOnTheFreePortItWasGivenOnLoopback() {
        assertTrue(grpc.isRunning());
        assertTrue(grpc.address().getPort() > 0, grpc.address().toString());
        assertEquals("127.0.0.1", grpc.address().getAddress().getHostAddress());
        assertEquals("127.0.0.1:" + grpc.address().getPort(), OcrApplication.grpcTarget(grpc.address()));
        assertTrue(client.serverLive(TIMEOUT));
        for (String model : List.of("det", "cls", "rec")) {
            assertTrue(client.modelReady(model, null, TIMEOUT), model);
        }
    }

    @Test
    void detClsAndRecAnswerOverGrpcWhatTheyAnswerOverRestJsonAndTheLineReadsAsRendered() throws Exception {
        TextPages.Page page = TextPages.render(List.of(LINE),
                new Font(TextPages.availableFonts().get(0), Font.PLAIN, 28), 0, new Random(3), 0);
        BufferedImage image = service.imageDecoder().decode(page.png());

        Map<String, Tensor> detIn = service.textDetector().input(image);
        Map<String, Tensor> det = sameOverBoth("det", detIn);
        List<LineImages.LineImage> lines = service.lineImages().cut(image, service.textDetector().regions(det));
        assertEquals(1, lines.size(), "lines found: " + lines);

        Map<String, Tensor> cls = sameOverBoth("cls", service.lineImages().classifierInput(lines.get(0)));
        LineImages.LineImage upright = LineImages.orient(lines.get(0), cls, service.minFlipScore());
        Map<String, Tensor> rec = sameOverBoth("rec", service.lineImages().recognizerInput(upright));

        assertEquals(1, rec.size(), rec.toString());
        assertEquals(LINE, service.ctcDecoder().decode(rec.values().iterator().next()).text().strip());
    }

    @Test
    void theSelfCheckReadsItsPageWithTheModelsCalledOverGrpc() {
        ByteArrayOutputStream printed = new ByteArrayOutputStream();
        boolean ok = OcrSelfCheck.checkGrpc(OcrApplication.grpcTarget(grpc.address()), service,
                new PrintStream(printed, true, StandardCharsets.UTF_8));

        String out = printed.toString(StandardCharsets.UTF_8);
        assertTrue(ok, out);
        assertTrue(out.contains("read:     " + String.join(" | ", SelfCheckPage.LINES)), out);
        assertTrue(out.contains("self-check over gRPC ok"), out);
    }

    /** Runs {@code inputs} through {@code model} over gRPC and over REST JSON; asserts equal outputs and returns them. */
    private Map<String, Tensor> sameOverBoth(String model, Map<String, Tensor> inputs) throws Exception {
        Map<String, Tensor> overGrpc = client.infer(model, inputs.values(), TIMEOUT);
        Map<String, Tensor> overRest = inferOverRestJson(model, inputs);
        assertEquals(new TreeMap<>(overRest).keySet(), new TreeMap<>(overGrpc).keySet(), model + ": output names");
        for (Map.Entry<String, Tensor> e : overRest.entrySet()) {
            Tensor rest = e.getValue();
            Tensor viaGrpc = overGrpc.get(e.getKey());
            String what = model + " output '" + e.getKey() + "'";
            assertEquals(rest.dataType(), viaGrpc.dataType(), what);
            assertArrayEquals(rest.shape(), viaGrpc.shape(), what);
            assertArrayEquals(rest.toFloatArray(), viaGrpc.toFloatArray(), what);
        }
        return overGrpc;
    }

    /** {@code POST /v2/models/{model}/infer} with FP32 {@code inputs} as JSON; its outputs, read back as FP32. */
    private Map<String, Tensor> inferOverRestJson(String model, Map<String, Tensor> inputs) throws Exception {
        ObjectNode body = JSON.createObjectNode();
        ArrayNode in = body.putArray("inputs");
        for (Tensor t : inputs.values()) {
            ObjectNode o = in.addObject().put("name", t.name()).put("datatype", t.dataType().oipName());
            ArrayNode shape = o.putArray("shape");
            for (long d : t.shape()) {
                shape.add(d);
            }
            ArrayNode data = o.putArray("data");
            for (float f : t.toFloatArray()) {
                data.add(f);
            }
        }
        HttpResponse<String> r = send(request("/v2/models/" + model + "/infer").header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(body), StandardCharsets.UTF_8)).build());
        assertEquals(200, r.statusCode(), model + ": " + r.body());
        Map<String, Tensor> outputs = new LinkedHashMap<>();
        for (JsonNode o : EXACT.readTree(r.body()).get("outputs")) {
            String name = o.get("name").asString();
            assertEquals(DataType.FP32.oipName(), o.get("datatype").asString(), name);
            List<Long> shape = new ArrayList<>();
            o.get("shape").forEach(d -> shape.add(d.asLong()));
            List<BigDecimal> values = new ArrayList<>();
            o.get("data").forEach(v -> values.add(v.decimalValue()));
            float[] data = new float[values.size()];
            for (int i = 0; i < data.length; i++) {
                data[i] = Float.parseFloat(values.get(i).toString()); // the FP32 these digits were written from
            }
            outputs.put(name, Tensor.ofFloats(name, shape.stream().mapToLong(Long::longValue).toArray(), data));
        }
        return outputs;
    }
}
