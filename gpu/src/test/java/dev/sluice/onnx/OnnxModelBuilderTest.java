package dev.sluice.onnx;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import dev.sluice.Model;
import dev.sluice.ModelContext;
import dev.sluice.ModelFactory;
import dev.sluice.tensor.Tensor;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * A factory runs with the settings its builder had when the factory was made: changing the builder later does not
 * reach replicas that are running or yet to start.
 */
class OnnxModelBuilderTest {
    private static final List<Map<String, Tensor>> RAGGED = List.of(
            Map.of("x", Tensor.ofFloats("x", new long[] {1, 2}, 1, 2)),
            Map.of("x", Tensor.ofFloats("x", new long[] {1, 3}, 4, 5, 6)));

    @SuppressWarnings("try") // Model.close() may throw InterruptedException; this test thread has no interrupt to keep
    private static Map<String, Tensor> narrowOfRaggedBatch(ModelFactory<Map<String, Tensor>, Map<String, Tensor>> f)
            throws Exception {
        try (Model<Map<String, Tensor>, Map<String, Tensor>> m = f.create(ModelContext.forTest("r"))) {
            return m.predict(RAGGED).get(0);
        }
    }

    @Test
    void aPadValueSetAfterTheFactoryIsMadeDoesNotReachItsReplicas() throws Exception {
        OnnxModel.Builder builder = OnnxModel.builder(TinyOnnx.identityAnyWidth());
        ModelFactory<Map<String, Tensor>, Map<String, Tensor>> factory = builder.factory();

        builder.pad("x", 7);

        assertArrayEquals(new float[] {1, 2, 0}, narrowOfRaggedBatch(factory).get("y").toFloatArray());
    }

    @Test
    void aFollowSetAfterTheFactoryIsMadeDoesNotReachItsReplicas() throws Exception {
        OnnxModel.Builder builder = OnnxModel.builder(TinyOnnx.identityAnyWidth());
        ModelFactory<Map<String, Tensor>, Map<String, Tensor>> factory = builder.factory();

        builder.follow("y", 1, "x", 1, w -> w);

        assertArrayEquals(new long[] {1, 3}, narrowOfRaggedBatch(factory).get("y").shape());
    }

    @Test
    void theFactoryUsesTheSettingsMadeBeforeIt() throws Exception {
        ModelFactory<Map<String, Tensor>, Map<String, Tensor>> factory = OnnxModel.builder(TinyOnnx.identityAnyWidth())
                .pad("x", 7).follow("y", 1, "x", 1, w -> w + 0).factory();

        Map<String, Tensor> narrow = narrowOfRaggedBatch(factory);

        assertArrayEquals(new long[] {1, 2}, narrow.get("y").shape());
        assertArrayEquals(new float[] {1, 2}, narrow.get("y").toFloatArray());
    }
}
