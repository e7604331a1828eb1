package dev.sluice.grpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.google.protobuf.ByteString;
import dev.sluice.grpc.proto.InferTensorContents;
import dev.sluice.grpc.proto.ModelInferRequest;
import dev.sluice.grpc.proto.ModelInferRequest.InferInputTensor;
import dev.sluice.tensor.DataType;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.util.Collections;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Bad requests end with INVALID_ARGUMENT whose description names what was wrong; the model never runs them. */
class BadInputTest {
    private static GrpcHarness h;

    @BeforeAll
    static void start() throws Exception {
        h = GrpcHarness.start();
        h.deploy(TestModels.doubler("doubler", new Gate(), TestModels.recorder()));
        h.deploy(TestModels.echo("echo-int8", DataType.INT8));
        h.deploy(TestModels.echo("echo-bytes", DataType.BYTES));
    }

    @AfterAll
    static void stop() {
        h.close();
    }

    private static InferInputTensor.Builder x() {
        return InferInputTensor.newBuilder().setName("x").setDatatype("FP32").addShape(1).addShape(4)
                .setContents(InferTensorContents.newBuilder().addFp32Contents(1).addFp32Contents(2)
                        .addFp32Contents(3).addFp32Contents(4));
    }

    private static String refused(String model, UnaryOperator<ModelInferRequest.Builder> request) {
        ModelInferRequest r = request.apply(ModelInferRequest.newBuilder().setModelName(model)).build();
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> h.stub().modelInfer(r));
        assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode(), e.getStatus().toString());
        return e.getStatus().getDescription();
    }

    @Test
    void noModelName() {
        assertEquals("the request names no model", refused("", r -> r.addInputs(x())));
    }

    @Test
    void noInputs() {
        assertEquals("the request has no inputs", refused("doubler", r -> r));
    }

    @Test
    void anInputWithoutAName() {
        assertEquals("inputs[0] has no name", refused("doubler", r -> r.addInputs(x().setName(""))));
    }

    @Test
    void anUnknownDatatype() {
        assertEquals("input 'x': unknown data type 'FP8'; expected one of [BOOL, UINT8, UINT16, UINT32, UINT64, INT8, "
                + "INT16, INT32, INT64, FP16, FP32, FP64, BYTES]",
                refused("doubler", r -> r.addInputs(x().setDatatype("FP8"))));
    }

    @Test
    void aNegativeDimension() {
        assertEquals("input 'x': dimension 1 of shape [1, -4] is negative",
                refused("doubler", r -> r.addInputs(x().setShape(1, -4))));
    }

    @Test
    void aShapeWhoseElementCountOverflows() {
        assertEquals("input 'x': shape [4294967296, 4294967296, 0] has more elements than a tensor can hold",
                refused("doubler", r -> r.addInputs(x().clearShape().addShape(1L << 32).addShape(1L << 32).addShape(0))));
    }

    @Test
    void aShapeOfMoreThan32Dimensions() {
        assertEquals("input 'x': shape has 33 dimensions, more than 32", refused("doubler", r -> r.addInputs(x()
                .clearShape().addAllShape(Collections.nCopies(33, 1L)))));
    }

    @Test
    void aShapeWhoseByteSizeIsBeyondWhatAMessageCarries() {
        // 300,000,000 elements fit in an int; their 2,400,000,000 bytes do not
        assertEquals("input 'x': shape [1, 300000000] of FP64 needs 2400000000 bytes of raw contents (300000000 "
                + "elements), it has 16", refused("doubler", r -> r.addInputs(x().clearContents().setDatatype("FP64")
                        .setShape(1, 300_000_000)).addRawInputContents(ByteString.copyFrom(new byte[16]))));
    }

    @Test
    void aShapeTheContentsDoNotFill() {
        assertEquals("input 'x': shape [2, 4] needs 8 FP32 elements, fp32_contents has 4",
                refused("doubler", r -> r.addInputs(x().setShape(0, 2))));
    }

    @Test
    void elementsInTheWrongField() {
        assertEquals("input 'x': a FP32 tensor's elements go in fp32_contents, but contents has 4 in int_contents",
                refused("doubler", r -> r.addInputs(x().setContents(InferTensorContents.newBuilder()
                        .addIntContents(1).addIntContents(2).addIntContents(3).addIntContents(4)))));
    }

    @Test
    void anInt8ElementOutOfRange() {
        assertEquals("input 'in': element 1 is 200; a INT8 element must be a whole number from -128 to 127",
                refused("echo-int8", r -> r.addInputs(InferInputTensor.newBuilder().setName("in").setDatatype("INT8")
                        .addShape(1).addShape(2)
                        .setContents(InferTensorContents.newBuilder().addIntContents(1).addIntContents(200)))));
    }

    @Test
    void anInputGivenTwice() {
        assertEquals("input 'x' is given twice", refused("doubler", r -> r.addInputs(x()).addInputs(x())));
    }

    @Test
    void rawContentsForTheWrongNumberOfInputs() {
        assertEquals("raw_input_contents has 2 entries for 1 inputs; it needs one per input, in the order of inputs",
                refused("doubler", r -> r.addInputs(x().clearContents())
                        .addRawInputContents(ByteString.copyFrom(new byte[16]))
                        .addRawInputContents(ByteString.copyFrom(new byte[16]))));
    }

    @Test
    void fewerRawContentsThanInputs() {
        assertEquals("raw_input_contents has 1 entries for 2 inputs; it needs one per input, in the order of inputs",
                refused("doubler", r -> r.addInputs(x().clearContents()).addInputs(x().clearContents().setName("z"))
                        .addRawInputContents(ByteString.copyFrom(new byte[16]))));
    }

    @Test
    void rawContentsOfTheWrongSize() {
        assertEquals("input 'x': shape [1, 4] of FP32 needs 16 bytes of raw contents (4 elements), it has 15",
                refused("doubler", r -> r.addInputs(x().clearContents())
                        .addRawInputContents(ByteString.copyFrom(new byte[15]))));
    }

    @Test
    void contentsAsWellAsRawContents() {
        assertEquals("input 'x' has contents as well as raw_input_contents; a request sends all its inputs one way or "
                + "the other", refused("doubler", r -> r.addInputs(x())
                        .addRawInputContents(ByteString.copyFrom(new byte[16]))));
    }

    @Test
    void aRawBoolThatIsNeitherZeroNorOne() {
        h.sluice.deployment("echo-bool").ifPresentOrElse(d -> {}, () -> h.sluice.deploy(TestModels.echo("echo-bool",
                DataType.BOOL)));
        assertEquals("input 'in': element 1 is the byte 2; a raw BOOL element is 0 or 1",
                refused("echo-bool", r -> r.addInputs(InferInputTensor.newBuilder().setName("in").setDatatype("BOOL")
                        .addShape(1).addShape(2)).addRawInputContents(ByteString.copyFrom(new byte[] {1, 2}))));
    }

    @Test
    void aRawBytesElementLongerThanWhatFollows() {
        assertEquals("input 'in': BYTES element 0 declares 100 bytes, only 2 follow in raw contents",
                refused("echo-bytes", r -> r.addInputs(bytesInput(1))
                        .addRawInputContents(ByteString.copyFrom(new byte[] {100, 0, 0, 0, 'a', 'b'}))));
    }

    @Test
    void aRawBytesElementWithAHugeDeclaredLength() {
        assertEquals("input 'in': BYTES element 0 declares 4294967295 bytes, only 0 follow in raw contents",
                refused("echo-bytes", r -> r.addInputs(bytesInput(1))
                        .addRawInputContents(ByteString.copyFrom(new byte[] {-1, -1, -1, -1}))));
    }

    @Test
    void rawBytesWithBytesLeftOver() {
        assertEquals("input 'in': raw contents hold 1 bytes after the 1 BYTES elements of shape [1, 1]",
                refused("echo-bytes", r -> r.addInputs(bytesInput(1))
                        .addRawInputContents(ByteString.copyFrom(new byte[] {1, 0, 0, 0, 'a', 'b'}))));
    }

    @Test
    void aBytesShapeFarLargerThanTheRawContents() {
        assertEquals("input 'in': shape [1, 1000000000] needs 1000000000 BYTES elements, but 8 bytes of raw contents "
                + "hold at most 2", refused("echo-bytes", r -> r.addInputs(bytesInput(1_000_000_000))
                        .addRawInputContents(ByteString.copyFrom(new byte[8]))));
    }

    @Test
    void anInputTheModelDoesNotTakeIsRefusedByTheSignature() {
        String description = refused("doubler", r -> r.addInputs(x()).addInputs(x().setName("z")));
        assertEquals("input 'z' is not one of the model's [x]", description);
    }

    @Test
    void anInputOfTheWrongTypeForTheModel() {
        assertEquals("input 'x' is FP64, the model takes FP32", refused("doubler", r -> r.addInputs(x()
                .setDatatype("FP64").setContents(InferTensorContents.newBuilder().addFp64Contents(1)
                        .addFp64Contents(2).addFp64Contents(3).addFp64Contents(4)))));
    }

    private static InferInputTensor.Builder bytesInput(long n) {
        return InferInputTensor.newBuilder().setName("in").setDatatype("BYTES").addShape(1).addShape(n);
    }
}
