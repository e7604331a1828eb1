package dev.sluice.onnx;

import java.nio.file.Path;

/** Lets tests in other packages use the test models: the tiny hand-made one and the fetched PaddleOCR ones. */
public final class TestModels {
    private TestModels() {}

    /** The tiny Identity model, [N, width] FP32 in ("x") and out ("y"). */
    public static byte[] identity(int width) {
        return TinyOnnx.identity(width);
    }

    /** The PaddleOCR v4 recognizer, as the build fetched it. */
    public static Path recognizer() {
        return OnnxModelTest.REC;
    }
}
