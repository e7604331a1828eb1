package dev.sluice.examples.ocr;

import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import javax.imageio.ImageIO;

/**
 * The page the service's self-check reads ({@code --self-check}): {@link #LINES} rendered with Java2D, black on
 * white, as PNG. Public for load tools that send the same page (the benchmarks' {@code OcrOverload}). Stateless.
 */
public final class SelfCheckPage {
    /** The lines on the page, top to bottom. */
    public static final List<String> LINES = List.of("Sluice reads text", "batched across requests", "Order 4827 shipped");

    private SelfCheckPage() {}

    /** The page as PNG bytes (a fresh array each call). */
    public static byte[] png() {
        return png(render(LINES));
    }

    /** Black lines of text on white, one under the other. */
    static BufferedImage render(List<String> lines) {
        BufferedImage image = new BufferedImage(640, 60 + 56 * lines.size(), BufferedImage.TYPE_INT_RGB);
        Graphics2D g = image.createGraphics();
        try {
            g.setColor(Color.WHITE);
            g.fillRect(0, 0, image.getWidth(), image.getHeight());
            g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
            g.setColor(Color.BLACK);
            g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 30));
            for (int i = 0; i < lines.size(); i++) {
                g.drawString(lines.get(i), 40, 60 + 56 * i);
            }
        } finally {
            g.dispose();
        }
        return image;
    }

    static byte[] png(BufferedImage image) {
        try {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            ImageIO.write(image, "png", out);
            return out.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
