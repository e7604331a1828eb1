package dev.sluice.spring;

import org.junit.jupiter.api.BeforeEach;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;

/** Base of the HTTP tests that share {@link FakeModelsApplication}: one context, started once, on a random port. */
@SpringBootTest(classes = FakeModelsApplication.class, webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = "sluice.http.max-request-size=64KB")
abstract class FakeModelsHttpTest {
    @LocalServerPort
    int port;

    Http http;

    @BeforeEach
    void client() {
        http = new Http(port);
    }

    /** An inference request body for the {@code doubler}-like models: FP32 x of shape [1, 4]. */
    static String vector(float a, float b, float c, float d) {
        return "{\"inputs\":[{\"name\":\"x\",\"shape\":[1,4],\"datatype\":\"FP32\",\"data\":[" + a + "," + b + "," + c
                + "," + d + "]}]}";
    }
}
