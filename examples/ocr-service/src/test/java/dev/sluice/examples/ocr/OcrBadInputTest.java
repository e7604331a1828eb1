package dev.sluice.examples.ocr;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.batching.InvalidInputException;
import dev.sluice.pipeline.PipelineStepException;
import dev.sluice.pipeline.Result;
import dev.sluice.pipeline.Trace;
import java.awt.Font;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.zip.CRC32;
import java.util.zip.Deflater;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Bodies that are not readable images: each refused with a clear error, and the service keeps serving. */
class OcrBadInputTest {
    private static OcrService ocr;
    private static TextPages.Page good;

    @BeforeAll
    static void start() {
        ocr = OcrService.builder(OcrService.defaultModels()).build();
        good = TextPages.render(List.of("Still serving 42"), new Font(TextPages.availableFonts().get(0), Font.PLAIN, 28), 0,
                new Random(1), 0);
    }

    @AfterAll
    static void stop() {
        ocr.close();
    }

    /** After every bad body, a good one is read as before. */
    @AfterEach
    void theServiceKeepsServing() throws Exception {
        OcrResult r = ocr.read(good.png()).get(60, TimeUnit.SECONDS).value();
        assertEquals(List.of("Still serving 42"), r.lines().stream().map(OcrResult.Line::text).toList());
    }

    static InvalidInputException refused(byte[] body) {
        ExecutionException e = assertThrows(ExecutionException.class, () -> ocr.read(body).get(60, TimeUnit.SECONDS));
        InvalidInputException invalid = assertInstanceOf(InvalidInputException.class, e.getCause());
        PipelineStepException step = assertInstanceOf(PipelineStepException.class, invalid.getSuppressed()[0]);
        assertEquals("decode", step.step(), "refused before the detector saw it");
        assertEquals(Trace.Outcome.NOT_RUN, step.trace().spansOf("detect").get(0).outcome());
        return invalid;
    }

    @Test
    void anEmptyBodyIsRefused() {
        assertTrue(refused(new byte[0]).getMessage().contains("empty"), "says it was empty");
    }

    @Test
    void aBodyThatIsNotAnImageIsRefused() {
        String message = refused("{\"image\": \"not really\"}".getBytes(StandardCharsets.UTF_8)).getMessage();
        assertTrue(message.contains("is not an image"), message);
    }

    @Test
    void aPngHeaderDeclaring20000By20000PixelsIsRefusedBeforeDecoding() throws IOException {
        String message = refused(pngBomb(20_000, 20_000)).getMessage();
        assertTrue(message.contains("20000 x 20000"), message);
        assertTrue(message.contains("at most"), message);
    }

    @Test
    void aPngHeaderDeclaring30000By30000PixelsIsRefusedBeforeDecoding() throws IOException {
        String message = refused(pngBomb(30_000, 30_000)).getMessage();
        assertTrue(message.contains("30000 x 30000"), message);
        assertTrue(message.contains("at most 8192 pixels a side"), message);
    }

    @Test
    void aPngDeclaring0By0PixelsIsRefusedSayingItHasNone() throws IOException {
        String message = refused(pngBomb(0, 0)).getMessage();
        assertTrue(message.contains("declares no pixels (0 x 0)"), message);
    }

    @Test
    void aTruncatedImageIsRefused() {
        byte[] png = good.png();
        String message = refused(Arrays.copyOf(png, png.length / 2)).getMessage();
        assertTrue(message.contains("cannot be decoded"), message);
    }

    @Test
    void anImageWithoutTextReadsAsNoLines() throws Exception {
        TextPages.Page blank = TextPages.render(List.of(), new Font(Font.SANS_SERIF, Font.PLAIN, 20), 0, new Random(2), 12);
        Result<OcrResult> r = ocr.read(blank.png()).get(60, TimeUnit.SECONDS);
        assertEquals(List.of(), r.value().lines());
        assertEquals("", r.value().toJsonLines());
        assertEquals(0, r.trace().spansOf("recognize").get(0).elements(), "the recognizer was not called");
    }

    @Test
    void aNullBodyIsRefused() {
        ExecutionException e = assertThrows(ExecutionException.class, () -> ocr.read(null).get(60, TimeUnit.SECONDS));
        assertInstanceOf(InvalidInputException.class, e.getCause());
    }

    /**
     * A PNG that declares {@code width} x {@code height} grey pixels whose data compresses to almost nothing:
     * a few kilobytes that a decoder would turn into gigabytes.
     */
    static byte[] pngBomb(int width, int height) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'});
        ByteArrayOutputStream ihdr = new ByteArrayOutputStream();
        DataOutputStream h = new DataOutputStream(ihdr);
        h.writeInt(width);
        h.writeInt(height);
        h.writeByte(8);  // bit depth
        h.writeByte(0);  // greyscale
        h.writeByte(0);  // deflate
        h.writeByte(0);  // adaptive filtering
        h.writeByte(0);  // no interlace
        chunk(out, "IHDR", ihdr.toByteArray());
        Deflater deflater = new Deflater(Deflater.BEST_COMPRESSION);
        byte[] rows = new byte[(width + 1) * 64]; // the first 64 rows; enough to look like the start of a real image
        deflater.setInput(rows);
        deflater.finish();
        byte[] buffer = new byte[rows.length];
        int n = deflater.deflate(buffer);
        deflater.end();
        chunk(out, "IDAT", Arrays.copyOf(buffer, n));
        chunk(out, "IEND", new byte[0]);
        return out.toByteArray();
    }

    private static void chunk(ByteArrayOutputStream out, String type, byte[] data) throws IOException {
        DataOutputStream d = new DataOutputStream(out);
        d.writeInt(data.length);
        byte[] t = type.getBytes(StandardCharsets.US_ASCII);
        d.write(t);
        d.write(data);
        CRC32 crc = new CRC32();
        crc.update(t);
        crc.update(data);
        d.writeInt((int) crc.getValue());
    }
}
