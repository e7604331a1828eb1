package dev.sluice.spring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import dev.sluice.batching.ChildJvm;
import dev.sluice.grpc.InferRequest;
import dev.sluice.grpc.InferResult;
import dev.sluice.grpc.OipGrpcClient;
import dev.sluice.tensor.Tensor;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * SIGTERM to a real Spring Boot application with the starter, serving REST and gRPC under load
 * ({@link SigtermApplication}): readiness answers 503 and gRPC health NOT_SERVING at once, new calls are served
 * through {@code sluice.shutdown-delay} and refused after it (connection refused or 503; UNAVAILABLE), every request
 * admitted before completes with its value, the one still running at the end of the grace period gets 503 or
 * UNAVAILABLE, and the process exits within the delay and the grace period, without a stack trace.
 */
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class SigtermTest {
    private static final Duration DELAY = Duration.ofSeconds(2);
    private static final Duration GRACE = Duration.ofSeconds(6);
    /** Requests to the parked model sent over each transport before SIGTERM. */
    private static final int LOAD = 8;
    private static final Duration T = Duration.ofSeconds(60);
    /** How long a closing runtime waits for a batch still running after its requests failed (Sluice's own). */
    private static final Duration RUNTIME_STOP_WAIT = Duration.ofSeconds(5);

    private ChildJvm child;
    private ManagedChannel channel;
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();
    private String base;

    @AfterEach
    void stop() throws InterruptedException {
        if (channel != null) {
            channel.shutdownNow();
        }
        if (child != null) {
            child.close();
        }
    }

    @Test
    void sigtermTurnsUnreadyServesThroughTheDelayFinishesWhatItAdmittedOverBothTransportsAndExitsWithinTheGrace()
            throws Exception {
        child = ChildJvm.start(SigtermApplication.class, List.of("-Xmx384m", "-XX:TieredStopAtLevel=1",
                        "-Dsigterm.park=PT0.8S"),
                "--server.address=127.0.0.1", "--server.port=0", "--sluice.grpc.address=127.0.0.1",
                "--sluice.grpc.port=0", "--sluice.shutdown-delay=" + DELAY, "--sluice.shutdown-grace-period=" + GRACE,
                "--sluice.grpc.shutdown-grace-period=" + GRACE, "--spring.lifecycle.timeout-per-shutdown-phase=20s",
                "--spring.main.banner-mode=off");
        base = "http://127.0.0.1:" + Integer.parseInt(child.awaitValue("HTTP ", Duration.ofSeconds(120)));
        int grpcPort = Integer.parseInt(child.awaitValue("GRPC ", T));
        channel = ManagedChannelBuilder.forAddress("127.0.0.1", grpcPort).usePlaintext().build();
        OipGrpcClient grpc = OipGrpcClient.over(channel);
        HealthGrpc.HealthBlockingStub health = HealthGrpc.newBlockingStub(channel);
        assertThat(get("/actuator/health/readiness").statusCode()).isEqualTo(200);
        assertThat(check(health, "")).isEqualTo(ServingStatus.SERVING);

        List<CompletableFuture<HttpResponse<String>>> restAdmitted = new ArrayList<>();
        List<CompletableFuture<InferResult>> grpcAdmitted = new ArrayList<>();
        for (int i = 1; i <= LOAD; i++) {
            restAdmitted.add(postAsync("parked", i));
            grpcAdmitted.add(grpc.inferAsync(request("parked", 100 + i), T));
        }
        CompletableFuture<HttpResponse<String>> restStuck = postAsync("stuck", 1);
        CompletableFuture<InferResult> grpcStuck = grpc.inferAsync(request("stuck", 2), T);
        child.awaitLine("BATCH parked", 0, T); // in flight: the model holds a batch
        child.awaitLine("BATCH stuck", 0, T);

        long sigterm = System.nanoTime();
        child.terminate();

        long unready = 0;
        while (unready == 0) {
            int readiness = get("/actuator/health/readiness").statusCode(); // served: the delay has not ended
            if (readiness == 503) {
                unready = System.nanoTime();
            } else if (System.nanoTime() - sigterm > T.toNanos()) {
                fail("readiness still " + readiness + " " + T + " after SIGTERM");
            } else {
                pace();
            }
        }
        assertThat(check(health, "")).isEqualTo(ServingStatus.NOT_SERVING);
        assertThat(check(health, "parked")).isEqualTo(ServingStatus.NOT_SERVING);
        assertThat(check(health, "fast")).isEqualTo(ServingStatus.NOT_SERVING);

        int restServed = 0;
        int grpcServed = 0;
        long restRefused = 0;
        long grpcRefused = 0;
        while (restRefused == 0 || grpcRefused == 0) {
            if (restRefused == 0) {
                try {
                    HttpResponse<String> r = postAsync("fast", 7).get(20, TimeUnit.SECONDS);
                    if (r.statusCode() == 200) {
                        assertThat(r.body()).contains("[14.0,0.0,0.0,0.0]");
                        restServed++;
                    } else {
                        assertThat(r.statusCode()).as(r.body()).isEqualTo(503);
                        restRefused = System.nanoTime();
                    }
                } catch (ExecutionException e) {
                    assertThat(e.getCause()).isInstanceOf(IOException.class); // refused or closed connection
                    restRefused = System.nanoTime();
                }
            }
            if (grpcRefused == 0) {
                try {
                    InferResult r = grpc.infer(request("fast", 7), Duration.ofSeconds(20));
                    assertThat(r.output("y").toFloatArray()).containsExactly(14, 0, 0, 0);
                    grpcServed++;
                } catch (StatusRuntimeException e) {
                    assertThat(e.getStatus().getCode()).as(e.toString()).isEqualTo(Status.Code.UNAVAILABLE);
                    grpcRefused = System.nanoTime();
                }
            }
            pace();
        }
        assertThat(restServed).as("REST calls served while unready").isPositive();
        assertThat(grpcServed).as("gRPC calls served while unready").isPositive();
        assertThat(Duration.ofNanos(restRefused - sigterm)).as("REST served through the delay").isGreaterThan(DELAY);
        assertThat(Duration.ofNanos(grpcRefused - sigterm)).as("gRPC served through the delay").isGreaterThan(DELAY);

        long asked = System.nanoTime();
        assertRestRefused(postAsync("fast", 8));
        StatusRuntimeException after = failure(grpc.inferAsync(request("fast", 8), Duration.ofSeconds(20)));
        assertThat(after.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
        assertThat(Duration.ofNanos(System.nanoTime() - asked)).as("refused fast").isLessThan(Duration.ofSeconds(5));

        for (int i = 0; i < LOAD; i++) {
            HttpResponse<String> r = restAdmitted.get(i).get(T.toSeconds(), TimeUnit.SECONDS);
            assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
            assertThat(r.body()).contains("[" + 2f * (i + 1) + ",0.0,0.0,0.0]");
            assertThat(grpcAdmitted.get(i).get(T.toSeconds(), TimeUnit.SECONDS).output("y").toFloatArray())
                    .containsExactly(2f * (101 + i), 0, 0, 0);
        }
        HttpResponse<String> restCut = restStuck.get(T.toSeconds(), TimeUnit.SECONDS);
        assertThat(restCut.statusCode()).as(restCut.body()).isEqualTo(503);
        assertThat(restCut.body()).contains("shutting down");
        StatusRuntimeException grpcCut = failure(grpcStuck);
        assertThat(grpcCut.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
        assertThat(grpcCut.getStatus().getDescription()).contains("shutting down");

        assertThat(child.awaitExit(DELAY.plus(GRACE).plus(Duration.ofSeconds(30)))).as("the process ended").isTrue();
        Duration lived = Duration.ofNanos(System.nanoTime() - sigterm);
        // The stuck model never returns: the runtime waits 5 s for its batch after the requests failed, then stops it.
        assertThat(lived).as(child.output()).isLessThan(DELAY.plus(GRACE).plus(RUNTIME_STOP_WAIT).plus(Duration.ofSeconds(5)));
        assertThat(child.exitCode()).as("not killed").isNotEqualTo(137);
        assertThat(child.stackTraceLines()).as(child.output()).isEmpty();
    }

    private HttpResponse<String> get(String path) throws IOException, InterruptedException {
        return http.send(HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(10)).GET().build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private CompletableFuture<HttpResponse<String>> postAsync(String model, float first) {
        String body = "{\"inputs\":[{\"name\":\"x\",\"shape\":[1,4],\"datatype\":\"FP32\",\"data\":[" + first
                + ",0,0,0]}]}";
        return http.sendAsync(HttpRequest.newBuilder(URI.create(base + "/v2/models/" + model + "/infer"))
                .timeout(T).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static void assertRestRefused(CompletableFuture<HttpResponse<String>> call) throws Exception {
        try {
            HttpResponse<String> r = call.get(20, TimeUnit.SECONDS);
            assertThat(r.statusCode()).as(r.body()).isEqualTo(503);
        } catch (ExecutionException e) {
            assertThat(e.getCause()).isInstanceOf(IOException.class);
        }
    }

    private static InferRequest request(String model, float first) {
        return InferRequest.builder(model).input(Tensor.ofFloats("x", new long[] {1, 4}, first, 0, 0, 0)).build();
    }

    private static ServingStatus check(HealthGrpc.HealthBlockingStub health, String service) {
        return health.withDeadlineAfter(10, TimeUnit.SECONDS)
                .check(HealthCheckRequest.newBuilder().setService(service).build()).getStatus();
    }

    private static StatusRuntimeException failure(CompletableFuture<?> f) throws Exception {
        try {
            Object value = f.get(T.toSeconds(), TimeUnit.SECONDS);
            throw new AssertionError("expected a failure, got " + value);
        } catch (ExecutionException e) {
            assertThat(e.getCause()).isInstanceOf(StatusRuntimeException.class);
            return (StatusRuntimeException) e.getCause();
        }
    }

    /** Paces the polling loops (at most 50 rounds a second), not a wait for anything. */
    private static void pace() {
        LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20));
    }
}
