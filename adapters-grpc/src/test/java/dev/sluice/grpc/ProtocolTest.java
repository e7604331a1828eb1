package dev.sluice.grpc;

import static dev.sluice.grpc.GrpcHarness.T;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.grpc.proto.InferParameter;
import dev.sluice.grpc.proto.InferTensorContents;
import dev.sluice.grpc.proto.ModelInferRequest;
import dev.sluice.grpc.proto.ModelInferResponse;
import dev.sluice.grpc.proto.ModelMetadataRequest;
import dev.sluice.grpc.proto.ModelMetadataResponse;
import dev.sluice.grpc.proto.ModelReadyRequest;
import dev.sluice.grpc.proto.ServerLiveRequest;
import dev.sluice.grpc.proto.ServerMetadataRequest;
import dev.sluice.grpc.proto.ServerMetadataResponse;
import dev.sluice.grpc.proto.ServerReadyRequest;
import dev.sluice.tensor.DataType;
import dev.sluice.tensor.Tensor;
import dev.sluice.tensor.TensorSpec;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Each of the six calls of GRPCInferenceService, over loopback, as the specification and the REST adapter define them. */
class ProtocolTest {
    private GrpcHarness h;
    private final Gate gate = new Gate();
    private final List<Float> seen = TestModels.recorder();

    @BeforeEach
    void start() throws Exception {
        h = GrpcHarness.start();
        h.deploy(TestModels.doubler("doubler", gate, seen));
        h.deploy(TestModels.specExample());
    }

    @AfterEach
    void stop() {
        gate.open();
        h.close();
    }

    @Test
    void serverLiveIsTrue() {
        assertTrue(h.stub().serverLive(ServerLiveRequest.getDefaultInstance()).getLive());
        assertTrue(h.client.serverLive(T));
    }

    @Test
    void serverReadyIsTrueWhenEveryModelIsReadyAndFalseWhileOneStarts() throws Exception {
        assertTrue(h.stub().serverReady(ServerReadyRequest.getDefaultInstance()).getReady());
        CountDownLatch start = new CountDownLatch(1);
        try {
            h.sluice.deploy(TestModels.slowStarting("slow", start));
            assertFalse(h.client.serverReady(T));
            assertFalse(h.client.modelReady("slow", null, T));
            assertTrue(h.client.modelReady("doubler", "", T));
        } finally {
            start.countDown();
        }
        h.sluice.deployment("slow").orElseThrow().awaitReady(T);
        assertTrue(h.client.serverReady(T));
        assertTrue(h.client.modelReady("slow", "1", T));
    }

