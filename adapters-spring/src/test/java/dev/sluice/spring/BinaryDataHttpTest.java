package dev.sluice.spring;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.tensor.DataType;
import java.io.ByteArrayInputStream;
import java.math.BigInteger;
import java.net.http.HttpRequest;
import java.util.Collections;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;
import org.skyscreamer.jsonassert.JSONAssert;
import org.skyscreamer.jsonassert.JSONCompareMode;

/**
 * The binary tensor data extension over real HTTP (Triton's {@code extension_binary_data.md}, KServe's "Binary
 * Tensor Data Extension"): the specification's example, every data type in and out, inputs and outputs mixed
 * with JSON ones, the same answer as for the same request in JSON, and every malformed body refused with a 400
 * naming what was wrong. Run on both web stacks ({@link BinaryDataWebMvcHttpTest}, {@link
 * BinaryDataWebFluxHttpTest}), over {@link FakeModelsApplication}'s models.
 */
abstract class BinaryDataHttpTest extends SluiceHttpTest {
    /** The specification's example request: both inputs binary, output0 asked for as binary data. */
    static BinaryTensors.Body specRequest() {
        return BinaryTensors.request()
                .binaryInput("input0", DataType.UINT32, new long[] {2, 2}, List.of(1, 2, 3, 4))
                .binaryInput("input1", DataType.BOOL, new long[] {3}, List.of(true, false, true))
                .output("output0", true)
                .build();
    }

    @Test
    void theSpecificationsExampleGetsItsBinaryResponse() throws Exception {
        BinaryTensors.Body body = specRequest();
        assertThat(body.bytes().length - body.jsonLength()).isEqualTo(19); // "the total size of the binary data is 19"

        Http.BytesReply r = http.post("/v2/models/mymodel/infer", body);

        assertThat(r.status()).as(new String(r.body())).isEqualTo(200);
        assertThat(r.header("Content-Type")).isEqualTo("application/octet-stream");
        BinaryTensors.Answer a = r.answer();
        JSONAssert.assertEquals("""
                {"outputs": [{"name": "output0", "shape": [3, 2], "datatype": "FP32",
                              "parameters": {"binary_data_size": 24}}]}""", a.json().toString(),
                JSONCompareMode.STRICT_ORDER);
        assertThat(a.json().at("/outputs/0/data").isMissingNode()).isTrue();
        assertThat(BinaryTensors.floats(a.binary().get("output0"))).containsExactly(1.0f, 1.1f, 2.0f, 2.1f, 3.0f, 3.1f);
        assertThat(Integer.parseInt(r.header("Content-Length")))
                .isEqualTo(Integer.parseInt(r.header(BinaryTensors.HEADER)) + 24);
    }

    @Test
    void theServerListsTheExtension() throws Exception {
        Http.Reply r = http.get("/v2");

        assertThat(r.json().get("extensions").toString()).isEqualTo("[\"binary_tensor_data\"]");
    }

    /** Elements of each type, its extremes among them; the same five go out as JSON and as binary data. */
    static List<?> values(DataType type) {
        return switch (type) {
            case BOOL -> List.of(true, false, false, true, true, false);
            case UINT8 -> List.of(0, 1, 127, 128, 255, 7);
            case INT8 -> List.of(-128, -1, 0, 1, 127, 5);
            case UINT16 -> List.of(0, 1, 32767, 32768, 65535, 7);
            case INT16 -> List.of(-32768, -1, 0, 1, 32767, 5);
            case UINT32 -> List.of(0L, 1L, 2147483647L, 2147483648L, 4294967295L, 7L);
            case INT32 -> List.of(Integer.MIN_VALUE, -1, 0, 1, Integer.MAX_VALUE, 5);
            case UINT64 -> List.of(BigInteger.ZERO, BigInteger.ONE, BigInteger.valueOf(Long.MAX_VALUE),
                    BigInteger.ONE.shiftLeft(63), BigInteger.ONE.shiftLeft(64).subtract(BigInteger.ONE),
                    BigInteger.valueOf(7));
            case INT64 -> List.of(Long.MIN_VALUE, -1L, 0L, 1L, Long.MAX_VALUE, 5L);
            case FP16 -> List.of(1.5f, -2.0f, 0.0f, 65504.0f, 0.25f, -0.5f);
            case FP32 -> List.of(0.5f, -2.25f, 3.4e38f, 1.0e-3f, 0.0f, -1.0f);
            case FP64 -> List.of(0.1, -1.0e300, 3.25, 4.9e-324, 0.0, -1.0);
            case BYTES -> List.of("a", "", "héllo", "{json}", "x y", "🙂");
        };
    }

