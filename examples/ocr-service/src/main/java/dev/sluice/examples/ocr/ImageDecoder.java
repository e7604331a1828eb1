package dev.sluice.examples.ocr;

import dev.sluice.batching.InvalidInputException;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.Iterator;
import java.util.Locale;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;

/**
 * Turns a request body into an RGB image, refusing what it should not decode: an empty body, bytes no
 * image reader recognizes, and images whose header declares more pixels than allowed (a 20000 x 20000
 * PNG of a few kilobytes would otherwise take 1.6 GB to decode), or none at all (a 0 x 0 PNG). The size is read
 * from the header before any pixel is decoded: a PNG's from its IHDR chunk here, because ImageIO refuses a width or
 * height of 0 only with "I/O error reading PNG header!"; other formats' from their ImageIO reader. Thread-safe
 * (stateless).
 */
public final class ImageDecoder {
    private final long maxPixels;
    private final int maxSide;

    /** Decodes images of at most {@code maxSide} pixels a side and {@code maxPixels} pixels in all. */
    public ImageDecoder(long maxPixels, int maxSide) {
        this.maxPixels = maxPixels;
        this.maxSide = maxSide;
    }

    /**
     * @return the image as {@link BufferedImage#TYPE_INT_RGB}, transparent parts on white
     * @throws InvalidInputException saying what was wrong with the body
     */
    public BufferedImage decode(byte[] body) {
        if (body == null || body.length == 0) {
            throw new InvalidInputException("the image is empty (0 bytes)");
        }
        if (isPngWithHeader(body)) {
            checkSize("PNG", unsignedInt(body, 16), unsignedInt(body, 20));
        }
        try (ImageInputStream in = ImageIO.createImageInputStream(new ByteArrayInputStream(body))) {
            Iterator<ImageReader> readers = ImageIO.getImageReaders(in);
            if (!readers.hasNext()) {
                throw new InvalidInputException("the body (" + body.length + " bytes, starting " + head(body)
                        + ") is not an image in a format this service reads (PNG, JPEG, GIF, BMP)");
            }
            ImageReader reader = readers.next();
            try {
                reader.setInput(in, true, true);
                String format = reader.getFormatName().toUpperCase(Locale.ROOT);
                checkSize(format, reader.getWidth(0), reader.getHeight(0));
                BufferedImage decoded = reader.read(0);
                return toRgb(decoded);
            } finally {
                reader.dispose();
            }
        } catch (IOException | RuntimeException e) {
            if (e instanceof InvalidInputException invalid) {
                throw invalid;
            }
            throw new InvalidInputException("the image (" + body.length + " bytes) cannot be decoded: " + reasons(e), e);
        }
    }

    private void checkSize(String format, long width, long height) {
        if (width < 1 || height < 1) {
            throw new InvalidInputException("the " + format + " image declares no pixels (" + width + " x " + height + ")");
        }
        if (width > maxSide || height > maxSide || width * height > maxPixels) {
            throw new InvalidInputException("the " + format + " image is " + width + " x " + height
                    + " pixels; this service reads at most " + maxSide + " pixels a side and " + maxPixels
                    + " pixels in all");
        }
    }

    private static final byte[] PNG_SIGNATURE = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};

    /** The PNG signature followed by the IHDR chunk's length, type and the width and height that open it. */
    private static boolean isPngWithHeader(byte[] body) {
        if (body.length < 24) {
            return false;
        }
        for (int i = 0; i < PNG_SIGNATURE.length; i++) {
            if (body[i] != PNG_SIGNATURE[i]) {
                return false;
            }
        }
        return body[12] == 'I' && body[13] == 'H' && body[14] == 'D' && body[15] == 'R';
    }

    private static long unsignedInt(byte[] b, int at) {
        return ((b[at] & 0xffL) << 24) | ((b[at + 1] & 0xffL) << 16) | ((b[at + 2] & 0xffL) << 8) | (b[at + 3] & 0xffL);
    }

    /** An exception's message and its causes', which say more than ImageIO's outer "I/O error reading ..." does. */
    private static String reasons(Throwable e) {
        StringBuilder b = new StringBuilder(e.toString());
        Throwable c = e.getCause();
        for (int depth = 0; c != null && depth < 4; depth++, c = c.getCause()) {
            b.append(" (caused by ").append(c).append(')');
        }
        return b.toString();
    }

    private static BufferedImage toRgb(BufferedImage image) {
        if (image.getType() == BufferedImage.TYPE_INT_RGB) {
            return image;
        }
        BufferedImage rgb = new BufferedImage(image.getWidth(), image.getHeight(), BufferedImage.TYPE_INT_RGB);
        Graphics2D g = rgb.createGraphics();
        try {
            g.setColor(Color.WHITE);
            g.fillRect(0, 0, rgb.getWidth(), rgb.getHeight());
            g.drawImage(image, 0, 0, null);
        } finally {
            g.dispose();
        }
        return rgb;
    }

    private static String head(byte[] body) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < Math.min(8, body.length); i++) {
            b.append(String.format(Locale.ROOT, "%02x", body[i] & 0xff));
        }
        return "0x" + b;
    }
}
