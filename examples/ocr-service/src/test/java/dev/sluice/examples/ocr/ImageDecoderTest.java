package dev.sluice.examples.ocr;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.batching.InvalidInputException;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.Arrays;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;

/** What the decoder refuses, and how it says so, without the models: sizes are judged from the header alone. */
class ImageDecoderTest {
    private final ImageDecoder decoder = new ImageDecoder(40_000_000L, 8192);

    private String refusal(byte[] body) {
        return assertThrows(InvalidInputException.class, () -> decoder.decode(body)).getMessage();
    }

    @Test
    void aPngWithAZeroSideIsRefusedNamingItsSize() throws IOException {
        assertEquals("the PNG image declares no pixels (0 x 0)", refusal(OcrBadInputTest.pngBomb(0, 0)));
        assertEquals("the PNG image declares no pixels (0 x 12)", refusal(OcrBadInputTest.pngBomb(0, 12)));
        assertEquals("the PNG image declares no pixels (12 x 0)", refusal(OcrBadInputTest.pngBomb(12, 0)));
    }

    @Test
    void aGifBmpOrJpegOfNoPixelsIsRefusedNamingTheProblem() throws IOException {
        byte[] gif = encode(new BufferedImage(5, 5, BufferedImage.TYPE_INT_RGB), "gif");
        Arrays.fill(gif, 6, 10, (byte) 0); // the logical screen: 0 x 0
        for (int i = 10; i < gif.length - 9; i++) {
            if (gif[i] == 0x2c) { // the image descriptor: 0 x 0 too
                Arrays.fill(gif, i + 5, i + 9, (byte) 0);
                break;
            }
        }
        assertEquals("the GIF image declares no pixels (0 x 0)", refusal(gif));

        byte[] bmp = encode(new BufferedImage(5, 5, BufferedImage.TYPE_INT_RGB), "bmp");
        Arrays.fill(bmp, 18, 26, (byte) 0); // BITMAPINFOHEADER's width and height
        String bmpRefusal = refusal(bmp);
        assertTrue(bmpRefusal.contains("Width (0) and height (0) must be > 0"), bmpRefusal);

        byte[] jpeg = encode(new BufferedImage(5, 5, BufferedImage.TYPE_INT_RGB), "jpeg");
        for (int i = 2; i < jpeg.length - 8; i++) {
            if ((jpeg[i] & 0xff) == 0xff && (jpeg[i + 1] & 0xff) == 0xc0) { // start of frame: height and width
                Arrays.fill(jpeg, i + 5, i + 9, (byte) 0);
                break;
            }
        }
        String jpegRefusal = refusal(jpeg);
        assertTrue(jpegRefusal.contains("Empty JPEG image"), jpegRefusal);
    }

    @Test
    void aPngHeaderOverTheLimitsIsRefusedNamingItsSizeAndTheLimits() throws IOException {
        assertEquals("the PNG image is 30000 x 30000 pixels; this service reads at most 8192 pixels a side and 40000000 "
                + "pixels in all", refusal(OcrBadInputTest.pngBomb(30_000, 30_000)));
        assertTrue(refusal(OcrBadInputTest.pngBomb(8000, 8000)).contains("8000 x 8000"), "64 M pixels, each side allowed");
    }

    @Test
    void aPngWidthOverTwoToThe31IsReadUnsigned() throws IOException {
        assertTrue(refusal(OcrBadInputTest.pngBomb(-1, 10)).contains("4294967295 x 10"), "not -1");
    }

    @Test
    void aTruncatedPngSaysWhatTheReaderFound() throws IOException {
        byte[] png = png(SelfCheckPage.render(SelfCheckPage.LINES));
        int half = png.length / 2;
        String message = refusal(Arrays.copyOf(png, half));
        assertTrue(message.startsWith("the image (" + half + " bytes) cannot be decoded: "), message);
        String header = refusal(Arrays.copyOf(png, 20));
        assertTrue(header.contains("cannot be decoded"), header);
    }

    @Test
    void aSmallImageInEachFormatIsDecodedAsRgb() throws IOException {
        for (String format : new String[] {"png", "jpeg", "gif", "bmp"}) {
            BufferedImage image = decoder.decode(encode(new BufferedImage(31, 17, BufferedImage.TYPE_INT_RGB), format));
            assertEquals(31, image.getWidth(), format);
            assertEquals(17, image.getHeight(), format);
            assertEquals(BufferedImage.TYPE_INT_RGB, image.getType(), format);
        }
    }

    private static byte[] png(BufferedImage image) throws IOException {
        return encode(image, "png");
    }

    private static byte[] encode(BufferedImage image, String format) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        assertTrue(ImageIO.write(image, format, out), format);
        return out.toByteArray();
    }
}
