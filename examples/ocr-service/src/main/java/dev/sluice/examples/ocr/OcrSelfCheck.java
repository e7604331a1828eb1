package dev.sluice.examples.ocr;

import dev.sluice.pipeline.Result;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.imageio.ImageIO;

/**
 * Renders a small page of text with Java2D, reads it through {@link OcrService} and prints what was read, where,
 * and the request's trace:
 *
 * <pre>{@code
 * mvn -q -B -DskipTests package -pl examples/ocr-service -am
 * java -jar examples/ocr-service/target/ocr-service.jar [model directory]
 * }</pre>
 *
 * The model directory defaults to where the build fetches the models ({@link OcrService#defaultModels()}).
 * Exits with status 1 if a line was not read exactly as rendered.
 */
public final class OcrSelfCheck {
    static final List<String> SAMPLE = List.of("Sluice reads text", "batched across requests", "Order 4827 shipped");

    private OcrSelfCheck() {}

    public static void main(String[] args) throws Exception {
        Path models = args.length > 0 ? Path.of(args[0]) : OcrService.defaultModels();
        byte[] png = png(render(SAMPLE));
        try (OcrService ocr = OcrService.builder(models).build()) {
            ocr.read(png).get(60, TimeUnit.SECONDS); // the first request warms the models up
            Result<OcrResult> r = ocr.read(png, Duration.ofSeconds(30)).get(60, TimeUnit.SECONDS);
            System.out.println("rendered: " + String.join(" | ", SAMPLE));
            System.out.println("read:     " + String.join(" | ", r.value().lines().stream().map(OcrResult.Line::text).toList()));
            System.out.print(r.value().toJsonLines());
            System.out.println(r.trace());
            List<String> read = r.value().lines().stream().map(OcrResult.Line::text).toList();
            if (!read.equals(SAMPLE)) {
                System.out.println("self-check FAILED: expected " + SAMPLE);
                System.exit(1);
            }
            System.out.println("self-check ok");
        }
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
