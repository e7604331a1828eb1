package dev.sluice.grpc;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.sluice.batching.ChildJvm;
import dev.sluice.tensor.Tensor;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.stub.StreamObserver;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * SIGTERM to a real process serving with {@code SluiceGrpcServer.Builder.closeOnJvmShutdown} ({@link SigtermWorker}):
 * it turns NOT_SERVING at once, serves new calls through the shutdown delay, then refuses them with UNAVAILABLE,
 * finishes every call it admitted, fails the one still running at the end of the grace period with UNAVAILABLE, and
 * exits within the delay and the grace period, without a stack trace.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class SigtermTest {
    private static final Duration DELAY = Duration.ofSeconds(2);
    private static final Duration GRACE = Duration.ofSeconds(6);
    private static final Duration PARK = Duration.ofMillis(800);
    /** Requests to the parked model sent before SIGTERM: the first is running when it comes, the rest queued. */
    private static final int LOAD = 12;
    private static final Duration T = Duration.ofSeconds(60);

    private ChildJvm child;
    private ManagedChannel channel;

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
    void sigtermTurnsUnreadyServesThroughTheDelayFinishesWhatItAdmittedAndExitsWithinTheGrace() throws Exception {
        child = ChildJvm.start(SigtermWorker.class, List.of("-Xmx256m", "-XX:TieredStopAtLevel=1",
                        "-Dorg.slf4j.simpleLogger.showDateTime=true", "-Dorg.slf4j.simpleLogger.dateTimeFormat=HH:mm:ss.SSS"),
                DELAY.toString(), GRACE.toString(), PARK.toString());
        int port = Integer.parseInt(child.awaitValue("PORT ", T));
        channel = ManagedChannelBuilder.forAddress("127.0.0.1", port).usePlaintext().build();
        OipGrpcClient client = OipGrpcClient.over(channel);
        HealthGrpc.HealthBlockingStub health = HealthGrpc.newBlockingStub(channel);
        assertEquals(ServingStatus.SERVING, check(health, ""));

        List<CompletableFuture<InferResult>> admitted = new ArrayList<>();
        for (int i = 1; i <= LOAD; i++) {
            admitted.add(client.inferAsync(request("parked", i), T));
        }
        CompletableFuture<InferResult> stuck = client.inferAsync(request("stuck", 1), T);
        child.awaitLine("BATCH parked", 0, T); // in flight: the model holds a batch
        child.awaitLine("BATCH stuck", 0, T);
        CompletableFuture<Long> watchedNotServing = watch("parked");

        long sigterm = System.nanoTime();
        child.terminate();

        long unready = 0;
        while (unready == 0) {
            if (check(health, "") == ServingStatus.NOT_SERVING) {
                unready = System.nanoTime();
            } else if (System.nanoTime() - sigterm > T.toNanos()) {
                fail("the server still says SERVING " + T + " after SIGTERM");
            } else {
                pace();
            }
        }
        for (String model : List.of("parked", "stuck", "fast")) {
            assertEquals(ServingStatus.NOT_SERVING, check(health, model), model);
        }
        int servedWhileUnready = 0;
        long refused = 0;
        while (refused == 0) {
            try {
                InferResult r = client.infer(request("fast", 7), Duration.ofSeconds(10));
                assertArrayEquals(new float[] {14, 0, 0, 0}, r.output("y").toFloatArray());
                servedWhileUnready++;
                pace();
            } catch (StatusRuntimeException e) {
                assertEquals(Status.Code.UNAVAILABLE, e.getStatus().getCode(), e.toString());
                refused = System.nanoTime();
            }
        }
        assertTrue(servedWhileUnready > 0, "new calls were served after the server turned unready");
        assertTrue(refused - sigterm >= DELAY.toNanos(), "new calls were served through the delay, refused after "
                + Duration.ofNanos(refused - sigterm));
        assertTrue(watchedNotServing.get(10, TimeUnit.SECONDS) < refused, "a health watch heard NOT_SERVING "
                + "before new calls were refused");

        long asked = System.nanoTime();
        StatusRuntimeException after = assertInstanceOf(StatusRuntimeException.class, failure(
                client.inferAsync(request("fast", 8), Duration.ofSeconds(20))));
        assertEquals(Status.Code.UNAVAILABLE, after.getStatus().getCode(), after.toString());
        assertTrue(System.nanoTime() - asked < Duration.ofSeconds(5).toNanos(), "refused fast");

        for (int i = 0; i < LOAD; i++) {
            InferResult r = admitted.get(i).get(T.toSeconds(), TimeUnit.SECONDS);
            assertArrayEquals(new float[] {2 * (i + 1), 0, 0, 0}, r.output("y").toFloatArray(), "request " + i);
        }
        StatusRuntimeException cut = assertInstanceOf(StatusRuntimeException.class, failure(stuck));
        assertEquals(Status.Code.UNAVAILABLE, cut.getStatus().getCode(), cut.toString());
        assertTrue(cut.getStatus().getDescription().contains("grace period"), cut.toString());

        assertTrue(child.awaitExit(DELAY.plus(GRACE).plus(Duration.ofSeconds(20))), "the process ended");
        Duration lived = Duration.ofNanos(System.nanoTime() - sigterm);
        assertTrue(lived.compareTo(DELAY.plus(GRACE).plus(Duration.ofSeconds(5))) < 0,
                "ended within the delay and the grace period (and 5 s to stop): " + lived + "; it said:\n" + child.output());
        assertNotEquals(137, child.exitCode(), "not killed");
        assertEquals(List.of(), child.stackTraceLines(), child.output());
    }

    @Test
    void theReadmeShowsTheServerAsTheWorkerStartsIt() throws Exception {
        Matcher m = Pattern.compile("// README shutdown\\n(.*?)\\n\\s*// END", Pattern.DOTALL).matcher(
                Files.readString(Path.of("src/test/java/dev/sluice/grpc/SigtermWorker.java")));
        assertTrue(m.find());
        List<String> lines = m.group(1).lines().toList();
        int indent = lines.get(0).length() - lines.get(0).stripLeading().length();
        String block = "```java\n" + String.join("\n", lines.stream().map(l -> l.substring(indent)).toList())
                + "\n```";
        assertTrue(Files.readString(Path.of("README.md")).contains(block), "README.md has no Java block reading:\n"
                + block);
    }

    private static InferRequest request(String model, float first) {
        return InferRequest.builder(model).input(Tensor.ofFloats("x", new long[] {1, 4}, first, 0, 0, 0)).build();
    }

    private static ServingStatus check(HealthGrpc.HealthBlockingStub health, String service) {
        return health.withDeadlineAfter(10, TimeUnit.SECONDS)
                .check(HealthCheckRequest.newBuilder().setService(service).build()).getStatus();
    }

    /** When a Watch of {@code service} first hears NOT_SERVING (System.nanoTime). */
    private CompletableFuture<Long> watch(String service) {
        CompletableFuture<Long> notServing = new CompletableFuture<>();
        HealthGrpc.newStub(channel).watch(HealthCheckRequest.newBuilder().setService(service).build(),
                new StreamObserver<>() {
                    @Override
                    public void onNext(HealthCheckResponse r) {
                        if (r.getStatus() == ServingStatus.NOT_SERVING) {
                            notServing.complete(System.nanoTime());
                        }
                    }

                    @Override
                    public void onError(Throwable t) {
                        notServing.completeExceptionally(t);
                    }

                    @Override
                    public void onCompleted() {
                        notServing.completeExceptionally(new AssertionError("the watch ended before NOT_SERVING"));
                    }
                });
        return notServing;
    }

    private static Throwable failure(CompletableFuture<?> f) throws Exception {
        try {
            Object value = f.get(T.toSeconds(), TimeUnit.SECONDS);
            throw new AssertionError("expected a failure, got " + value);
        } catch (ExecutionException e) {
            return e.getCause();
        }
    }

    /** Paces the polling loops (at most 50 calls a second), not a wait for anything. */
    private static void pace() {
        LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20));
    }
}