    @ParameterizedTest
    @EnumSource(DataType.class)
    void everyTypeGoesInAndComesOutAsBinaryData(DataType type) throws Exception {
        List<?> values = values(type);
        String model = "/v2/models/echo-" + type.name().toLowerCase() + "/infer";
        long[] shape = {2, 3};

        Http.BytesReply binary = http.post(model, BinaryTensors.request().binaryInput("in", type, shape, values)
                .parameter("binary_data_output", "true").build());

        assertThat(binary.status()).as(new String(binary.body())).isEqualTo(200);
        assertThat(binary.header("Content-Type")).isEqualTo("application/octet-stream");
        BinaryTensors.Answer a = binary.answer();
        assertThat(a.json().at("/outputs/0/datatype").asString()).isEqualTo(type.oipName());
        assertThat(a.json().at("/outputs/0/shape").toString()).isEqualTo("[2,3]");
        assertThat(a.binary().get("out")).isEqualTo(BinaryTensors.encode(type, values));
    }

    @ParameterizedTest
    @EnumSource(DataType.class)
    void aBinaryRequestIsAnsweredAsTheSameRequestInJson(DataType type) throws Exception {
        List<?> values = values(type);
        String model = "/v2/models/echo-" + type.name().toLowerCase() + "/infer";
        long[] shape = {3, 2};

        Http.BytesReply binary = http.post(model, BinaryTensors.request().binaryInput("in", type, shape, values).build());
        Http.Reply json = http.post(model, BinaryTensors.request().jsonInput("in", type, shape, values).json());

        assertThat(json.status()).as(json.body()).isEqualTo(200);
        assertThat(binary.status()).as(new String(binary.body())).isEqualTo(200);
        assertThat(binary.header("Content-Type")).startsWith("application/json"); // no output asked for binary
        assertThat(binary.header(BinaryTensors.HEADER)).isNull();
        assertThat(binary.answer().json()).isEqualTo(json.json());
    }

    @Test
    void jsonAndBinaryInputsMixInOneRequest() throws Exception {
        for (BinaryTensors.Body body : List.of(
                BinaryTensors.request()
                        .jsonInput("input0", DataType.UINT32, new long[] {2, 2}, List.of(1, 2, 3, 4))
                        .binaryInput("input1", DataType.BOOL, new long[] {3}, List.of(true, false, true))
                        .output("output0").build(),
                BinaryTensors.request()
                        .binaryInput("input0", DataType.UINT32, new long[] {2, 2}, List.of(1, 2, 3, 4))
                        .jsonInput("input1", DataType.BOOL, new long[] {3}, List.of(true, false, true))
                        .output("output0").build())) {
            Http.BytesReply r = http.post("/v2/models/mymodel/infer", body);

            assertThat(r.status()).as(new String(r.body())).isEqualTo(200);
            JSONAssert.assertEquals("""
                    {"outputs": [{"name": "output0", "shape": [3, 2], "datatype": "FP32",
                                  "data": [1.0, 1.1, 2.0, 2.1, 3.0, 3.1]}]}""", r.answer().json().toString(),
                    JSONCompareMode.STRICT_ORDER);
        }
    }

