package dev.sluice.examples.ocr;

/**
 * Where a line of text is in the request's image: an axis-aligned rectangle in the image's pixels.
 *
 * @param x left edge
 * @param y top edge
 * @param width at least 1
 * @param height at least 1
 */
public record Box(int x, int y, int width, int height) {
    public Box {
        if (width < 1 || height < 1) {
            throw new IllegalArgumentException("a box is at least 1 x 1, was " + width + " x " + height);
        }
    }

    /** The vertical middle, used to tell which boxes share a line. */
    double centerY() {
        return y + height / 2.0;
    }
}
