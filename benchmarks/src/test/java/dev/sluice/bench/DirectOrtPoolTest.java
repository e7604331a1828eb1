package dev.sluice.bench;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.ModelContext;
import dev.sluice.batching.ShutdownException;
import dev.sluice.onnx.OnnxModel;
import dev.sluice.tensor.Tensor;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Needs the recognizer fetched by scripts/fetch-models.sh (the gpu module's build fetches it first); fails, saying so, without it. */
class DirectOrtPoolTest {
    private static final Path MODEL = RecognizerBenchmark.defaultModel();

    @Test
    void eachImageComesBackWithWhatOnnxModelGivesForIt() throws Exception {
        assertTrue(Files.isRegularFile(MODEL), "no recognizer at " + MODEL + "; run scripts/fetch-models.sh");
        try (OnnxModel model = OnnxModel.builder(MODEL).open(ModelContext.forTest("rec"))) {
            String in = model.signature().inputs().get(0).name();
            String out = model.signature().outputs().get(0).name();
            RecognizerImages images = new RecognizerImages(in, new int[] {64, 96}, 2, 3);
            List<Tensor> sent = new ArrayList<>();
            List<CompletableFuture<FloatBuffer>> results = new ArrayList<>();
            try (DirectOrtPool pool = new DirectOrtPool(MODEL, in, 2)) {
                for (int w = 0; w < 2; w++) {
                    for (int i = 0; i < 2; i++) {
                        sent.add(images.image(w, i));
                        results.add(pool.submit(images.image(w, i)));
                    }
                }
                for (int k = 0; k < sent.size(); k++) {
                    float[] expected = model.predict(List.of(Map.of(in, sent.get(k)))).get(0).get(out).toFloatArray();
                    FloatBuffer got = results.get(k).get(60, TimeUnit.SECONDS);
                    float[] actual = new float[got.remaining()];
                    got.get(actual);
                    assertArrayEquals(expected, actual, 1e-5f, "image " + k);
                }
            }
        }
    }

    @Test
    void anImageSubmittedAfterCloseFailsWithShutdown() throws Exception {
        assertTrue(Files.isRegularFile(MODEL), "no recognizer at " + MODEL + "; run scripts/fetch-models.sh");
        RecognizerImages images = new RecognizerImages("x", new int[] {32}, 1, 1);
        DirectOrtPool pool = new DirectOrtPool(MODEL, "x", 1);
        pool.close();
        ExecutionException e = assertThrows(ExecutionException.class,
                () -> pool.submit(images.image(0, 0)).get(10, TimeUnit.SECONDS));
        assertInstanceOf(ShutdownException.class, e.getCause());
    }
}
