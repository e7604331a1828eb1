package dev.sluice.examples.ocr;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.pipeline.Result;
import dev.sluice.pipeline.Trace;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Many images at once: their lines share the classifier's and the recognizer's batches, and nothing changes. */
class OcrConcurrencyTest {
    static final int REQUESTS = 32;

    private static OcrService ocr;

    @BeforeAll
    static void start() {
        ocr = OcrService.builder(OcrService.defaultModels()).build();
    }

    @AfterAll
    static void stop() {
        ocr.close();
    }

    @Test
    void thirtyTwoConcurrentRequestsReadWhatTheSameRequestsReadOneAtATimeInSharedBatches() throws Exception {
        Random rnd = new Random(77);
        List<TextPages.Page> pages = new ArrayList<>();
        for (int i = 0; i < REQUESTS; i++) {
            pages.add(TextPages.page(rnd, 1 + rnd.nextInt(3)));
        }

        List<Result<OcrResult>> alone = new ArrayList<>();
        for (TextPages.Page page : pages) {
            alone.add(ocr.read(page.png()).get(60, TimeUnit.SECONDS));
        }
        List<CompletableFuture<Result<OcrResult>>> futures = new ArrayList<>();
        for (TextPages.Page page : pages) {
            futures.add(ocr.read(page.png()));
        }
        List<Result<OcrResult>> together = new ArrayList<>();
        for (CompletableFuture<Result<OcrResult>> f : futures) {
            together.add(f.get(120, TimeUnit.SECONDS));
        }

        int mostLines = 0;
        int largestAlone = 0;
        int largestTogether = 0;
        for (int i = 0; i < REQUESTS; i++) {
            List<OcrResult.Line> a = alone.get(i).value().lines();
            List<OcrResult.Line> t = together.get(i).value().lines();
            assertEquals(a.size(), t.size(), "request " + i + ": as many lines");
            assertTrue(a.size() > 0, "request " + i + " read something");
            for (int j = 0; j < a.size(); j++) {
                // The same text in the same box. A line batched beside wider ones is padded, which moves the
                // recognizer's probabilities a little: the confidence is close, not equal.
                assertEquals(a.get(j).text(), t.get(j).text(), "request " + i + ", line " + j);
                assertEquals(a.get(j).box(), t.get(j).box(), "request " + i + ", line " + j);
                assertEquals(a.get(j).confidence(), t.get(j).confidence(), 0.05, "request " + i + ", line " + j);
            }
            mostLines = Math.max(mostLines, a.size());
            largestAlone = Math.max(largestAlone, recognizerBatch(alone.get(i).trace()));
            largestTogether = Math.max(largestTogether, recognizerBatch(together.get(i).trace()));
        }
        assertTrue(largestAlone <= mostLines, "one at a time, a batch holds one image's lines at most: " + largestAlone);
        assertTrue(largestTogether > mostLines, "concurrent requests' lines shared the recognizer's batches: largest "
                + largestTogether + ", the most lines of one image " + mostLines);
        System.out.println("recognizer: largest batch " + largestAlone + " one at a time, " + largestTogether
                + " with " + REQUESTS + " requests at once (at most " + mostLines + " lines per image)");
    }

    /** The largest recognizer batch the request's lines joined, as its trace recorded it. */
    static int recognizerBatch(Trace trace) {
        List<Trace.Span> spans = trace.spansOf("recognize");
        assertEquals(1, spans.size(), trace.toString());
        return spans.get(0).batchSize();
    }
}
