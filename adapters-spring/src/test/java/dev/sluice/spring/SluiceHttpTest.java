package dev.sluice.spring;

import static org.awaitility.Awaitility.await;

import dev.sluice.Sluice;
import dev.sluice.SluiceStatus;
import org.junit.jupiter.api.BeforeEach;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;

/**
 * Base of the HTTP tests over a running application on a random port: the client, and waits on what the runtime
 * reports. Each subclass names its application and properties with {@code @SpringBootTest}.
 */
abstract class SluiceHttpTest {
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

    /** Whether {@code deployment} holds nothing: no request queued or running. */
    boolean idle(String deployment) {
        SluiceStatus.DeploymentStatus s = sluice.deployment(deployment).orElseThrow().status();
        return s.queueDepth() == 0 && s.replicas().stream().mapToInt(SluiceStatus.ReplicaStatus::inFlight).sum() == 0;
    }

    /** Posts {@code json} to {@code path} while {@code gate} holds the model, and opens it again once answered. */
    Http.Reply postWhileHeld(Gate gate, String path, String json) throws Exception {
        gate.close();
        try {
            return http.post(path, json);
        } finally {
            gate.open();
        }
    }
}
