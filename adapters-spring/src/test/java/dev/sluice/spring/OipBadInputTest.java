package dev.sluice.spring;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.net.http.HttpRequest;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Bad requests each get one 4xx with an {@code {"error": ...}} body saying what was wrong, and never disturb
 * requests already in flight.
 */
class OipBadInputTest extends FakeModelsHttpTest {

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', quoteCharacter = '`', value = {
        "malformed JSON          | {\"inputs\": [{\"name\": \"x\",                                    | not valid JSON",
        "not an object           | [1, 2]                                                              | must be a JSON object",
        "no inputs               | {\"id\": \"1\"}                                                     | has no \"inputs\"",
        "empty inputs            | {\"inputs\": []}                                                    | \"inputs\" is empty",
        "wrong datatype          | {\"inputs\":[{\"name\":\"x\",\"shape\":[1,4],\"datatype\":\"INT32\",\"data\":[1,2,3,4]}]} | input 'x' is INT32, the model takes FP32",
        "unknown datatype        | {\"inputs\":[{\"name\":\"x\",\"shape\":[1,4],\"datatype\":\"FLOAT\",\"data\":[1,2,3,4]}]} | unknown data type 'FLOAT'",
        "too few elements        | {\"inputs\":[{\"name\":\"x\",\"shape\":[1,4],\"datatype\":\"FP32\",\"data\":[1,2,3]}]}   | shape [1, 4] needs 4 FP32 elements, \"data\" has 3",
        "too many elements       | {\"inputs\":[{\"name\":\"x\",\"shape\":[1,4],\"datatype\":\"FP32\",\"data\":[1,2,3,4,5]}]} | \"data\" has more than the 4 elements of shape [1, 4]",
        "an infinity             | {\"inputs\":[{\"name\":\"x\",\"shape\":[1,4],\"datatype\":\"FP32\",\"data\":[1,-Infinity,3,4]}]} | element 1 is -Infinity; a FP32 element must be NaN or a finite number within the range of FP32",
        "past the largest FP32   | {\"inputs\":[{\"name\":\"x\",\"shape\":[1,4],\"datatype\":\"FP32\",\"data\":[1,3.4028236E38,3,4]}]} | element 1 is 3.4028236E38; a FP32 element must be NaN or a finite number within the range of FP32",
        "beyond FP32's range     | {\"inputs\":[{\"name\":\"x\",\"shape\":[1,4],\"datatype\":\"FP32\",\"data\":[1,2,4e38,4]}]}        | element 2 is 4e38; a FP32 element must be NaN or a finite number",
        "string for a number     | {\"inputs\":[{\"name\":\"x\",\"shape\":[1,4],\"datatype\":\"FP32\",\"data\":[1,\"a\",3,4]}]} | element 1 is the string \"a\"; a FP32 element must be a number",
        "wrong dimension         | {\"inputs\":[{\"name\":\"x\",\"shape\":[2,2],\"datatype\":\"FP32\",\"data\":[1,2,3,4]}]}   | input 'x' has dimension 1 of 2",
        "unknown input           | {\"inputs\":[{\"name\":\"x\",\"shape\":[1,4],\"datatype\":\"FP32\",\"data\":[1,2,3,4]},{\"name\":\"z\",\"shape\":[1],\"datatype\":\"FP32\",\"data\":[1]}]} | input 'z' is not one of the model's [x]",
        "missing input           | {\"inputs\":[{\"name\":\"z\",\"shape\":[1],\"datatype\":\"FP32\",\"data\":[1]}]}          | input 'x' is missing",
        "input given twice       | {\"inputs\":[{\"name\":\"x\",\"shape\":[1,4],\"datatype\":\"FP32\",\"data\":[1,2,3,4]},{\"name\":\"x\",\"shape\":[1,4],\"datatype\":\"FP32\",\"data\":[1,2,3,4]}]} | input 'x' is given twice",
        "no data                 | {\"inputs\":[{\"name\":\"x\",\"shape\":[1,4],\"datatype\":\"FP32\"}]}                    | input 'x' has no \"data\"",
        "negative dimension      | {\"inputs\":[{\"name\":\"x\",\"shape\":[1,-4],\"datatype\":\"FP32\",\"data\":[]}]}       | dimension 1 of \"shape\" is negative",
        "shape product overflow  | {\"inputs\":[{\"name\":\"x\",\"shape\":[4294967296,4294967296,4],\"datatype\":\"FP32\",\"data\":[1]}]} | has more elements than a tensor can hold",
        "huge shape, tiny body   | {\"inputs\":[{\"name\":\"x\",\"shape\":[1000000000,4],\"datatype\":\"FP32\",\"data\":[1]}]} | shape [1000000000, 4] needs 4000000000 FP32 elements, \"data\" has 1",
        "data short of a shape   | {\"inputs\":[{\"name\":\"x\",\"shape\":[1,3,48,2],\"datatype\":\"FP32\",\"data\":[1,2,3]}]} | shape [1, 3, 48, 2] needs 288 FP32 elements, \"data\" has 3",
        "nested data short       | {\"inputs\":[{\"name\":\"x\",\"shape\":[1,3,48,2],\"datatype\":\"FP32\",\"data\":[[1,2],[3]]}]} | shape [1, 3, 48, 2] needs 288 FP32 elements, \"data\" has 3",
        "more than 32 dimensions | {\"inputs\":[{\"name\":\"x\",\"shape\":[1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1],\"datatype\":\"FP32\",\"data\":[1]}]} | \"shape\" has more than 32 dimensions",
        "BYTES shape, tiny body  | {\"inputs\":[{\"name\":\"x\",\"shape\":[1,1000000000],\"datatype\":\"BYTES\",\"data\":[\"a\"]}]} | shape [1, 1000000000] needs 1000000000 BYTES elements, \"data\" has 1",
        "dimension beyond int64  | {\"inputs\":[{\"name\":\"x\",\"shape\":[99999999999999999999,4],\"datatype\":\"FP32\",\"data\":[1]}]} | is too large",
        "unknown output          | {\"inputs\":[{\"name\":\"x\",\"shape\":[1,4],\"datatype\":\"FP32\",\"data\":[1,2,3,4]}],\"outputs\":[{\"name\":\"q\"}]} | output 'q' is not one of the model's [y]",
        "id not a string         | {\"id\": 42, \"inputs\":[{\"name\":\"x\",\"shape\":[1,4],\"datatype\":\"FP32\",\"data\":[1,2,3,4]}]} | \"id\" must be a string",
        "bad timeout parameter   | {\"parameters\":{\"timeout_ms\":-5},\"inputs\":[{\"name\":\"x\",\"shape\":[1,4],\"datatype\":\"FP32\",\"data\":[1,2,3,4]}]} | \"timeout_ms\" must be a positive whole number",
        "binary data, no header  | {\"inputs\":[{\"name\":\"x\",\"shape\":[1,4],\"datatype\":\"FP32\",\"parameters\":{\"binary_data_size\":16}}]} | no Inference-Header-Content-Length header",
        "trailing content        | {\"inputs\":[{\"name\":\"x\",\"shape\":[1,4],\"datatype\":\"FP32\",\"data\":[1,2,3,4]}]} xyz | not valid JSON",
    })
    void aBadRequestIs400SayingWhatWasWrong(String what, String body, String message) throws Exception {
        Http.Reply r = http.post("/v2/models/doubler/infer", body);

        assertThat(r.status()).as(r.body()).isEqualTo(400);
        assertThat(r.header("Content-Type")).startsWith("application/json");
        assertThat(r.error()).contains(message);
    }

    @Test
    void anOutOfRangeIntegerIs400NamingTheRange() throws Exception {
        Http.Reply r = http.post("/v2/models/echo-uint8/infer",
                "{\"inputs\":[{\"name\":\"in\",\"shape\":[1,2],\"datatype\":\"UINT8\",\"data\":[255,256]}]}");

        assertThat(r.status()).isEqualTo(400);
        assertThat(r.error()).contains("element 1 is 256", "from 0 to 255");
    }

    @Test
    void anUnknownModelIs404() throws Exception {
        Http.Reply r = http.post("/v2/models/nope/infer", vector(1, 2, 3, 4));

        assertThat(r.status()).isEqualTo(404);
        assertThat(r.error()).isEqualTo("no model named 'nope'");
        assertThat(http.get("/v2/models/nope").status()).isEqualTo(404);
        assertThat(http.get("/v2/models/nope/ready").status()).isEqualTo(404);
    }

    @Test
    void aWrongMethodIs405WithAllowAndAnErrorBody() throws Exception {
        Http.Reply get = http.get("/v2/models/doubler/infer");
        assertThat(get.status()).isEqualTo(405);
        assertThat(get.header("Allow")).isEqualTo("POST");
        assertThat(get.error()).contains("GET is not allowed on /v2/models/doubler/infer");

        Http.Reply delete = http.send(http.request("/v2/models/doubler").DELETE().build());
        assertThat(delete.status()).isEqualTo(405);
        assertThat(delete.header("Allow")).isEqualTo("GET");

        Http.Reply post = http.post("/v2/health/ready", "{}");
        assertThat(post.status()).isEqualTo(405);
    }

    @Test
    void aBodyOverTheLimitIs413BeforeItIsParsedWithOrWithoutContentLength() throws Exception {
        String big = "{\"inputs\":[{\"name\":\"x\",\"shape\":[1,4],\"datatype\":\"FP32\",\"data\":[1,2,3,4]}],"
                + "\"pad\":\"" + "a".repeat(70 * 1024) + "\"}"; // limit is 64KB in these tests

        Http.Reply declared = http.post("/v2/models/doubler/infer", big);
        assertThat(declared.status()).isEqualTo(413);
        assertThat(declared.error()).contains("larger than the limit of 65536 bytes", "sluice.http.max-request-size");

        Http.Reply chunked = http.send(http.request("/v2/models/doubler/infer")
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(big.getBytes())))
                .build());
        assertThat(chunked.status()).isEqualTo(413);
        assertThat(chunked.error()).contains("more than 65536 bytes");

        String justUnder = big.replace("a".repeat(70 * 1024), "a".repeat(60 * 1024));
        assertThat(http.post("/v2/models/doubler/infer", justUnder).status()).isEqualTo(200);
    }

    @Test
    void badRequestsDoNotDisturbRequestsInFlight() throws Exception {
        FakeModelsApplication.HELD_GATE.close();
        List<CompletableFuture<Http.Reply>> good = new ArrayList<>();
        try {
            // The first request holds the only replica before the others arrive, so they queue behind it (sent
            // together, two could race into the first batch).
            good.add(http.postAsync("/v2/models/held/infer", vector(1, 0, 0, 0)));
            awaitLoad("held", 1, 0);
            for (int i = 2; i <= 3; i++) {
                good.add(http.postAsync("/v2/models/held/infer", vector(i, 0, 0, 0)));
            }
            awaitLoad("held", 1, 2);

            assertThat(http.post("/v2/models/held/infer", "{\"inputs\": [").status()).isEqualTo(400);
            assertThat(http.post("/v2/models/held/infer", vector(1, 2, 3, 4).replace("FP32", "INT64")).status())
                    .isEqualTo(400);
            assertThat(http.post("/v2/models/held/infer", vector(1, 2, 3, 4).replace("[1,4]", "[9999999999,4]"))
                    .status()).isEqualTo(400);
            assertThat(http.get("/v2/models/held/infer").status()).isEqualTo(405);
            awaitLoad("held", 1, 2);
        } finally {
            FakeModelsApplication.HELD_GATE.open();
        }
        for (int i = 1; i <= 3; i++) {
            Http.Reply r = good.get(i - 1).join();
            assertThat(r.status()).isEqualTo(200);
            assertThat(r.json().at("/outputs/0/data/0").asDouble()).isEqualTo(2.0 * i);
        }
    }
}
