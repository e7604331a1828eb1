package dev.sluice.bench;

import dev.sluice.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.Supplier;

/**
 * Text-line images for the PaddleOCR recognizer, {@code [1, 3, 48, W]} FP32 with every value drawn uniformly
 * from [-1, 1] (the range PaddleOCR normalizes pixels to; the recognizer's cost does not depend on the
 * values). A fixed set of images per width is made once and reused, so that thousands of queued requests
 * share a few megabytes; {@link #sequence} says which image each request sends. Immutable after construction.
 */
final class RecognizerImages {
    static final int HEIGHT = 48;

    private final int[] widths;
    private final List<List<Tensor>> byWidth = new ArrayList<>();

    /**
     * @param input the model's input name (the tensors' name)
     * @param widths the image widths, at least one, each positive
     * @param perWidth images made for each width, at least one
     * @param seed seed of the pixel values
     */
    RecognizerImages(String input, int[] widths, int perWidth, long seed) {
        if (widths.length == 0) {
            throw new IllegalArgumentException("widths must not be empty");
        }
        if (perWidth < 1) {
            throw new IllegalArgumentException("images per width must be at least 1, was " + perWidth);
        }
        this.widths = widths.clone();
        Random rnd = new Random(seed);
        for (int w : this.widths) {
            if (w < 1) {
                throw new IllegalArgumentException("widths must be positive, was " + w);
            }
            List<Tensor> images = new ArrayList<>(perWidth);
            for (int i = 0; i < perWidth; i++) {
                float[] px = new float[3 * HEIGHT * w];
                for (int k = 0; k < px.length; k++) {
                    px[k] = rnd.nextFloat() * 2 - 1;
                }
                images.add(Tensor.ofFloats(input, new long[] {1, 3, HEIGHT, w}, px));
            }
            byWidth.add(List.copyOf(images));
        }
    }

    int[] widths() {
        return widths.clone();
    }

    /** Image {@code i} of width {@code widths()[widthIndex]}. */
    Tensor image(int widthIndex, int i) {
        return byWidth.get(widthIndex).get(i);
    }

    /**
     * The images in the order requests send them: each call picks a width uniformly, then one of its images
     * uniformly. The same seed gives the same sequence, so both sides of a comparison send the same images.
     * The supplier is not thread-safe: one sender owns it.
     */
    Supplier<Tensor> sequence(long seed) {
        Random rnd = new Random(seed);
        return () -> {
            List<Tensor> images = byWidth.get(rnd.nextInt(byWidth.size()));
            return images.get(rnd.nextInt(images.size()));
        };
    }
}
