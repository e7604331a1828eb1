package dev.sluice.spring.oip;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.Deployment;
import dev.sluice.Resources;
import dev.sluice.Sluice;
import dev.sluice.tensor.DataType;
import dev.sluice.tensor.Tensor;
import dev.sluice.tensor.TensorSignature;
import dev.sluice.tensor.TensorSpec;
import java.io.ByteArrayInputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A large output asked for as binary data (the OCR recognizer's answer: FP32 [1, 40, 6625], 1 MB) is written as
 * its bytes after a small JSON header, never as JSON numbers; web-stack neutral, without HTTP.
 */
class OpenInferenceProtocolBinaryTest {
    private static final long[] SHAPE = {1, 40, 6625};
    private static final int ELEMENTS = 40 * 6625;

    private Sluice sluice;
    private OpenInferenceProtocol protocol;

    @BeforeEach
    void deploy() {
        sluice = Sluice.builder().resources(Resources.builder().cpus(1).build()).build();
        TensorSignature signature = new TensorSignature(List.of(new TensorSpec("x", DataType.FP32, new long[] {1})),
                List.of(new TensorSpec("probabilities", DataType.FP32, SHAPE)));
        sluice.deploy(Deployment.<Map<String, Tensor>, Map<String, Tensor>>builder("recognizer", ctx -> batch -> {
            List<Map<String, Tensor>> out = new ArrayList<>();
            for (Map<String, Tensor> request : batch) {
                float x = request.get("x").toFloatArray()[0];
                float[] p = new float[ELEMENTS];
                for (int i = 0; i < p.length; i++) {
                    p[i] = x + i;
                }
                out.add(Map.of("probabilities", Tensor.ofFloats("probabilities", SHAPE, p)));
            }
            return out;
        }).signature(signature).resources(r -> r.cpus(0)).build());
        protocol = new OpenInferenceProtocol(sluice, new OpenInferenceProtocol.Settings(64 * 1024,
                Duration.ofSeconds(30)));
    }

    @AfterEach
    void close() {
        sluice.close();
    }

    private OipResponse infer(String json, String header) {
        byte[] body = json.getBytes(StandardCharsets.UTF_8);
        return protocol.infer("recognizer", null, new ByteArrayInputStream(body), body.length, header).join();
    }

    @Test
    void aMegabyteOutputAskedForAsBinaryIsItsBytesAfterASmallJsonHeader() {
        String json = "{\"inputs\":[{\"name\":\"x\",\"shape\":[1],\"datatype\":\"FP32\",\"data\":[0.5]}],"
                + "\"outputs\":[{\"name\":\"probabilities\",\"parameters\":{\"binary_data\":true}}]}";

        OipResponse r = infer(json, null);

        assertThat(r.status()).as(r.toString()).isEqualTo(200);
        assertThat(r.contentType()).isEqualTo(OipResponse.BINARY_CONTENT_TYPE);
        int header = Integer.parseInt(r.headers().get(OpenInferenceProtocol.INFERENCE_HEADER_CONTENT_LENGTH));
        assertThat(header).isLessThan(300);
        assertThat(r.body()).hasSize(header + ELEMENTS * 4);
        assertThat(r.bodyText()).isEqualTo("{\"model_name\":\"recognizer\",\"model_version\":\"1\",\"outputs\":[{\"name\":"
                + "\"probabilities\",\"datatype\":\"FP32\",\"shape\":[1,40,6625],\"parameters\":{\"binary_data_size\":"
                + ELEMENTS * 4 + "}}]}");
        ByteBuffer data = ByteBuffer.wrap(r.body(), header, ELEMENTS * 4).slice().order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < ELEMENTS; i += 997) {
            assertThat(data.getFloat(i * 4)).isEqualTo(0.5f + i);
        }
        assertThat(r.toString()).endsWith(" and " + ELEMENTS * 4 + " bytes of binary data]");
    }

    @Test
    void withoutBinaryDataTheSameOutputIsJson() {
        OipResponse r = infer("{\"inputs\":[{\"name\":\"x\",\"shape\":[1],\"datatype\":\"FP32\",\"data\":[0.5]}]}",
                null);

        assertThat(r.status()).isEqualTo(200);
        assertThat(r.contentType()).isEqualTo(OipResponse.CONTENT_TYPE);
        assertThat(r.headers()).doesNotContainKey(OpenInferenceProtocol.INFERENCE_HEADER_CONTENT_LENGTH);
        assertThat(r.bodyText()).contains("\"data\":[0.5,1.5,2.5,");
    }

    @Test
    void aBinaryInputComesThroughTheWebStackNeutralEntryPoint() {
        String json = "{\"inputs\":[{\"name\":\"x\",\"shape\":[1],\"datatype\":\"FP32\",\"parameters\":"
                + "{\"binary_data_size\":4}}],\"parameters\":{\"binary_data_output\":true}}";
        byte[] head = json.getBytes(StandardCharsets.UTF_8);
        byte[] body = ByteBuffer.allocate(head.length + 4).order(ByteOrder.LITTLE_ENDIAN).put(head).putFloat(2.0f)
                .array();

        OipResponse r = protocol.infer("recognizer", null, new ByteArrayInputStream(body), body.length,
                Integer.toString(head.length)).join();

        assertThat(r.status()).as(r.toString()).isEqualTo(200);
        int header = Integer.parseInt(r.headers().get(OpenInferenceProtocol.INFERENCE_HEADER_CONTENT_LENGTH));
        assertThat(ByteBuffer.wrap(r.body()).order(ByteOrder.LITTLE_ENDIAN).getFloat(header + 4 * 3)).isEqualTo(5.0f);
    }
}
