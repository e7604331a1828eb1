package dev.sluice.spring.oip;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.Deployment;
import dev.sluice.DeploymentHandle;
import dev.sluice.Resources;
import dev.sluice.Sluice;
import dev.sluice.tensor.DataType;
import dev.sluice.tensor.Tensor;
import dev.sluice.tensor.TensorSignature;
import dev.sluice.tensor.TensorSpec;
import java.io.ByteArrayInputStream;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A hot swap may replace a deployment's settings between any two reads; the protocol looks a model up from one
 * read, so it answers (200 or 404) and never throws, as its contract says.
 */
class OpenInferenceProtocolSwapTest {
    private static final TensorSignature SIGNATURE = new TensorSignature(
            List.of(new TensorSpec("x", DataType.FP32, new long[] {-1, 2})),
            List.of(new TensorSpec("x", DataType.FP32, new long[] {-1, 2})));

    private Sluice sluice;
    private DeploymentHandle<Map<String, Tensor>, Map<String, Tensor>> real;
    private Deployment<Map<String, Tensor>, Map<String, Tensor>> withoutSignature;

    @BeforeEach
    void deploy() {
        sluice = Sluice.builder().resources(Resources.builder().cpus(1).build()).build();
        Deployment<Map<String, Tensor>, Map<String, Tensor>> tensor = Deployment
                .<Map<String, Tensor>, Map<String, Tensor>>builder("m", ctx -> batch -> batch)
                .signature(SIGNATURE).resources(r -> r.cpus(0)).build();
        real = sluice.deploy(tensor);
        withoutSignature = Deployment.<Map<String, Tensor>, Map<String, Tensor>>builder("m", ctx -> batch -> batch)
                .resources(r -> r.cpus(0)).build();
    }

    @AfterEach
    void close() {
        sluice.close();
    }

    /**
     * The real handle, except that {@code deployment()} alternates between the tensor deployment and one swapped
     * in without a signature: every two successive reads straddle a swap.
     */
    @SuppressWarnings("unchecked")
    private DeploymentHandle<?, ?> swappingOnEveryRead() {
        AtomicInteger reads = new AtomicInteger();
        return (DeploymentHandle<?, ?>) Proxy.newProxyInstance(getClass().getClassLoader(),
                new Class<?>[] {DeploymentHandle.class}, (proxy, method, args) -> {
                    if (method.getName().equals("deployment") && method.getParameterCount() == 0) {
                        return reads.getAndIncrement() % 2 == 0 ? real.deployment() : withoutSignature;
                    }
                    if (method.getName().equals("serving")) {
                        return reads.getAndIncrement() % 2 == 0 ? real.serving()
                                : new DeploymentHandle.Serving<>(2, withoutSignature);
                    }
                    try {
                        return method.invoke(real, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
    }

    private OpenInferenceProtocol protocol(DeploymentHandle<?, ?> handle) {
        return new OpenInferenceProtocol(name -> name.equals("m") ? Optional.of(handle) : Optional.empty(),
                sluice::status, new OpenInferenceProtocol.Settings(64 * 1024, Duration.ofSeconds(30)));
    }

    @Test
    void modelMetadataAnswersFromOneReadWhenASwapFallsBetweenReads() {
        OpenInferenceProtocol protocol = protocol(swappingOnEveryRead());
        List<Integer> statuses = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            statuses.add(protocol.modelMetadata("m", null).status());
        }
        assertThat(statuses).as("one read per answer, each read a swap apart").containsExactly(200, 404, 200, 404);
    }

    @Test
    void modelReadyAnswersFromOneReadWhenASwapFallsBetweenReads() {
        OpenInferenceProtocol protocol = protocol(swappingOnEveryRead());
        for (int i = 0; i < 4; i++) {
            assertThat(protocol.modelReady("m", "1").status()).isIn(200, 400, 404);
        }
    }

    @Test
    void inferAnswersFromOneReadWhenASwapFallsBetweenReads() {
        OpenInferenceProtocol protocol = protocol(swappingOnEveryRead());
        byte[] body = "{\"inputs\":[{\"name\":\"x\",\"shape\":[1,2],\"datatype\":\"FP32\",\"data\":[1,2]}]}"
                .getBytes(StandardCharsets.UTF_8);
        List<Integer> statuses = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            statuses.add(protocol.infer("m", null, new ByteArrayInputStream(body), body.length).join().status());
        }
        assertThat(statuses).as("one read per answer, each read a swap apart").containsExactly(200, 404, 200, 404);
    }

    @Test
    void theMetadataOfOneAnswerComesFromOneDeployment() {
        OpenInferenceProtocol protocol = protocol(swappingOnEveryRead());
        OipResponse first = protocol.modelMetadata("m", null);
        OipResponse second = protocol.modelMetadata("m", null);

        assertThat(List.of(first.status(), second.status())).containsExactlyInAnyOrder(200, 404);
        OipResponse found = first.status() == 200 ? first : second;
        assertThat(found.bodyText()).contains("\"name\":\"x\"", "\"platform\":\"sluice_java\"");
    }
}