    @Test
    void modelReadyOfAnUnknownModelOrVersionIsNotFound() {
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
                () -> h.stub().modelReady(ModelReadyRequest.newBuilder().setName("nope").build()));
        assertEquals(Status.Code.NOT_FOUND, e.getStatus().getCode());
        assertEquals("no model named 'nope'", e.getStatus().getDescription());
        e = assertThrows(StatusRuntimeException.class, () -> h.client.modelReady("doubler", "2", T));
        assertEquals(Status.Code.NOT_FOUND, e.getStatus().getCode());
        assertEquals("model 'doubler' has no version '2'; it serves version 1", e.getStatus().getDescription());
    }

    @Test
    void serverMetadataNamesSluice() {
        ServerMetadataResponse m = h.stub().serverMetadata(ServerMetadataRequest.getDefaultInstance());
        assertEquals("sluice", m.getName());
        assertFalse(m.getVersion().isEmpty());
        OipGrpcClient.ServerMetadata viaClient = h.client.serverMetadata(T);
        assertEquals("sluice", viaClient.name());
        assertEquals(List.of(), viaClient.extensions());
    }

    @Test
    void modelMetadataGivesTheSignatureVersionAndPlatform() {
        ModelMetadataResponse m = h.stub().modelMetadata(ModelMetadataRequest.newBuilder().setName("mymodel").build());
        assertEquals("mymodel", m.getName());
        assertEquals(List.of("1"), m.getVersionsList());
        assertEquals("sluice_java", m.getPlatform());
        assertEquals(2, m.getInputsCount());
        assertEquals("input0", m.getInputs(0).getName());
        assertEquals("UINT32", m.getInputs(0).getDatatype());
        assertEquals(List.of(-1L, 2L), m.getInputs(0).getShapeList());
        assertEquals("BOOL", m.getInputs(1).getDatatype());
        assertEquals("output1", m.getOutputs(1).getName());

        OipGrpcClient.ModelMetadata viaClient = h.client.modelMetadata("doubler", "1", T);
        assertEquals(List.of(new TensorSpec("x", DataType.FP32, new long[] {-1, 4})), viaClient.signature().inputs());
        assertEquals(List.of(new TensorSpec("y", DataType.FP32, new long[] {-1, 4})), viaClient.signature().outputs());

        StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
                () -> h.client.modelMetadata("mymodel", "7", T));
        assertEquals(Status.Code.NOT_FOUND, e.getStatus().getCode());
        e = assertThrows(StatusRuntimeException.class, () -> h.client.modelMetadata("nope", null, T));
        assertEquals(Status.Code.NOT_FOUND, e.getStatus().getCode());
    }

    /** The specification's inference example, sent as typed contents: the answer comes as typed contents too. */
    @Test
    void theSpecificationsInferenceExampleAnswersInTypedContents() {
        ModelInferRequest request = ModelInferRequest.newBuilder().setModelName("mymodel").setId("42")
                .addInputs(ModelInferRequest.InferInputTensor.newBuilder().setName("input0").setDatatype("UINT32")
                        .addShape(2).addShape(2)
                        .setContents(InferTensorContents.newBuilder().addUintContents(1).addUintContents(2)
                                .addUintContents(4).addUintContents(5)))
                .addInputs(ModelInferRequest.InferInputTensor.newBuilder().setName("input1").setDatatype("BOOL")
                        .addShape(1)
                        .setContents(InferTensorContents.newBuilder().addBoolContents(true)))
                .addOutputs(ModelInferRequest.InferRequestedOutputTensor.newBuilder().setName("output0"))
                .build();
        ModelInferResponse r = h.stub().modelInfer(request);
        assertEquals("mymodel", r.getModelName());
        assertEquals("1", r.getModelVersion());
        assertEquals("42", r.getId());
        assertEquals(1, r.getOutputsCount());
        assertEquals(0, r.getRawOutputContentsCount());
        ModelInferResponse.InferOutputTensor out = r.getOutputs(0);
        assertEquals("output0", out.getName());
        assertEquals("FP32", out.getDatatype());
        assertEquals(List.of(3L, 2L), out.getShapeList());
        assertEquals(List.of(1.0f, 1.1f, 2.0f, 2.1f, 3.0f, 3.1f), out.getContents().getFp32ContentsList());
    }

    @Test
    void rawInputsGetRawOutputsLittleEndian() {
        ByteBuffer x = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putFloat(1).putFloat(2).putFloat(3)
                .putFloat(4).flip();
        ModelInferRequest request = ModelInferRequest.newBuilder().setModelName("doubler")
                .addInputs(ModelInferRequest.InferInputTensor.newBuilder().setName("x").setDatatype("FP32")
                        .addShape(1).addShape(4))
                .addRawInputContents(com.google.protobuf.ByteString.copyFrom(x))
                .build();
        ModelInferResponse r = h.stub().modelInfer(request);
        assertEquals(1, r.getRawOutputContentsCount());
        assertFalse(r.getOutputs(0).hasContents());
        ByteBuffer y = r.getRawOutputContents(0).asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
        assertEquals(16, y.remaining());
        assertArrayEquals(new float[] {2, 4, 6, 8},
                new float[] {y.getFloat(), y.getFloat(), y.getFloat(), y.getFloat()});
    }

    @Test
    void requestedOutputsChooseWhichOutputsComeBackInTheOrderAsked() {
        InferResult all = h.client.infer(specRequest().build(), T);
        assertEquals(List.of("output0", "output1"), List.copyOf(all.outputs().keySet()));

        InferResult one = h.client.infer(specRequest().output("output1").build(), T);
        assertEquals(List.of("output1"), List.copyOf(one.outputs().keySet()));
        assertArrayEquals(new long[] {7}, one.output("output1").toLongArray());

        InferResult both = h.client.infer(specRequest().output("output1").output("output0").build(), T);
        assertEquals(List.of("output1", "output0"), List.copyOf(both.outputs().keySet()));
    }

    @Test
    void anOutputTheModelDoesNotHaveIsInvalidArgumentNamingIt() {
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
                () -> h.client.infer(specRequest().output("output9").build(), T));
        assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode());
        assertEquals("output 'output9' is not one of the model's [output0, output1]", e.getStatus().getDescription());
    }

    @Test
    void anOutputAskedTwiceIsInvalidArgument() {
        ModelInferRequest twice = specRequest().build().toMessage().toBuilder()
                .addOutputs(ModelInferRequest.InferRequestedOutputTensor.newBuilder().setName("output0"))
                .addOutputs(ModelInferRequest.InferRequestedOutputTensor.newBuilder().setName("output0"))
                .build();
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> h.stub().modelInfer(twice));
        assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode());
        assertEquals("output 'output0' is asked for twice", e.getStatus().getDescription());
    }

    @Test
    void anExplicitVersionIsServedAndAnotherIsNotFound() {
        InferResult r = h.client.infer(doubling(1).version("1").build(), T);
        assertEquals("1", r.version());
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
                () -> h.client.infer(doubling(1).version("3").build(), T));
        assertEquals(Status.Code.NOT_FOUND, e.getStatus().getCode());
        e = assertThrows(StatusRuntimeException.class,
                () -> h.client.infer(InferRequest.builder("nope").input(x(1)).build(), T));
        assertEquals(Status.Code.NOT_FOUND, e.getStatus().getCode());
        assertEquals("no model named 'nope'", e.getStatus().getDescription());
    }

    @Test
    void parametersAreAcceptedAndTimeoutMsMustBeAPositiveWholeNumber() {
        InferResult r = h.client.infer(doubling(3).parameter("timeout_ms", 5000L).parameter("tag", "a")
                .parameter("flag", true).parameter("ratio", 0.5).build(), T);
        assertArrayEquals(new float[] {6, 0, 0, 0}, r.output("y").toFloatArray());
        for (Object bad : new Object[] {0L, -5L, "100", 1.5}) {
            StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
                    () -> h.client.infer(doubling(3).parameter("timeout_ms", bad).build(), T));
            assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode());
            assertTrue(e.getStatus().getDescription().startsWith(
                    "parameter \"timeout_ms\" must be a positive whole number of milliseconds"),
                    e.getStatus().getDescription());
        }
        ModelInferRequest unsigned = doubling(3).build().toMessage().toBuilder()
                .putParameters("timeout_ms", InferParameter.newBuilder().setUint64Param(5000).build()).build();
        assertEquals(1, h.stub().modelInfer(unsigned).getOutputsCount());
    }

    @Test
    void theClientsShortFormReturnsTheOutputsByName() {
        Map<String, Tensor> y = h.client.infer("doubler", List.of(x(5)), T);
        assertArrayEquals(new float[] {10, 0, 0, 0}, y.get("y").toFloatArray());
    }

    @Test
    void asyncInferCompletesWithTheResult() throws Exception {
        InferResult r = h.client.inferAsync(doubling(2).id("async").build(), T).get();
        assertEquals("async", r.id());
        assertArrayEquals(new float[] {4, 0, 0, 0}, r.output("y").toFloatArray());
    }

    @Test
    void aClientConnectedByTargetWorksAndCloses() {
        try (OipGrpcClient own = OipGrpcClient.connect("127.0.0.1:" + h.server.port())) {
            assertTrue(own.serverLive(T));
            assertArrayEquals(new float[] {2, 0, 0, 0}, own.infer("doubler", List.of(x(1)), T).get("y").toFloatArray());
        }
    }

    static Tensor x(float first) {
        return Tensor.ofFloats("x", new long[] {1, 4}, first, 0, 0, 0);
    }

    static InferRequest.Builder doubling(float first) {
        return InferRequest.builder("doubler").input(x(first));
    }

    private static InferRequest.Builder specRequest() {
        return InferRequest.builder("mymodel")
                .input(Tensor.of("input0", DataType.UINT32, new long[] {2, 2},
                        ByteBuffer.allocate(16).order(ByteOrder.nativeOrder()).putInt(1).putInt(2).putInt(4).putInt(5)
                                .flip()))
                .input(Tensor.ofBooleans("input1", new long[] {1}, true));
    }
}
