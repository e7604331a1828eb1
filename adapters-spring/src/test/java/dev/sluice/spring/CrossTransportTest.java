package dev.sluice.spring;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.spring.grpc.SluiceGrpcLifecycle;
import dev.sluice.tensor.DataType;
import dev.sluice.tensor.Fp16;
import dev.sluice.tensor.Tensor;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;

/**
 * One application serving REST and gRPC at once (both on free ports): a request gives the same outputs over every
 * {@link Transport}, for every data type, and requests of different transports wait in one queue and share a batch.
 */
@SpringBootTest(classes = TransportsApplication.class, webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
class CrossTransportTest extends SluiceHttpTest {
    @Autowired
    SluiceGrpcLifecycle grpc;

    List<Transport> transports;

    @BeforeEach
    void transports() {
        transports = Transport.all(port, grpc.address());
    }

    @AfterEach
    void close() {
        transports.forEach(Transport::close);
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(DataType.class)
    void aRequestGivesTheSameOutputsOverEveryTransportForEveryDataType(DataType type) throws Exception {
        Tensor in = edgeValues(type);

        for (Transport t : transports) {
            Map<String, Tensor> outputs = t.infer("echo-" + type.name().toLowerCase(), List.of(in))
                    .get(30, TimeUnit.SECONDS);

            assertThat(outputs.keySet()).as(t.name()).containsExactly("out");
            assertThat(Contents.of(outputs.get("out"))).as(t.name() + ": " + type)
                    .isEqualTo(Contents.of(in.withName("out")));
        }
    }

    @Test
    void requestsOfEveryTransportWaitInOneQueueAndShareABatch() throws Exception {
        TransportsApplication.BATCHES.clear();
        List<CompletableFuture<Map<String, Tensor>>> replies = new ArrayList<>();
        TransportsApplication.GATE.close();
        try {
            replies.add(transports.get(0).infer("mixed", List.of(vector(1))));
            awaitLoad("mixed", 1, 0); // the first request holds the only replica at the gate
            for (int i = 2; i <= 5; i++) { // then the transports take turns
                replies.add(transports.get(i % transports.size()).infer("mixed", List.of(vector(i))));
            }
            awaitLoad("mixed", 1, 4);
        } finally {
            TransportsApplication.GATE.open();
        }

        for (int i = 1; i <= 5; i++) {
            Tensor y = replies.get(i - 1).get(30, TimeUnit.SECONDS).get("y");
            assertThat(y.toFloatArray()).as("request %d", i).containsExactly(2f * i, 0, 0, 0);
        }
        assertThat(TransportsApplication.BATCHES).hasSize(2);
        assertThat(TransportsApplication.BATCHES.get(0)).containsExactly(1f);
        // 2 to 5 took the transports in turn (REST JSON, gRPC, REST binary): one batch of four held all three.
        assertThat(transports).hasSize(3);
        assertThat(TransportsApplication.BATCHES.get(1)).containsExactlyInAnyOrder(2f, 3f, 4f, 5f);
    }

    private static Tensor vector(float first) {
        return Tensor.ofFloats("x", new long[] {1, 4}, first, 0, 0, 0);
    }

    /** A [2, 3] tensor named {@code in} of {@code type}'s awkward values: its extremes, zero, negative zero, NaN... */
    static Tensor edgeValues(DataType type) {
        long[] shape = {2, 3};
        if (type == DataType.BYTES) {
            return Tensor.ofStrings("in", shape, Arrays.stream(new String[] {"a", "", "héllo", "{\"json\": 1}",
                    "line\nbreak\ttab", "\u00fc\u20ac\uD834\uDD1E"}).map(s -> s.getBytes(StandardCharsets.UTF_8)).toList());
        }
        ByteBuffer b = ByteBuffer.allocate(6 * type.byteSize()).order(ByteOrder.nativeOrder());
        switch (type) {
            case BOOL -> b.put(new byte[] {1, 0, 1, 1, 0, 0});
            case UINT8 -> b.put(new byte[] {0, (byte) 255, 7, (byte) 128, 1, (byte) 254});
            case INT8 -> b.put(new byte[] {-128, 127, 0, -1, 5, -7});
            case UINT16 -> b.asShortBuffer().put(new short[] {0, (short) 65535, 1, (short) 32768, 300, 7});
            case INT16 -> b.asShortBuffer().put(new short[] {-32768, 32767, 0, -1, 300, -7});
            case UINT32 -> b.asIntBuffer().put(new int[] {0, -1, 1, Integer.MIN_VALUE, 70000, 7});
            case INT32 -> b.asIntBuffer().put(new int[] {Integer.MIN_VALUE, Integer.MAX_VALUE, 0, -1, 70000, -7});
            case UINT64 -> b.asLongBuffer().put(new long[] {0, -1, 1, Long.MIN_VALUE, 1L << 53 | 1, 7});
            case INT64 -> b.asLongBuffer().put(new long[] {Long.MIN_VALUE, Long.MAX_VALUE, 0, -1, 1L << 53 | 1, -7});
            case FP16 -> b.asShortBuffer().put(new short[] {Fp16.fromFloat(0.5f), Fp16.fromFloat(-2f),
                Fp16.fromFloat(65504f), Fp16.fromFloat(0.099975586f), (short) 0x0001, (short) 0x8000});
            // Float.MAX_VALUE's shortest digits, 3.4028235E38, are just above it as a double: the REST reader parses
            // FP32 elements straight to float, so they come back as exactly it.
            case FP32 -> b.asFloatBuffer().put(new float[] {0.1f, -2f, Float.MAX_VALUE, Float.MIN_VALUE, -0.0f,
                Float.NaN});
            case FP64 -> b.asDoubleBuffer().put(new double[] {0.1, -2, Double.MAX_VALUE, Double.MIN_VALUE, -0.0,
                Double.NaN});
            default -> throw new IllegalArgumentException("no values for " + type);
        }
        return Tensor.of("in", type, shape, b.clear());
    }

    /** What a tensor holds, comparable with equals: name, type, shape, and its bytes or byte strings. */
    record Contents(String name, DataType type, List<Long> shape, Object data) {
        static Contents of(Tensor t) {
            Object data;
            if (t.dataType() == DataType.BYTES) {
                data = t.strings().stream().map(s -> new String(s, StandardCharsets.UTF_8)).toList();
            } else {
                ByteBuffer b = t.data();
                byte[] bytes = new byte[b.remaining()];
                b.get(bytes);
                data = HexFormat.of().formatHex(bytes);
            }
            return new Contents(t.name(), t.dataType(), Arrays.stream(t.shape()).boxed().toList(), data);
        }
    }
}