    @Test
    void anOutputsOwnBinaryDataOverridesTheRequestsBinaryDataOutput() throws Exception {
        Http.BytesReply r = http.post("/v2/models/mymodel/infer", BinaryTensors.request()
                .jsonInput("input0", DataType.UINT32, new long[] {2, 2}, List.of(1, 2, 3, 4))
                .jsonInput("input1", DataType.BOOL, new long[] {3}, List.of(true, false, true))
                .parameter("binary_data_output", "true")
                .output("output0", false).output("output1").build());

        assertThat(r.status()).as(new String(r.body())).isEqualTo(200);
        BinaryTensors.Answer a = r.answer();
        assertThat(a.json().at("/outputs/0/data").toString()).isEqualTo("[1.0,1.1,2.0,2.1,3.0,3.1]");
        assertThat(a.binary()).containsOnlyKeys("output1");
        assertThat(BinaryTensors.longs(a.binary().get("output1"))).containsExactly(7);
        assertThat(a.json().at("/outputs/1/parameters/binary_data_size").asInt()).isEqualTo(8);
    }

    @Test
    void binaryDataOutputWithoutOutputsAnswersEveryOutputInBinaryInTheModelsOrder() throws Exception {
        Http.BytesReply r = http.post("/v2/models/mymodel/infer", BinaryTensors.request()
                .jsonInput("input0", DataType.UINT32, new long[] {2, 2}, List.of(1, 2, 3, 4))
                .jsonInput("input1", DataType.BOOL, new long[] {3}, List.of(true, false, true))
                .parameter("binary_data_output", "true").build());

        assertThat(r.status()).as(new String(r.body())).isEqualTo(200);
        BinaryTensors.Answer a = r.answer();
        assertThat(a.binary()).containsOnlyKeys("output0", "output1");
        assertThat(a.json().at("/outputs/0/name").asString()).isEqualTo("output0");
        assertThat(BinaryTensors.floats(a.binary().get("output0"))).containsExactly(1.0f, 1.1f, 2.0f, 2.1f, 3.0f, 3.1f);
        assertThat(BinaryTensors.longs(a.binary().get("output1"))).containsExactly(7);
    }

    @Test
    void aHeaderAsLongAsTheBodyIsAPlainJsonRequest() throws Exception {
        BinaryTensors.Body body = BinaryTensors.body(vector(1, 2, 3, 4));

        Http.BytesReply r = http.post("/v2/models/doubler/infer", body);

        assertThat(r.status()).as(new String(r.body())).isEqualTo(200);
        assertThat(r.answer().json().at("/outputs/0/data").toString()).isEqualTo("[2.0,4.0,6.0,8.0]");
    }

