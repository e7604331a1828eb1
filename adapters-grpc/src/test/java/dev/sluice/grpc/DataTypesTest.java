package dev.sluice.grpc;

import static dev.sluice.grpc.GrpcHarness.T;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.grpc.proto.InferTensorContents;
import dev.sluice.grpc.proto.ModelInferRequest;
import dev.sluice.grpc.proto.ModelInferResponse;
import dev.sluice.tensor.DataType;
import dev.sluice.tensor.Fp16;
import dev.sluice.tensor.Tensor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every data type Sluice's tensors hold, both ways (request and response), as typed contents and as raw contents,
 * through an echo model: what comes back is what went, bit for bit, with each type's extreme values.
 */
class DataTypesTest {
    private static GrpcHarness h;

    @BeforeAll
    static void start() throws Exception {
        h = GrpcHarness.start();
        for (DataType t : DataType.values()) {
            h.deploy(TestModels.echo(model(t), t));
        }
    }

    @AfterAll
    static void stop() {
        h.close();
    }

    private static String model(DataType t) {
        return "echo-" + t.name().toLowerCase();
    }

    static Stream<Arguments> typesAndEncodings() {
        return Stream.of(DataType.values()).flatMap(t -> Stream.of(Arguments.of(t, true), Arguments.of(t, false)));
    }

    @ParameterizedTest(name = "{0}, raw contents: {1}")
    @MethodSource("typesAndEncodings")
    void aTensorOfEveryTypeComesBackUnchanged(DataType type, boolean raw) {
        Tensor in = sample(type, "in");
        InferRequest request = InferRequest.builder(model(type)).input(in).rawContents(raw).build();
        // FP16 has no typed field: a request with it always travels raw.
        assertEquals(raw || type == DataType.FP16, request.rawContents());
        InferResult r = h.client.infer(request, T);
        assertSameTensor(in.withName("out"), r.output("out"));
    }

    /** On the wire: a typed request gets typed contents back, a raw one raw contents; FP16 always comes raw. */
    @ParameterizedTest(name = "{0}")
    @EnumSource(DataType.class)
    void theResponseTravelsAsTheRequestDid(DataType type) {
        Tensor in = sample(type, "in");
        boolean typedPossible = type != DataType.FP16;
        if (typedPossible) {
            ModelInferResponse typed = h.stub().modelInfer(
                    InferRequest.builder(model(type)).input(in).rawContents(false).build().toMessage());
            assertEquals(0, typed.getRawOutputContentsCount());
            assertTrue(typed.getOutputs(0).hasContents());
            assertSameTensor(in.withName("out"), InferResult.of(typed).output("out"));
        }
        ModelInferResponse raw = h.stub().modelInfer(
                InferRequest.builder(model(type)).input(in).rawContents(true).build().toMessage());
        assertEquals(1, raw.getRawOutputContentsCount());
        assertEquals(0, raw.getOutputs(0).getContents().getSerializedSize());
        assertSameTensor(in.withName("out"), InferResult.of(raw).output("out"));
    }

    @Test
    void rawContentsAreLittleEndianAndBytesElementsAreLengthPrefixed() {
        ModelInferResponse r = h.stub().modelInfer(InferRequest.builder("echo-int32")
                .input(Tensor.ofInts("in", new long[] {1, 2}, 1, 0x01020304)).build().toMessage());
        assertArrayEquals(new byte[] {1, 0, 0, 0, 4, 3, 2, 1}, r.getRawOutputContents(0).toByteArray());
        r = h.stub().modelInfer(InferRequest.builder("echo-bytes").input(Tensor.ofStrings("in", new long[] {1, 2},
                List.of("ab".getBytes(StandardCharsets.UTF_8), new byte[0]))).build().toMessage());
        assertArrayEquals(new byte[] {2, 0, 0, 0, 'a', 'b', 0, 0, 0, 0}, r.getRawOutputContents(0).toByteArray());
    }

