package dev.sluice.examples.ocr;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.Deployment;
import dev.sluice.ReplicaState;
import dev.sluice.Resources;
import dev.sluice.Sluice;
import dev.sluice.SluiceStatus;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** An OCR service in a runtime it was given leaves that runtime as it found it. */
class OcrServiceLifecycleTest {
    /** Two CPUs, fewer than the service's replicas: they are not placed on CPUs, so all of them start. */
    private final Sluice sluice = Sluice.builder().resources(Resources.builder().cpus(2).build()).build();

    @AfterEach
    void tearDown() {
        sluice.close();
    }

    private List<String> deployed() {
        return sluice.status().deployments().stream().map(SluiceStatus.DeploymentStatus::name).toList();
    }

    @Test
    void aServiceThatFailsHalfWayThroughDeployingUndeploysWhatItDeployed() throws Exception {
        // "rec" is taken, so the third deployment fails after "det" and "cls" were deployed.
        sluice.deploy(Deployment.<String, String>builder("rec", ctx -> batch -> batch).build())
                .awaitReady(Duration.ofSeconds(30));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> OcrService.builder(OcrService.defaultModels()).sluice(sluice).build());
        assertTrue(e.getMessage().contains("'rec' already exists"), e.getMessage());
        assertEquals(List.of("rec"), deployed());
    }

    @Test
    void closingAServiceUndeploysItsDeploymentsFromAGivenRuntimeAndLeavesItOpen() throws Exception {
        OcrService ocr = OcrService.builder(OcrService.defaultModels()).sluice(sluice).build();
        assertEquals(List.of("det", "cls", "rec"), deployed());
        for (SluiceStatus.DeploymentStatus d : sluice.status().deployments()) {
            assertEquals(d.targetReplicas(), d.count(ReplicaState.RUNNING), d.toString());
        }
        assertEquals(2, sluice.status().deployment("rec").count(ReplicaState.RUNNING), "two recognizers on two CPUs");
        ocr.close();
        assertEquals(List.of(), deployed());
        assertEquals(0, sluice.status().resources().cpusInUse());
        ocr.close(); // idempotent
        assertEquals("x", sluice.deploy(Deployment.<String, String>builder("other", ctx -> batch -> batch).build())
                .submit("x").get());
    }
}
