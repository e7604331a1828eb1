package dev.sluice.spring;

import static org.awaitility.Awaitility.await;

import dev.sluice.SluiceStatus;
import dev.sluice.Sluice;
import org.junit.jupiter.api.BeforeEach;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;

/** Base of the HTTP tests that share {@link FakeModelsApplication}: one context, started once, on a random port. */
@SpringBootTest(classes = FakeModelsApplication.class, webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = "sluice.http.max-request-size=64KB")
abstract class FakeModelsHttpTest {
    @LocalServerPort
    int port;

    @Autowired
    Sluice sluice;

    Http http;

    @BeforeEach
    void client() {
        http = new Http(port);
    }

    /** Waits until {@code deployment} runs {@code running} requests and holds {@code queued} in its queue. */
    void awaitLoad(String deployment, int running, int queued) {
        await().until(() -> {
            SluiceStatus.DeploymentStatus s = sluice.deployment(deployment).orElseThrow().status();
            int inFlight = s.replicas().stream().mapToInt(SluiceStatus.ReplicaStatus::inFlight).sum();
            return inFlight == running && s.queueDepth() == queued;
        });
    }

    /** An inference request body for the {@code doubler}-like models: FP32 x of shape [1, 4]. */
    static String vector(float a, float b, float c, float d) {
        return "{\"inputs\":[{\"name\":\"x\",\"shape\":[1,4],\"datatype\":\"FP32\",\"data\":[" + a + "," + b + "," + c
                + "," + d + "]}]}";
    }
}