    @Test
    void fp16InTypedContentsIsInvalidArgumentSayingToSendItRaw() {
        ModelInferRequest request = ModelInferRequest.newBuilder().setModelName("echo-fp16")
                .addInputs(ModelInferRequest.InferInputTensor.newBuilder().setName("in").setDatatype("FP16")
                        .addShape(1).addShape(1).setContents(InferTensorContents.newBuilder().addFp32Contents(1)))
                .build();
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> h.stub().modelInfer(request));
        assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode());
        assertEquals("input 'in': FP16 has no field in contents; send its elements as raw contents "
                + "(little-endian IEEE half precision)", e.getStatus().getDescription());
    }

    /** Six elements of {@code type} in shape [2, 3], the type's extremes among them. */
    static Tensor sample(DataType type, String name) {
        long[] shape = {2, 3};
        if (type == DataType.BYTES) {
            return Tensor.ofStrings(name, shape, List.of(new byte[0], "héllo".getBytes(StandardCharsets.UTF_8),
                    new byte[] {0, (byte) 0xFF, 0}, "a".getBytes(StandardCharsets.UTF_8), new byte[300], new byte[] {7}));
        }
        ByteBuffer b = ByteBuffer.allocate(6 * type.byteSize()).order(ByteOrder.nativeOrder());
        switch (type) {
            case BOOL -> b.put(new byte[] {1, 0, 0, 1, 1, 0});
            case INT8 -> b.put(new byte[] {Byte.MIN_VALUE, Byte.MAX_VALUE, 0, -1, 1, 42});
            case UINT8 -> b.put(new byte[] {0, (byte) 255, (byte) 128, 1, 127, 42});
            case INT16 -> b.putShort(Short.MIN_VALUE).putShort(Short.MAX_VALUE).putShort((short) 0).putShort((short) -1)
                    .putShort((short) 1).putShort((short) 300);
            case UINT16 -> b.putShort((short) 0).putShort((short) 0xFFFF).putShort((short) 0x8000).putShort((short) 1)
                    .putShort((short) 0x7FFF).putShort((short) 300);
            case INT32 -> b.putInt(Integer.MIN_VALUE).putInt(Integer.MAX_VALUE).putInt(0).putInt(-1).putInt(1)
                    .putInt(70000);
            case UINT32 -> b.putInt(0).putInt(0xFFFF_FFFF).putInt(0x8000_0000).putInt(1).putInt(Integer.MAX_VALUE)
                    .putInt(70000);
            case INT64 -> b.putLong(Long.MIN_VALUE).putLong(Long.MAX_VALUE).putLong(0).putLong(-1).putLong(1)
                    .putLong(1L << 40);
            case UINT64 -> b.putLong(0).putLong(-1L).putLong(Long.MIN_VALUE).putLong(1).putLong(Long.MAX_VALUE)
                    .putLong(1L << 40);
            case FP16 -> {
                for (float f : new float[] {0f, -0f, 1.5f, 65504f, -2.25f, Float.NaN}) {
                    b.putShort(Fp16.fromFloat(f));
                }
            }
            case FP32 -> b.putFloat(Float.NaN).putFloat(-0f).putFloat(Float.MAX_VALUE).putFloat(Float.MIN_VALUE)
                    .putFloat(Float.NEGATIVE_INFINITY).putFloat(1.1f);
            case FP64 -> b.putDouble(Double.NaN).putDouble(-0d).putDouble(Double.MAX_VALUE).putDouble(Double.MIN_VALUE)
                    .putDouble(Double.POSITIVE_INFINITY).putDouble(1.1);
            default -> throw new IllegalArgumentException(type.name());
        }
        return Tensor.of(name, type, shape, b.flip());
    }

    static void assertSameTensor(Tensor expected, Tensor actual) {
        assertEquals(expected.name(), actual.name());
        assertEquals(expected.dataType(), actual.dataType());
        assertArrayEquals(expected.shape(), actual.shape());
        if (expected.dataType() == DataType.BYTES) {
            List<byte[]> e = expected.strings();
            List<byte[]> a = actual.strings();
            assertEquals(e.size(), a.size());
            for (int i = 0; i < e.size(); i++) {
                assertArrayEquals(e.get(i), a.get(i), "element " + i);
            }
        } else {
            assertEquals(expected.data(), actual.data(), "the elements, byte for byte");
        }
    }
}
