package dev.sluice.bench;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.examples.ocr.OcrResult;
import dev.sluice.examples.ocr.OcrService;
import dev.sluice.tensor.Tensor;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class SequentialOcrTest {

    @Test
    void tensorsOfOneShapeStackAlongTheFirstDimension() {
        Tensor a = Tensor.ofFloats("x", new long[] {1, 2}, 1, 2);
        Tensor b = Tensor.ofFloats("x", new long[] {1, 2}, 3, 4);
        ByteBuffer stacked = SequentialOcr.stack(List.of(a, b));
        float[] values = new float[4];
        stacked.asFloatBuffer().get(values);
        assertArrayEquals(new float[] {1, 2, 3, 4}, values);
        assertArrayEquals(new long[] {2, 2}, SequentialOcr.stackedShape(List.of(a, b)));
        assertArrayEquals(new long[] {1, 2}, a.shape(), "the tensor's own shape is untouched");
        Tensor c = Tensor.ofFloats("x", new long[] {1, 3}, 1, 2, 3);
        assertThrows(IllegalArgumentException.class, () -> SequentialOcr.stackedShape(List.of(a, c)));
        Tensor twoRows = Tensor.ofFloats("x", new long[] {2, 2}, 5, 6, 7, 8);
        assertArrayEquals(new long[] {3, 2}, SequentialOcr.stackedShape(List.of(a, twoRows)),
                "a request of several rows (a long line's classifier windows) adds them all");
    }

    /** Needs the PaddleOCR models (the ocr-service build fetches them); a few seconds. */
    @Test
    void theBaselineReadsEveryPageAsTheServiceDoesAndCountsItsCalls() throws Exception {
        assertTrue(Files.isRegularFile(OcrService.defaultModels().resolve(OcrService.RECOGNIZER)),
                "no models in " + OcrService.defaultModels() + "; run scripts/fetch-models.sh");
        OcrPages pages = new OcrPages(3, 2, 4, 11);
        BatchSizes runs = new BatchSizes(16);
        try (OcrService service = OcrService.builder(OcrService.defaultModels()).build();
                SequentialOcr.Sessions sessions = new SequentialOcr.Sessions(OcrService.defaultModels())) {
            SequentialOcr baseline = new SequentialOcr(service, runs);
            int lines = 0;
            for (int i = 0; i < pages.size(); i++) {
                byte[] png = pages.page(i).png();
                OcrResult direct = baseline.read(sessions, png);
                OcrResult served = service.read(png).get(60, TimeUnit.SECONDS).value();
                assertEquals(OcrBenchmark.Readings.texts(served), OcrBenchmark.Readings.texts(direct), "page " + i);
                assertEquals(served.lines().stream().map(OcrResult.Line::box).toList(),
                        direct.lines().stream().map(OcrResult.Line::box).toList(), "page " + i);
                lines += direct.lines().size();
            }
            long[] c = OcrBenchmark.counters(runs);
            assertEquals(3, OcrBenchmark.distribution(c, 0).calls());
            assertEquals(3, OcrBenchmark.distribution(c, 1).calls(), "one classifier call per page");
            assertEquals(lines, OcrBenchmark.distribution(c, 1).items());
        }
    }
}
