package dev.sluice.grpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.Resources;
import dev.sluice.Sluice;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@link RemoteDeployment.Builder} and the server's connection age refuse bad settings, naming them. */
class RemoteDeploymentBuilderTest {

    private static void refused(String field, Runnable setting) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, setting::run);
        assertTrue(e.getMessage().contains(field), e.getMessage());
    }

    @Test
    void badSettingsAreRefusedByName() {
        refused("name", () -> RemoteDeployment.builder(" "));
        RemoteDeployment.Builder b = RemoteDeployment.builder("rec");
        refused("target", () -> b.target(""));
        refused("host:port", () -> b.addresses("127.0.0.2"));
        refused("port", () -> b.addresses("127.0.0.2:70000"));
        refused("at least one server", () -> b.addresses(List.of()));
        refused("timeout", () -> b.timeout(Duration.ZERO));
        refused("maxAttempts", () -> b.maxAttempts(0));
        refused("retryBackoff", () -> b.retryBackoff(Duration.ofMillis(-1)));
        refused("maxInboundMessageSize", () -> b.maxInboundMessageSize(0));
        refused("model", () -> b.model(""));
        IllegalStateException none = assertThrows(IllegalStateException.class, b::build);
        assertTrue(none.getMessage().contains("'rec' needs a target or addresses"), none.getMessage());
    }

    @Test
    void theTargetIsTheAddressesOrTheNameGiven() {
        try (RemoteDeployment r = RemoteDeployment.builder("rec").model("recognizer", "2")
                .addresses("127.0.0.2:8081", "127.0.0.3:8081").build()) {
            assertEquals("127.0.0.2:8081,127.0.0.3:8081", r.target());
            assertEquals("recognizer v2", r.model());
        }
        try (RemoteDeployment r = RemoteDeployment.builder("rec").target("dns:///rec-workers.ns.svc:8081").build()) {
            assertEquals("dns:///rec-workers.ns.svc:8081", r.target());
            assertEquals("rec", r.model());
        }
    }

    @Test
    void theServersConnectionAgeIsChecked() {
        try (Sluice sluice = Sluice.builder().resources(Resources.builder().cpus(1).build()).build()) {
            SluiceGrpcServer.Builder b = SluiceGrpcServer.builder(sluice);
            refused("maxConnectionAge", () -> b.maxConnectionAge(Duration.ZERO, Duration.ZERO));
            refused("maxConnectionAgeGrace", () -> b.maxConnectionAge(Duration.ofMinutes(1), Duration.ofSeconds(-1)));
        }
    }
}
