package dev.sluice.examples.readme;

import dev.sluice.Deployment;
import dev.sluice.DeploymentHandle;
import dev.sluice.Resources;
import dev.sluice.Sluice;
import dev.sluice.onnx.OnnxModel;
import dev.sluice.tensor.Tensor;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;

public class OnnxRecognizer {
    public static void main(String[] args) throws Exception {
        Path file = Path.of(args.length > 0 ? args[0] : "ch_PP-OCRv4_rec_infer.onnx");
        OnnxModel.Builder rec = OnnxModel.builder(file)
                .follow("softmax_11.tmp_0", 1, "x", 3, w -> Math.max(1, (w + 3) / 8));  // time steps follow the width

        try (Sluice sluice = Sluice.builder().resources(Resources.detect()).build()) {
            DeploymentHandle<Map<String, Tensor>, Map<String, Tensor>> h = sluice.deploy(
                    Deployment.<Map<String, Tensor>, Map<String, Tensor>>builder("rec", rec.factory())
                            .signature(rec.signature())          // check every request before it joins a batch
                            .batching(b -> b.maxBatchSize(16)).replicas(2).build());
            float[] pixels = new float[3 * 48 * 320];            // one line of text: RGB, 48 x 320 pixels
            Map<String, Tensor> out = h.submit(Map.of("x", Tensor.ofFloats("x", new long[] {1, 3, 48, 320}, pixels))).get();
            System.out.println(Arrays.toString(out.get("softmax_11.tmp_0").shape()));   // [1, 40, 6625]
        }
    }
}
