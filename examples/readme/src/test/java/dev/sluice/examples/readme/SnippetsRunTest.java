package dev.sluice.examples.readme;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.DeploymentHandle;
import dev.sluice.GpuDevice;
import dev.sluice.Resources;
import dev.sluice.Sluice;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Runs the README's snippets as a reader would (fake models on CPU; the ONNX one on the fetched recognizer). */
class SnippetsRunTest {
    @Test
    void theBatcherQuickstartPrintsTheScoreOfItsInput() throws Exception {
        List<String> printed = printedBy(() -> BatcherQuickstart.main(new String[0]));

        assertEquals("score 4.0", printed.get(0));
    }

    @Test
    void theServingQuickstartServesOnThisMachinesCpus() throws Exception {
        List<String> printed = printedBy(() -> ServingQuickstart.main(new String[0]));

        assertEquals("[2.0, 4.0, 6.0]", printed.get(0));
    }

    @Test
    void theServingQuickstartsGpuVariantServesOnAQuarterOfAGpu() throws Exception {
        Resources oneGpu = Resources.builder().cpus(2).gpu(new GpuDevice(0, "GPU-test-0", "Simulated GPU", 16L << 30))
                .build();
        try (Sluice sluice = Sluice.builder().resources(oneGpu).build()) {
            DeploymentHandle<float[], float[]> rec = sluice.deploy(ServingQuickstart.onAQuarterOfAGpu());
            rec.awaitReady(Duration.ofSeconds(30));

            assertArrayEquals(new float[] {2, 4, 6}, rec.submit(new float[] {1, 2, 3}).get());
        }
    }

    @Test
    void theServingQuickstartsGpuVariantIsRefusedWhereThereIsNoGpu() {
        try (Sluice sluice = Sluice.builder().resources(Resources.builder().cpus(2).build()).build()) {
            assertThrows(IllegalArgumentException.class, () -> sluice.deploy(ServingQuickstart.onAQuarterOfAGpu()));
        }
    }

    @Test
    void theOnnxSnippetRunsTheRecognizerOnALineOfText() throws Exception {
        Path recognizer = Path.of(System.getenv().getOrDefault("SLUICE_MODEL_CACHE",
                System.getProperty("user.home") + "/.cache/sluice/models"), "ocr-models-1.4.2",
                "ch_PP-OCRv4_rec_infer.onnx");
        assertTrue(Files.isRegularFile(recognizer), recognizer + " (fetched by scripts/fetch-models.sh)");

        List<String> printed = printedBy(() -> OnnxRecognizer.main(new String[] {recognizer.toString()}));

        assertEquals("[1, 40, 6625]", printed.get(0));
    }

    @Test
    void thePipelineSnippetSummarizesAReceiptAndPrintsItsTrace() throws Exception {
        List<String> printed = printedBy(() -> ReceiptPipeline.main(new String[0]));

        assertEquals("oat milk (food), espresso beans (food), dish soap (household)", printed.get(0));
        assertTrue(printed.get(1).startsWith("receipt "), printed.get(1));
    }

    @Test
    void theFakeModelSnippetPrintsTheAnswerAndTheBatchSizesItSaw() throws Exception {
        List<String> printed = printedBy(() -> FakeModelExample.main(new String[0]));

        assertEquals(List.of("5", "[1]"), printed);
    }

    @Test
    void theManualTimeSnippetRunsABatchAndScalesToZeroOnlyWhenTimeIsMoved() throws Exception {
        List<String> printed = printedBy(() -> ManualTimeExample.main(new String[0]));

        assertEquals(List.of("false", "5", "2", "SCALED_TO_ZERO"), printed);
    }

    interface Snippet {
        void run() throws Exception;
    }

    /** The lines a snippet printed to {@code System.out}. */
    private static List<String> printedBy(Snippet snippet) throws Exception {
        PrintStream out = System.out;
        ByteArrayOutputStream printed = new ByteArrayOutputStream();
        System.setOut(new PrintStream(printed, true, StandardCharsets.UTF_8));
        try {
            snippet.run();
        } finally {
            System.setOut(out);
        }
        String text = printed.toString(StandardCharsets.UTF_8);
        out.print(text);
        return text.lines().toList();
    }
}