    @Test
    void aBinaryBodyOverTheSizeLimitIs413() throws Exception {
        List<Float> values = Collections.nCopies(20 * 1024, 1f); // 80 KiB of binary data; the limit is 64 KiB
        BinaryTensors.Body body = BinaryTensors.request()
                .binaryInput("x", DataType.FP32, new long[] {5 * 1024, 4}, values).build();

        Http.BytesReply declared = http.post("/v2/models/doubler/infer", body);
        assertThat(declared.status()).isEqualTo(413);
        assertThat(declared.error()).contains("sluice.http.max-request-size");

        HttpRequest chunked = http.request("/v2/models/doubler/infer").header(BinaryTensors.HEADER, body.header())
                .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(body.bytes()))).build();
        assertThat(http.send(chunked).status()).as("no length declared: counted while read").isEqualTo(413);
    }

    // ---------------------------------------------------------------- malformed bodies

    private static final String X_HEAD = "{\"inputs\":[{\"name\":\"x\",\"shape\":[1,4],\"datatype\":\"FP32\"";

    /** The doubler's input x with {@code binary_data_size} written as {@code size}, and {@code bytes} after it. */
    private static BinaryTensors.Body x(String size, int bytes) {
        return BinaryTensors.body(X_HEAD + ",\"parameters\":{\"binary_data_size\":" + size + "}}]}", new byte[bytes]);
    }

    private static Arguments bad(String what, String model, BinaryTensors.Body body, String header, String message) {
        return Arguments.of(what, model, body, header, message);
    }

    private static Arguments bad(String what, String model, BinaryTensors.Body body, String message) {
        return bad(what, model, body, body.header(), message);
    }

    static Stream<Arguments> malformed() {
        BinaryTensors.Body ok = x("16", 16);
        String len = ok.header();
        String all = Integer.toString(ok.bytes().length);
        byte[] oneByte = {1, 0, 0, 0, 'a'};
        return Stream.of(
                bad("header not a number", "doubler", ok, "sixty", "header must be the length of the body's JSON in "
                        + "bytes, a whole number; it is 'sixty'"),
                bad("header a fraction", "doubler", ok, len + ".0", "a whole number; it is '" + len + ".0'"),
                bad("header empty", "doubler", ok, "", "a whole number; it is ''"),
                bad("header negative", "doubler", ok, "-1", "Inference-Header-Content-Length header is negative (-1)"),
                bad("header past the body", "doubler", ok, (ok.bytes().length + 1) + "",
                        "header (" + (ok.bytes().length + 1) + ") is larger than the body (" + all + " bytes)"),
                bad("header past any long", "doubler", ok, "99999999999999999999999",
                        "header (99999999999999999999999) is larger than the body"),
                bad("binary_data_size without the header", "doubler", ok, null,
                        "input 'x' has \"binary_data_size\" (binary tensor data), but the request has no "
                                + "Inference-Header-Content-Length header"),
                bad("size negative", "doubler", x("-16", 16), "input 'x': \"binary_data_size\" is negative (-16)"),
                bad("size a fraction", "doubler", x("16.5", 16),
                        "input 'x': \"binary_data_size\" must be a whole number of bytes, it is 16.5"),
                bad("size a string", "doubler", x("\"16\"", 16),
                        "\"binary_data_size\" must be a whole number of bytes, it is the string \"16\""),
                bad("size a boolean", "doubler", x("true", 16), "must be a whole number of bytes, it is true"),
                bad("size huge", "doubler", x("9223372036854775807", 16),
                        "input 'x': shape [1, 4] of FP32 needs 16 bytes (4 elements), \"binary_data_size\" is "
                                + "9223372036854775807"),
                bad("size past any long", "doubler", x("99999999999999999999999", 16),
                        "needs 16 bytes (4 elements), \"binary_data_size\" is 99999999999999999999999"),
                bad("size not the shape's", "doubler", x("12", 12),
                        "input 'x': shape [1, 4] of FP32 needs 16 bytes (4 elements), \"binary_data_size\" is 12"),
                bad("too few bytes", "doubler", x("16", 15),
                        "input 'x': \"binary_data_size\" is 16, but only 15 bytes of binary data are left after the JSON"),
                bad("bytes left over", "doubler", x("16", 20), "the body has 4 bytes after the binary data of its "
                        + "inputs: their \"binary_data_size\" add up to 16, the body has 20 bytes after its JSON"),
                bad("bytes but no binary input", "doubler", BinaryTensors.body(vector(1, 2, 3, 4), new byte[3]),
                        "the body has 3 bytes after its JSON"),
                bad("data and binary_data_size", "doubler", BinaryTensors.body(X_HEAD
                        + ",\"data\":[1,2,3,4],\"parameters\":{\"binary_data_size\":16}}]}", new byte[16]),
                        "input 'x' has both \"data\" and \"binary_data_size\""),
                bad("shape overflows", "doubler", BinaryTensors.body("{\"inputs\":[{\"name\":\"x\",\"shape\":"
                        + "[4294967296,4294967296,4],\"datatype\":\"FP32\",\"parameters\":{\"binary_data_size\":16}}]}",
                        new byte[16]), "shape [4294967296, 4294967296, 4] has more elements than a tensor can hold"),
                bad("shape's bytes overflow", "echo-fp64", BinaryTensors.body("{\"inputs\":[{\"name\":\"in\","
                        + "\"shape\":[1000000,1000],\"datatype\":\"FP64\",\"parameters\":{\"binary_data_size\":8}}]}",
                        new byte[8]), "shape [1000000, 1000] of FP64 needs 8000000000 bytes, more than the 2 GiB"),
                bad("BYTES chunk past its size", "echo-bytes", BinaryTensors.body("{\"inputs\":[{\"name\":\"in\","
                        + "\"shape\":[1,1],\"datatype\":\"BYTES\",\"parameters\":{\"binary_data_size\":5}}]}",
                        new byte[] {9, 0, 0, 0, 'a'}), "BYTES element 0 declares 9 bytes, only 1 follow in binary data"),
                bad("BYTES chunks short of their size", "echo-bytes", BinaryTensors.body("{\"inputs\":[{\"name\":"
                        + "\"in\",\"shape\":[1,1],\"datatype\":\"BYTES\",\"parameters\":{\"binary_data_size\":7}}]}",
                        oneByte, new byte[2]), "binary data hold 2 bytes after the 1 BYTES elements of shape [1, 1]"),
                bad("BYTES size huge", "echo-bytes", BinaryTensors.body("{\"inputs\":[{\"name\":\"in\",\"shape\":"
                        + "[1,1],\"datatype\":\"BYTES\",\"parameters\":{\"binary_data_size\":2147483647}}]}", oneByte),
                        "\"binary_data_size\" is 2147483647, but only 5 bytes of binary data are left"),
                bad("BYTES shape huge", "echo-bytes", BinaryTensors.body("{\"inputs\":[{\"name\":\"in\",\"shape\":"
                        + "[1,1000000000],\"datatype\":\"BYTES\",\"parameters\":{\"binary_data_size\":5}}]}", oneByte),
                        "shape [1, 1000000000] needs 1000000000 BYTES elements, but 5 bytes of binary data hold at "
                                + "most 1"),
                bad("BOOL byte not 0 or 1", "echo-bool", BinaryTensors.body("{\"inputs\":[{\"name\":\"in\",\"shape\":"
                        + "[1,2],\"datatype\":\"BOOL\",\"parameters\":{\"binary_data_size\":2}}]}", new byte[] {1, 2}),
                        "element 1 is the byte 2; a raw BOOL element is 0 or 1"),
                bad("second input's size past the end", "mymodel", BinaryTensors.body("{\"inputs\":[{\"name\":"
                        + "\"input0\",\"shape\":[1,2],\"datatype\":\"UINT32\",\"parameters\":{\"binary_data_size\":8}},"
                        + "{\"name\":\"input1\",\"shape\":[3],\"datatype\":\"BOOL\",\"parameters\":"
                        + "{\"binary_data_size\":3}}]}", new byte[9]), "input 'input1': \"binary_data_size\" is 3, but "
                        + "only 1 bytes of binary data are left after the JSON and the 1 input(s) before it"),
                bad("binary_data not a boolean", "doubler", BinaryTensors.body(vector(1, 2, 3, 4).replace("]}]}",
                        "]}],\"outputs\":[{\"name\":\"y\",\"parameters\":{\"binary_data\":\"yes\"}}]}")),
                        "outputs[0]: parameter \"binary_data\" must be true or false, it is the string \"yes\""),
                bad("binary_data_output not a boolean", "doubler", BinaryTensors.body(
                        "{\"parameters\":{\"binary_data_output\":1}," + vector(1, 2, 3, 4).substring(1)),
                        "parameter \"binary_data_output\" must be true or false, it is 1"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("malformed")
    void aMalformedBinaryBodyIs400SayingWhatWasWrong(String what, String model, BinaryTensors.Body body, String header,
            String message) throws Exception {
        Http.BytesReply r = http.post("/v2/models/" + model + "/infer", body, header);

        assertThat(r.status()).as(new String(r.body())).isEqualTo(400);
        assertThat(r.header("Content-Type")).startsWith("application/json");
        assertThat(r.error()).contains(message);
        assertThat(http.post("/v2/models/doubler/infer", vector(1, 1, 1, 1)).status()).as("and the server goes on")
                .isEqualTo(200);
    }
}
