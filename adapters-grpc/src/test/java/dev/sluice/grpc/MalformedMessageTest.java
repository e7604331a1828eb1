package dev.sluice.grpc;

import static dev.sluice.grpc.GrpcHarness.T;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.google.protobuf.CodedOutputStream;
import dev.sluice.grpc.proto.GRPCInferenceServiceGrpc;
import dev.sluice.grpc.proto.InferTensorContents;
import dev.sluice.grpc.proto.ModelInferRequest;
import dev.sluice.grpc.proto.ModelInferResponse;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthGrpc;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A request message that is not valid protobuf ends with INVALID_ARGUMENT naming the method and what the parser
 * found, over a real channel, and leaves nothing in grpc-java's log; the server goes on serving. (grpc-java alone
 * answers UNKNOWN "Application error processing RPC" and logs a SEVERE stack trace for each.)
 */
class MalformedMessageTest {
    private static final MethodDescriptor<byte[], byte[]> INFER =
            RawCalls.raw(GRPCInferenceServiceGrpc.getModelInferMethod());
    private static final String NOT_VALID = "the request is not a valid inference.GRPCInferenceService/ModelInfer "
            + "message: ";

    private final Logger grpcLog = Logger.getLogger("io.grpc");
    private final List<LogRecord> logged = new ArrayList<>();
    private final Handler warnings = new Handler() {
        @Override
        public void publish(LogRecord r) {
            if (r.getLevel().intValue() >= Level.WARNING.intValue()) {
                synchronized (logged) {
                    logged.add(r);
                }
            }
        }

        @Override
        public void flush() {}

        @Override
        public void close() {}
    };
    private GrpcHarness h;

    @BeforeEach
    void start() throws Exception {
        grpcLog.addHandler(warnings);
        h = GrpcHarness.start();
        h.deploy(TestModels.specExample());
    }

    @AfterEach
    void stop() {
        h.close();
        grpcLog.removeHandler(warnings);
    }

    /** The status a call of {@code method} with {@code message} (each int one byte) ends with. */
    private Status refused(MethodDescriptor<byte[], byte[]> method, int... message) {
        byte[] bytes = new byte[message.length];
        for (int i = 0; i < bytes.length; i++) {
            bytes[i] = (byte) message[i];
        }
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
                () -> RawCalls.call(h.channel, method, bytes, T));
        return e.getStatus();
    }

    private void assertInvalid(String description, int... message) {
        Status s = refused(INFER, message);
        assertEquals(Status.Code.INVALID_ARGUMENT, s.getCode(), s.toString());
        assertEquals(NOT_VALID + description, s.getDescription());
    }

    @Test
    void aTagWithAnInvalidWireTypeIsInvalidArgument() {
        assertInvalid("Protocol message tag had invalid wire type.", 0xff, 1, 2);
    }

    @Test
    void aTruncatedFieldIsInvalidArgument() {
        // field 1 (model_name), length 100, and no bytes after it
        assertInvalid("While parsing a protocol message, the input ended unexpectedly in the middle of a field.  "
                + "This could mean either that the input has been truncated or that an embedded message misreported "
                + "its own length.", 0x0a, 100);
    }

    @Test
    void aStringThatIsNotUtf8IsInvalidArgument() {
        assertInvalid("Protocol message had invalid UTF-8.", 0x0a, 2, 0xc3, 0x28);
    }

    /**
     * A message over 4 MiB is parsed from a stream, not an array, and protobuf-java's stream decoder throws
     * ArrayIndexOutOfBoundsException on some malformed lengths (the fuzzer's finding, kept as its seed, behind 5 MiB
     * of a valid field): still INVALID_ARGUMENT, naming the parser's failure.
     */
    @Test
    void aLargeMessageTheStreamDecoderTripsOverIsInvalidArgument() throws Exception {
        byte[] finding;
        try (InputStream in = MalformedMessageTest.class.getResourceAsStream(
                "ModelInferFuzzTestInputs/modelInfer/stream-decoder-index-out-of-bounds")) {
            finding = in.readAllBytes();
        }
        int padding = 5 * 1024 * 1024;
        ByteArrayOutputStream message = new ByteArrayOutputStream();
        CodedOutputStream out = CodedOutputStream.newInstance(message);
        out.writeString(ModelInferRequest.MODEL_VERSION_FIELD_NUMBER, "a".repeat(padding));
        out.flush();
        message.write(finding);

        StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
                () -> RawCalls.call(h.channel, INFER, message.toByteArray(), T));
        assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode(), e.getStatus().toString());
        assertEquals(NOT_VALID + "the protobuf parser failed on it (java.lang.ArrayIndexOutOfBoundsException: Index "
                + "4096 out of bounds for length 4096)", e.getStatus().getDescription());
    }

    @Test
    void theHealthServiceRefusesAMalformedMessageTheSameWay() {
        Status s = refused(RawCalls.raw(HealthGrpc.getCheckMethod()), 0xff, 1, 2);
        assertEquals(Status.Code.INVALID_ARGUMENT, s.getCode(), s.toString());
        assertEquals("the request is not a valid grpc.health.v1.Health/Check message: Protocol message tag had "
                + "invalid wire type.", s.getDescription());
    }

    @Test
    void theServerGoesOnServingOnTheSameChannelAndLogsNothing() throws Exception {
        assertInvalid("Protocol message tag had invalid wire type.", 0xff, 1, 2);
        byte[] ok = RawCalls.call(h.channel, INFER, specRequest().toByteArray(), T);
        ModelInferResponse r = ModelInferResponse.parseFrom(ok);
        assertEquals(List.of("output0", "output1"),
                r.getOutputsList().stream().map(ModelInferResponse.InferOutputTensor::getName).toList());
        synchronized (logged) {
            assertEquals(List.of(), logged.stream().map(LogRecord::getMessage).toList());
        }
    }

    private static ModelInferRequest specRequest() {
        return ModelInferRequest.newBuilder().setModelName("mymodel")
                .addInputs(ModelInferRequest.InferInputTensor.newBuilder().setName("input0").setDatatype("UINT32")
                        .addShape(1).addShape(2).setContents(InferTensorContents.newBuilder()
                                .addUintContents(1).addUintContents(2)))
                .addInputs(ModelInferRequest.InferInputTensor.newBuilder().setName("input1").setDatatype("BOOL")
                        .addShape(1).setContents(InferTensorContents.newBuilder()
                                .addBoolContents(true)))
                .build();
    }
}
