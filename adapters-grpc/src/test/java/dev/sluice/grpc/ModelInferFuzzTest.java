package dev.sluice.grpc;

import com.code_intelligence.jazzer.junit.DictionaryEntries;
import com.code_intelligence.jazzer.junit.FuzzTest;
import com.google.protobuf.TextFormat;
import dev.sluice.Resources;
import dev.sluice.Sluice;
import dev.sluice.grpc.proto.GRPCInferenceServiceGrpc;
import dev.sluice.grpc.proto.ModelInferRequest;
import dev.sluice.tensor.DataType;
import io.grpc.ManagedChannel;
import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import java.io.IOException;
import java.io.Reader;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Fuzzes {@code ModelInfer} from the bytes of its request message: sent over an in-process channel to the
 * services the server builds ({@link SluiceGrpcServer#services}: the same definitions the Netty server serves,
 * protobuf parsing included), the call's status or response out, checked by {@link GrpcOutcomes}. The models:
 * the specification's example ({@code mymodel}) and echoes of several types ({@code echo-fp16}, ...), so a
 * request the reader accepts is served.
 *
 * <p>Seeds: the small valid requests in {@code ModelInferFuzzTestSeeds/} (protobuf text format, encoded by
 * {@link #modelInfer()}); Jazzer keeps what it finds in {@code ModelInferFuzzTestInputs/modelInfer/}. Without
 * {@code JAZZER_FUZZ} this runs those once, as a regression test; with it ({@code mvn verify} sets it in surefire's
 * execution {@code fuzz}, a JVM per fuzz test class) it fuzzes for {@code jazzer.max_duration}. {@code @Timeout}
 * is the fuzzer's limit for one input (that execution turns JUnit's own timeouts off: the whole fuzzing run is one
 * invocation).
 */
class ModelInferFuzzTest {
    private static final MethodDescriptor<byte[], byte[]> INFER =
            RawCalls.raw(GRPCInferenceServiceGrpc.getModelInferMethod());
    private static final List<DataType> ECHOED = List.of(DataType.FP16, DataType.FP64, DataType.BYTES, DataType.BOOL,
            DataType.INT8, DataType.UINT64);

    private static Sluice sluice;
    private static Server server;
    private static ManagedChannel channel;

    @BeforeAll
    static void start() throws Exception {
        sluice = Sluice.builder().resources(Resources.builder().cpus(1).build()).build();
        sluice.deploy(TestModels.specExample()).awaitReady(Duration.ofSeconds(10));
        for (DataType type : ECHOED) {
            String name = "echo-" + type.name().toLowerCase(Locale.ROOT);
            sluice.deploy(TestModels.echo(name, type)).awaitReady(Duration.ofSeconds(10));
        }
        Models models = new Models(sluice::deployment, sluice::status);
        String name = "fuzz-" + System.nanoTime();
        // Direct executors: the call is parsed and read on the calling thread, where the oracle counts allocations.
        server = InProcessServerBuilder.forName(name).directExecutor()
                .addServices(SluiceGrpcServer.services(new InferenceService(models, null, Runnable::run).bindService(),
                        new HealthService(models), List.of()))
                .build().start();
        channel = InProcessChannelBuilder.forName(name).directExecutor().build();
    }

    @AfterAll
    static void stop() throws InterruptedException {
        channel.shutdownNow().awaitTermination(10, TimeUnit.SECONDS);
        server.shutdownNow().awaitTermination(10, TimeUnit.SECONDS);
        sluice.close();
    }

    @DictionaryEntries({"mymodel", "echo-fp16", "echo-fp64", "echo-bytes", "echo-bool", "echo-int8", "echo-uint64",
        "input0", "input1", "output0", "output1", "in", "out", "timeout_ms", "BOOL", "UINT8", "UINT16", "UINT32",
        "UINT64", "INT8", "INT16", "INT32", "INT64", "FP16", "FP32", "FP64", "BYTES"})
    @MethodSource
    @Timeout(10)
    @FuzzTest(maxDuration = "30s")
    void modelInfer(byte[] message) {
        GrpcOutcomes.check(channel, INFER, message);
    }

    /** The seeds: each {@code .textproto} file of {@code ModelInferFuzzTestSeeds/}, encoded. */
    static Stream<Arguments> modelInfer() throws IOException, URISyntaxException {
        Path dir = Path.of(Objects.requireNonNull(ModelInferFuzzTest.class.getResource("ModelInferFuzzTestSeeds"),
                "the seeds' folder").toURI());
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(p -> p.toString().endsWith(".textproto")).sorted().map(ModelInferFuzzTest::encoded)
                    .toList().stream();
        }
    }

    private static Arguments encoded(Path textproto) {
        ModelInferRequest.Builder b = ModelInferRequest.newBuilder();
        try (Reader in = Files.newBufferedReader(textproto, StandardCharsets.UTF_8)) {
            TextFormat.merge(in, b);
        } catch (IOException e) {
            throw new IllegalStateException("seed " + textproto + " is not a ModelInferRequest: " + e.getMessage(), e);
        }
        return Arguments.of(b.build().toByteArray());
    }
}
