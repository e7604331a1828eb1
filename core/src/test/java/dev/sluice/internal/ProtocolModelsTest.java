package dev.sluice.internal;

import static dev.sluice.batching.Eventually.eventually;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.Deployment;
import dev.sluice.DeploymentHandle;
import dev.sluice.Resources;
import dev.sluice.Sluice;
import dev.sluice.tensor.DataType;
import dev.sluice.tensor.Tensor;
import dev.sluice.tensor.TensorSignature;
import dev.sluice.tensor.TensorSpec;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The protocol's models as both adapters see them: which deployments are models, their version, readiness. */
class ProtocolModelsTest {
    private static final TensorSignature SIGNATURE = new TensorSignature(
            List.of(new TensorSpec("x", DataType.FP32, new long[] {-1})),
            List.of(new TensorSpec("x", DataType.FP32, new long[] {-1})));

    private final Sluice sluice = Sluice.builder().resources(Resources.builder().cpus(1).build()).build();
    private final ProtocolModels models = new ProtocolModels(sluice::deployment, sluice::status);

    @AfterEach
    void close() {
        sluice.close(Duration.ofSeconds(5));
    }

    private DeploymentHandle<Map<String, Tensor>, Map<String, Tensor>> deploy(String name, TensorSignature signature) {
        Deployment.Builder<Map<String, Tensor>, Map<String, Tensor>> b = Deployment
                .<Map<String, Tensor>, Map<String, Tensor>>builder(name, ctx -> batch -> batch)
                .resources(r -> r.cpus(0));
        return sluice.deploy((signature == null ? b : b.signature(signature)).build());
    }

    @Test
    void aTensorDeploymentIsAModelInItsServedVersion() throws Exception {
        DeploymentHandle<Map<String, Tensor>, Map<String, Tensor>> h = deploy("m", SIGNATURE);

        ProtocolModels.Model m = models.find("m", null);
        assertEquals("1", m.version());
        assertEquals(ProtocolModels.JAVA_PLATFORM, m.platform());
        assertSame(SIGNATURE, m.signature());
        assertSame(h, m.handle());
        assertEquals("1", models.find("m", "").version());
        assertEquals("1", models.find("m", "1").version());
        eventually("ready", () -> models.ready("m").orElse(false));
        assertTrue(models.allReady());

        h.update(ctx -> batch -> batch).get(10, TimeUnit.SECONDS);
        assertEquals("2", models.find("m", "2").version());
    }

    @Test
    void anUnknownNameOrVersionSaysWhich() {
        deploy("m", SIGNATURE);

        assertEquals("no model named 'nope'",
                assertThrows(ProtocolModels.UnknownModelException.class, () -> models.find("nope", null)).getMessage());
        assertEquals("model 'm' has no version '7'; it serves version 1",
                assertThrows(ProtocolModels.UnknownModelException.class, () -> models.find("m", "7")).getMessage());
        assertEquals(Optional.empty(), models.ready("nope"));
    }

    @Test
    void aDeploymentWithoutASignatureIsNoModelAndDoesNotHoldBackReadiness() throws Exception {
        deploy("plain", null);
        deploy("m", SIGNATURE);

        assertThrows(ProtocolModels.UnknownModelException.class, () -> models.find("plain", null));
        assertEquals(Optional.empty(), models.ready("plain"));
        eventually("every model ready", models::allReady);
    }
}
