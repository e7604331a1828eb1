package dev.sluice.spring;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.skyscreamer.jsonassert.JSONAssert;
import org.skyscreamer.jsonassert.JSONCompareMode;

/**
 * The endpoints of the Open Inference Protocol (KServe "Predict Protocol - Version 2", required_api.md) over real
 * HTTP, using the specification's own example bodies where it gives them. Responses are compared structurally:
 * every field of the specification's example is there with its value (STRICT_ORDER: arrays in order, extra
 * fields allowed, such as model_name, which the schema requires but the example leaves out).
 */
class OipConformanceTest extends FakeModelsHttpTest {

    /** The specification's inference request example, with input1's data completed to match its shape [3]. */
    static final String SPEC_REQUEST = """
            {
              "id" : "42",
              "inputs" : [
                {
                  "name" : "input0",
                  "shape" : [ 2, 2 ],
                  "datatype" : "UINT32",
                  "data" : [ 1, 2, 3, 4 ]
                },
                {
                  "name" : "input1",
                  "shape" : [ 3 ],
                  "datatype" : "BOOL",
                  "data" : [ true, false, true ]
                }
              ],
              "outputs" : [
                {
                  "name" : "output0"
                }
              ]
            }
            """;

    /** The specification's response to it (its example omits the comma after "id"; JSON needs it). */
    static final String SPEC_RESPONSE = """
            {
              "id" : "42",
              "outputs" : [
                {
                  "name" : "output0",
                  "shape" : [ 3, 2 ],
                  "datatype"  : "FP32",
                  "data" : [ 1.0, 1.1, 2.0, 2.1, 3.0, 3.1 ]
                }
              ]
            }
            """;

    @Test
    void specificationInferenceExampleGetsTheSpecificationResponseWithOnlyTheAskedOutput() throws Exception {
        Http.Reply r = http.post("/v2/models/mymodel/infer", SPEC_REQUEST);

        assertThat(r.status()).isEqualTo(200);
        assertThat(r.header("Content-Type")).startsWith("application/json");
        JSONAssert.assertEquals(SPEC_RESPONSE, r.body(), JSONCompareMode.STRICT_ORDER);
        assertThat(r.json().get("outputs")).hasSize(1); // output1 exists but was not asked for
        assertThat(r.json().get("model_name").asString()).isEqualTo("mymodel");
    }

    @Test
    void specificationExampleVerbatimIsRefusedBecauseItsInput1HasOneElementForShape3() throws Exception {
        String verbatim = SPEC_REQUEST.replace("[ true, false, true ]", "[ true ]");

        Http.Reply r = http.post("/v2/models/mymodel/infer", verbatim);

        assertThat(r.status()).isEqualTo(400);
        assertThat(r.error()).contains("input 'input1'", "shape [3] needs 3 BOOL elements", "has 1");
    }

    @Test
    void withoutOutputsEveryOutputIsReturnedAndWithoutIdNoIdIsEchoed() throws Exception {
        String request = SPEC_REQUEST.replace("\"id\" : \"42\",", "").replaceAll("(?s),\\s*\"outputs\".*\\]\\s*}\\s*$", "}");

        Http.Reply r = http.post("/v2/models/mymodel/infer", request);

        assertThat(r.status()).as(r.body()).isEqualTo(200);
        assertThat(r.json().has("id")).isFalse();
        JSONAssert.assertEquals("""
                {"model_name": "mymodel", "model_version": "1", "outputs": [
                  {"name": "output0", "datatype": "FP32", "shape": [3, 2], "data": [1.0, 1.1, 2.0, 2.1, 3.0, 3.1]},
                  {"name": "output1", "datatype": "INT64", "shape": [1], "data": [7]}]}
                """, r.body(), JSONCompareMode.STRICT);
    }

    @Test
    void versionedInferUsesTheDeploymentVersionAndParametersAreAccepted() throws Exception {
        String request = SPEC_REQUEST.replace("\"id\" : \"42\",",
                "\"id\" : \"v\", \"parameters\" : {\"content_type\": \"np\", \"priority\": 1, \"flag\": true},");

        Http.Reply r = http.post("/v2/models/mymodel/versions/1/infer", request);

        assertThat(r.status()).as(r.body()).isEqualTo(200);
        assertThat(r.json().get("id").asString()).isEqualTo("v");
        assertThat(r.json().get("model_version").asString()).isEqualTo("1");
    }

    @Test
    void modelMetadataDescribesTheSignatureWithMinusOneForOpenDimensions() throws Exception {
        Http.Reply r = http.get("/v2/models/mymodel");

        assertThat(r.status()).isEqualTo(200);
        JSONAssert.assertEquals("""
                {
                  "name": "mymodel",
                  "versions": ["1"],
                  "platform": "sluice_java",
                  "inputs": [
                    {"name": "input0", "datatype": "UINT32", "shape": [-1, 2]},
                    {"name": "input1", "datatype": "BOOL", "shape": [-1]}
                  ],
                  "outputs": [
                    {"name": "output0", "datatype": "FP32", "shape": [-1, 2]},
                    {"name": "output1", "datatype": "INT64", "shape": [-1]}
                  ]
                }
                """, r.body(), JSONCompareMode.STRICT);
        assertThat(http.get("/v2/models/mymodel/versions/1").body()).isEqualTo(r.body());
    }

