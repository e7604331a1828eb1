package dev.sluice.onnx;

import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import dev.sluice.tensor.DataType;
import dev.sluice.tensor.TensorSignature;
import dev.sluice.tensor.TensorSpec;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Sluice's tensor types and ONNX Runtime's, each way, and a session's inputs and outputs as a signature. */
final class OnnxTypes {
    private OnnxTypes() {}

    /**
     * The session's inputs and outputs.
     *
     * @throws IllegalArgumentException if one is not a tensor, or has an element type Sluice does not map
     */
    static TensorSignature signature(OrtSession session) throws OrtException {
        return new TensorSignature(specs(session.getInputInfo()), specs(session.getOutputInfo()));
    }

    private static List<TensorSpec> specs(Map<String, NodeInfo> info) {
        List<TensorSpec> specs = new ArrayList<>();
        for (NodeInfo node : info.values()) {
            if (!(node.getInfo() instanceof TensorInfo t)) {
                throw new IllegalArgumentException("'" + node.getName() + "' is not a tensor (" + node.getInfo()
                        + "); only tensor inputs and outputs are supported");
            }
            specs.add(new TensorSpec(node.getName(), dataType(node.getName(), t.type), t.getShape()));
        }
        return List.copyOf(specs);
    }

    /** @param name the input or output, for the message when {@code type} has no Sluice type */
    static DataType dataType(String name, OnnxJavaType type) {
        return switch (type) {
            case FLOAT -> DataType.FP32;
            case DOUBLE -> DataType.FP64;
            case FLOAT16 -> DataType.FP16;
            case INT8 -> DataType.INT8;
            case INT16 -> DataType.INT16;
            case INT32 -> DataType.INT32;
            case INT64 -> DataType.INT64;
            case UINT8 -> DataType.UINT8;
            case BOOL -> DataType.BOOL;
            default -> throw new IllegalArgumentException("'" + name + "' has element type " + type
                    + ", which Sluice's ONNX adapter does not support");
        };
    }

    static OnnxJavaType javaType(DataType type) {
        return switch (type) {
            case FP32 -> OnnxJavaType.FLOAT;
            case FP64 -> OnnxJavaType.DOUBLE;
            case FP16 -> OnnxJavaType.FLOAT16;
            case INT8 -> OnnxJavaType.INT8;
            case INT16 -> OnnxJavaType.INT16;
            case INT32 -> OnnxJavaType.INT32;
            case INT64 -> OnnxJavaType.INT64;
            case UINT8 -> OnnxJavaType.UINT8;
            case BOOL -> OnnxJavaType.BOOL;
            default -> throw new IllegalArgumentException(type + " is not supported by the ONNX adapter");
        };
    }
}
