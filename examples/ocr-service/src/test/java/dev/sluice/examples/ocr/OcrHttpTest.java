package dev.sluice.examples.ocr;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.Font;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/** The service's HTTP surface: POST /ocr (raw and multipart, plain and traced), the page, and bad requests. */
class OcrHttpTest extends OcrHttp {
    private static final TextPages.Page GOOD = TextPages.render(List.of("Still serving 42"),
            new Font(TextPages.availableFonts().get(0), Font.PLAIN, 28), 0, new Random(1), 0);

    /** After every request, bad ones included, a good image is read as before. */
    @AfterEach
    void theServiceKeepsServing() throws Exception {
        HttpResponse<String> r = ocr(GOOD.png(), false).get(60, TimeUnit.SECONDS);
        assertEquals(200, r.statusCode(), r.body());
        assertEquals(List.of("Still serving 42"), texts(r.body()));
    }

    @Test
    void aRawImageIsReadAsJsonLinesAndWithTraceAsOneObject() throws Exception {
        byte[] page = SelfCheckPage.png();
        HttpResponse<String> plain = ocr(page, false).get(60, TimeUnit.SECONDS);
        assertEquals(200, plain.statusCode(), plain.body());
        assertEquals(OcrSelfCheck.SAMPLE, texts(plain.body()));
        JsonNode first = JSON.readTree(plain.body().split("\n")[0]);
        assertTrue(first.get("confidence").asDouble() > 0.5, first.toString());
        assertEquals(4, first.at("/box/points").size(), first.toString());

        HttpResponse<String> traced = ocr(page, true).get(60, TimeUnit.SECONDS);
        JsonNode answer = JSON.readTree(traced.body());
        assertEquals(OcrSelfCheck.SAMPLE, texts(answer));
        assertEquals("ocr", answer.at("/trace/pipeline").asString());
        assertEquals("OK", answer.at("/trace/outcome").asString());
        assertTrue(answer.at("/trace/spans").toString().contains("\"step\":\"recognize\""), answer.toString());

        // curl --data-binary declares a form body by default: the image must not be read as form fields.
        HttpResponse<String> asForm = send(request("/ocr?trace=true").header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofByteArray(page)).build());
        assertEquals(200, asForm.statusCode(), asForm.body());
        assertEquals(OcrSelfCheck.SAMPLE, texts(JSON.readTree(asForm.body())));
    }

    private static final String BOUNDARY = "sluice-boundary-7";

    private static byte[] multipart(byte[] file) {
        byte[] head = ("--" + BOUNDARY + "\r\nContent-Disposition: form-data; name=\"image\"; filename=\"page.png\"\r\n"
                + "Content-Type: image/png\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
        byte[] tail = ("\r\n--" + BOUNDARY + "--\r\n").getBytes(StandardCharsets.US_ASCII);
        byte[] body = new byte[head.length + file.length + tail.length];
        System.arraycopy(head, 0, body, 0, head.length);
        System.arraycopy(file, 0, body, head.length, file.length);
        System.arraycopy(tail, 0, body, head.length + file.length, tail.length);
        return body;
    }

    @Test
    void aMultipartUploadIsReadLikeARawBody() throws Exception {
        String boundary = BOUNDARY;
        HttpResponse<String> r = send(request("/ocr").header("Content-Type", "multipart/form-data; boundary=" + boundary)
                .POST(HttpRequest.BodyPublishers.ofByteArray(multipart(GOOD.png()))).build());
        assertEquals(200, r.statusCode(), r.body());
        assertEquals(List.of("Still serving 42"), texts(r.body()));

        HttpResponse<String> tooLarge = send(request("/ocr").header("Content-Type", "multipart/form-data; boundary=" + boundary)
                .POST(HttpRequest.BodyPublishers.ofByteArray(multipart(new byte[2 * 1024 * 1024]))).build());
        assertEquals(413, tooLarge.statusCode(), tooLarge.body());
        assertTrue(error(tooLarge).contains("spring.servlet.multipart.max-file-size"), tooLarge.body());

        HttpResponse<String> noPart = send(request("/ocr").header("Content-Type", "multipart/form-data; boundary=" + boundary)
                .POST(HttpRequest.BodyPublishers.ofString("--" + boundary + "\r\nContent-Disposition: form-data; "
                        + "name=\"other\"\r\n\r\nx\r\n--" + boundary + "--\r\n")).build());
        assertEquals(400, noPart.statusCode());
        assertTrue(error(noPart).contains("part named 'image'"), noPart.body());
    }

    @Test
    void badBodiesAre400SayingWhyAndAnImageWithoutTextIsEmpty() throws Exception {
        HttpResponse<String> empty = ocr(new byte[0], false).get(60, TimeUnit.SECONDS);
        assertEquals(400, empty.statusCode());
        assertTrue(error(empty).contains("empty"), empty.body());

        HttpResponse<String> notAnImage = ocr("{\"image\": 1}".getBytes(StandardCharsets.UTF_8), false).get(60, TimeUnit.SECONDS);
        assertEquals(400, notAnImage.statusCode());
        assertTrue(error(notAnImage).contains("is not an image"), notAnImage.body());

        HttpResponse<String> bomb = ocr(OcrBadInputTest.pngBomb(20_000, 20_000), false).get(60, TimeUnit.SECONDS);
        assertEquals(400, bomb.statusCode());
        assertTrue(error(bomb).contains("20000 x 20000"), bomb.body());

        byte[] png = GOOD.png();
        HttpResponse<String> truncated = ocr(Arrays.copyOf(png, png.length / 2), false).get(60, TimeUnit.SECONDS);
        assertEquals(400, truncated.statusCode(), truncated.body());

        TextPages.Page blank = TextPages.render(List.of(), new Font(Font.SANS_SERIF, Font.PLAIN, 20), 0, new Random(2), 12);
        HttpResponse<String> nothing = ocr(blank.png(), false).get(60, TimeUnit.SECONDS);
        assertEquals(200, nothing.statusCode(), nothing.body());
        assertEquals("", nothing.body());
    }

    @Test
    void aPngHeaderDeclaring30000By30000PixelsIs400BeforeDecoding() throws Exception {
        HttpResponse<String> bomb = ocr(OcrBadInputTest.pngBomb(30_000, 30_000), false).get(60, TimeUnit.SECONDS);
        assertEquals(400, bomb.statusCode(), bomb.body());
        assertTrue(error(bomb).contains("the PNG image is 30000 x 30000 pixels"), bomb.body());
    }

    @Test
    void aPngDeclaring0By0PixelsIs400SayingItHasNone() throws Exception {
        HttpResponse<String> empty = ocr(OcrBadInputTest.pngBomb(0, 0), true).get(60, TimeUnit.SECONDS);
        assertEquals(400, empty.statusCode(), empty.body());
        assertEquals("the PNG image declares no pixels (0 x 0)", error(empty), empty.body());
    }

    @Test
    void aBodyOverTheLimitIs413AndOtherMethodsAre405() throws Exception {
        HttpResponse<String> big = ocr(new byte[5 * 1024 * 1024], false).get(60, TimeUnit.SECONDS);
        assertEquals(413, big.statusCode());
        assertTrue(error(big).contains("sluice.http.max-request-size"), big.body());
        HttpResponse<String> get = send(request("/ocr").GET().build());
        assertEquals(405, get.statusCode());
        assertEquals("POST", get.headers().firstValue("Allow").orElse(null));
    }

    @Test
    void thePageAndTheStartersEndpointsAreServed() throws Exception {
        HttpResponse<String> page = send(request("/").GET().build());
        assertEquals(200, page.statusCode());
        assertTrue(page.body().contains("/ocr?trace=true") && page.body().contains("<svg id=\"boxes\""), "the page posts to /ocr");
        HttpResponse<String> rec = send(request("/v2/models/rec").GET().build());
        assertEquals(200, rec.statusCode(), rec.body());
        assertEquals("softmax_11.tmp_0", JSON.readTree(rec.body()).at("/outputs/0/name").asString());
        assertEquals(2, JSON.readTree(rec.body()).at("/outputs/0/shape/2").asInt(),
                "the deployment answers each step's best class and its probability, and its metadata says so: " + rec.body());
        String base64 = java.util.Base64.getEncoder().encodeToString(GOOD.png());
        HttpResponse<String> typed = send(request("/sluice/ocr").header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("\"" + base64 + "\"")).build());
        assertEquals(200, typed.statusCode(), typed.body());
        assertEquals("Still serving 42", JSON.readTree(typed.body()).at("/lines/0/text").asString(), typed.body());
        JsonNode health = JSON.readTree(send(request("/actuator/health").GET().build()).body());
        for (String model : List.of("det", "cls", "rec")) {
            assertEquals("UP", health.at("/components/sluice/components/" + model + "/status").asString(), health.toString());
        }
        HttpResponse<String> scrape = send(request("/actuator/prometheus").GET().build());
        assertEquals(200, scrape.statusCode(), "Prometheus scrapes the service: " + scrape.body());
        for (String model : List.of("det", "cls", "rec")) {
            assertTrue(scrape.body().contains("sluice_request_latency_seconds_count{deployment=\"" + model
                    + "\",outcome=\"success\"}"), model + " in " + scrape.body());
            assertTrue(scrape.body().contains("sluice_in_flight{deployment=\"" + model + "\"}"), scrape.body());
        }
        assertTrue(scrape.body().contains("sluice_budget_cpus_used "), scrape.body());
    }

    @Test
    void theReadmesCurlOutputIsWhatTheServiceAnswersForTheSelfChecksPage() throws Exception {
        String readme = java.nio.file.Files.readString(java.nio.file.Path.of("../../README.md"));
        int curl = readme.indexOf("curl -s -X POST localhost:8080/ocr -H 'Content-Type: image/png' --data-binary @/tmp/sluice-ocr-page.png\n");
        assertTrue(curl > 0, "the README shows the curl call");
        List<String> shown = readme.substring(curl).lines().skip(1).takeWhile(l -> l.startsWith("{")).toList();
        HttpResponse<String> r = ocr(SelfCheckPage.png(), false).get(60, TimeUnit.SECONDS);
        List<String> answered = r.body().lines().toList();
        assertEquals(answered.size(), shown.size(), r.body());
        for (int i = 0; i < shown.size(); i++) {
            JsonNode expected = JSON.readTree(shown.get(i));
            JsonNode got = JSON.readTree(answered.get(i));
            assertEquals(expected.get("text"), got.get("text"));
            assertEquals(expected.at("/box/points"), got.at("/box/points"));
            assertEquals(expected.get("confidence").asDouble(), got.get("confidence").asDouble(), 0.01);
        }
    }
}
