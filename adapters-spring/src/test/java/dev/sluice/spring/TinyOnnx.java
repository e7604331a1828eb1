package dev.sluice.spring;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * Writes a tiny ONNX model by hand (the protobuf wire format of ModelProto), so tests can run ONNX Runtime
 * fast and often without a model file: one {@code Identity} node from FP32 input {@code x} [N, width] to output
 * {@code y}. The same encoder as sluice-gpu's tests (which publish no test jar).
 */
final class TinyOnnx {
    private TinyOnnx() {}

    static byte[] identity(int width) {
        return identity(dim(width, null));
    }

    /** The same model with a width left open ({@code [N, W]}): requests of different widths get padded. */
    static byte[] identityAnyWidth() {
        return identity(dim(null, "W"));
    }

    private static byte[] identity(byte[] widthDim) {
        byte[] shape = concat(dim(null, "N"), widthDim);
        byte[] x = valueInfo("x", shape);
        byte[] y = valueInfo("y", shape);
        byte[] node = concat(string(1, "x"), string(2, "y"), string(4, "Identity"));
        byte[] graph = concat(bytes(1, node), string(2, "tiny"), bytes(11, x), bytes(12, y));
        byte[] opset = varintField(2, 13);
        return concat(varintField(1, 7), bytes(7, graph), bytes(8, opset));
    }

    private static byte[] valueInfo(String name, byte[] dims) {
        byte[] tensorType = concat(varintField(1, 1), bytes(2, dims)); // elem_type FLOAT, shape
        return concat(string(1, name), bytes(2, bytes(1, tensorType)));
    }

    private static byte[] dim(Integer value, String param) {
        return bytes(1, value != null ? varintField(1, value) : string(2, param));
    }

    private static byte[] varintField(int field, long value) {
        return concat(varint(field << 3), varint(value));
    }

    private static byte[] string(int field, String s) {
        return bytes(field, s.getBytes(StandardCharsets.UTF_8));
    }

    private static byte[] bytes(int field, byte[] content) {
        return concat(varint((field << 3) | 2), varint(content.length), content);
    }

    private static byte[] varint(long v) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        while ((v & ~0x7FL) != 0) {
            out.write((int) ((v & 0x7F) | 0x80));
            v >>>= 7;
        }
        out.write((int) v);
        return out.toByteArray();
    }

    private static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            out.writeBytes(p);
        }
        return out.toByteArray();
    }
}