    @Test
    void serverMetadataNamesTheServerItsVersionAndItsExtensions() throws Exception {
        Http.Reply r = http.get("/v2");

        assertThat(r.status()).isEqualTo(200);
        assertThat(r.json().get("name").asString()).isEqualTo("sluice");
        assertThat(r.json().get("version").asString()).isNotBlank();
        assertThat(r.json().get("extensions").toString()).isEqualTo("[\"binary_tensor_data\"]");
    }

    @Test
    void healthEndpointsAnswer200WithAnEmptyBodyOnceModelsAreReady() throws Exception {
        org.awaitility.Awaitility.await().until(() -> http.get("/v2/health/ready").status() == 200);

        for (String path : new String[] {"/v2/health/live", "/v2/health/ready", "/v2/models/mymodel/ready",
                "/v2/models/mymodel/versions/1/ready"}) {
            Http.Reply r = http.get(path);
            assertThat(r.status()).as(path).isEqualTo(200);
            assertThat(r.body()).as(path).isEmpty();
        }
    }

    @Test
    void anUnknownVersionIs404NamingTheServedOne() throws Exception {
        for (String path : new String[] {"/v2/models/mymodel/versions/7", "/v2/models/mymodel/versions/7/ready"}) {
            Http.Reply r = http.get(path);
            assertThat(r.status()).isEqualTo(404);
            assertThat(r.error()).contains("no version '7'", "serves version 1");
        }
        Http.Reply infer = http.post("/v2/models/mymodel/versions/7/infer", SPEC_REQUEST);
        assertThat(infer.status()).isEqualTo(404);
    }

    @Test
    void aDeploymentWithoutTensorSignatureIsNotAProtocolModel() throws Exception {
        assertThat(http.get("/v2/models/strings").status()).isEqualTo(404);
        assertThat(http.get("/v2/models/strings").error()).contains("no model named 'strings'");
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "BOOL   | [true, false, true, true]                                      | [true,false,true,true]",
        "UINT8  | [0, 255, 7, 128]                                               | [0,255,7,128]",
        "INT8   | [-128, 127, 0, -1]                                             | [-128,127,0,-1]",
        "INT16  | [-32768, 32767, 0, 5]                                          | [-32768,32767,0,5]",
        "INT32  | [-2147483648, 2147483647, 0, 5]                                | [-2147483648,2147483647,0,5]",
        "INT64  | [-9223372036854775808, 9223372036854775807, 0, 5]              | [-9223372036854775808,9223372036854775807,0,5]",
        "UINT64 | [18446744073709551615, 0, 1, 9223372036854775808]              | [18446744073709551615,0,1,9223372036854775808]",
        "FP16   | [0.5, -2, 65504, 0.099975586]                                  | [0.5,-2.0,65504.0,0.099975586]",
        "FP32   | [0.5, -2, 3.25, 1e-3]                                          | [0.5,-2.0,3.25,0.001]",
        "FP64   | [0.1, -2, 3.25, 1e300]                                         | [0.1,-2.0,3.25,1.0E300]",
        "BYTES  | [\"a\", \"\", \"héllo\", \"{json}\"]                           | [\"a\",\"\",\"héllo\",\"{json}\"]",
    })
    void everyDataTypeRoundTripsThroughAModelFlatOrNested(String type, String data, String expected) throws Exception {
        String flat = "{\"inputs\":[{\"name\":\"in\",\"shape\":[2,2],\"datatype\":\"" + type + "\",\"data\":" + data
                + "}]}";
        String nested = flat.replace(data, nest(data));

        for (String request : new String[] {flat, nested}) {
            Http.Reply r = http.post("/v2/models/echo-" + type.toLowerCase() + "/infer", request);

            assertThat(r.status()).as(r.body()).isEqualTo(200);
            JSONAssert.assertEquals("{\"outputs\":[{\"name\":\"out\",\"datatype\":\"" + type
                    + "\",\"shape\":[2,2],\"data\":" + expected + "}]}", r.body(), JSONCompareMode.STRICT_ORDER);
        }
    }

    @Test
    void dataMayComeBeforeShapeAndDatatype() throws Exception {
        Http.Reply r = http.post("/v2/models/echo-int32/infer",
                "{\"inputs\":[{\"data\":[[1,2,3]],\"name\":\"in\",\"datatype\":\"INT32\",\"shape\":[1,3]}]}");

        assertThat(r.status()).as(r.body()).isEqualTo(200);
        JSONAssert.assertEquals("{\"outputs\":[{\"shape\":[1,3],\"data\":[1,2,3]}]}", r.body(),
                JSONCompareMode.STRICT_ORDER);
    }

    @Test
    void nanComesInAsTheLiteralPythonWritesAndGoesOutAsAString() throws Exception {
        Http.Reply r = http.post("/v2/models/echo-fp32/infer",
                "{\"inputs\":[{\"name\":\"in\",\"shape\":[1,3],\"datatype\":\"FP32\",\"data\":[NaN,1.5,-0.0]}]}");

        assertThat(r.status()).as(r.body()).isEqualTo(200);
        assertThat(r.json().at("/outputs/0/data").toString()).isEqualTo("[\"NaN\",1.5,-0.0]");
    }

    /** [a, b, c, d] as [[a, b], [c, d]]. */
    private static String nest(String flat) {
        String[] e = flat.substring(1, flat.length() - 1).split(",");
        return "[[" + e[0] + "," + e[1] + "],[" + e[2] + "," + e[3] + "]]";
    }
}
