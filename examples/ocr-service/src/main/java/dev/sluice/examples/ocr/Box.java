package dev.sluice.examples.ocr;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import tools.jackson.databind.annotation.JsonSerialize;

/**
 * Where a line of text is in the request's image: the rectangle {@code x, y, width, height} (in the image's
 * pixels, {@code width} along the line) turned by {@code angle} degrees about its centre, clockwise as the
 * image is seen (its y axis points down). Text that is not turned has angle 0 and the box is axis-aligned.
 * As JSON (Jackson): {@code {"x":..,"y":..,"width":..,"height":..,"angle":0.00,"points":[[x,y],[x,y],[x,y],[x,y]]}}.
 *
 * @param x left edge before turning
 * @param y top edge before turning
 * @param width at least 1
 * @param height at least 1
 * @param angle within 45 degrees either way
 */
@JsonPropertyOrder({"x", "y", "width", "height", "angle", "points"})
public record Box(int x, int y, int width, int height, @JsonSerialize(using = Decimals.Two.class) double angle) {
    public Box {
        if (width < 1 || height < 1) {
            throw new IllegalArgumentException("a box is at least 1 x 1, was " + width + " x " + height);
        }
    }

    /** The vertical middle, used to tell which boxes share a line. */
    double centerY() {
        return y + height / 2.0;
    }

    double centerX() {
        return x + width / 2.0;
    }

    /** The four corners, clockwise from the top left of the text: {x0, y0, x1, y1, x2, y2, x3, y3}, rounded. */
    public int[] points() {
        double rad = Math.toRadians(angle);
        double cos = Math.cos(rad);
        double sin = Math.sin(rad);
        double[][] corners = {{-width / 2.0, -height / 2.0}, {width / 2.0, -height / 2.0}, {width / 2.0, height / 2.0},
            {-width / 2.0, height / 2.0}};
        int[] p = new int[8];
        for (int i = 0; i < 4; i++) {
            p[2 * i] = (int) Math.round(centerX() + corners[i][0] * cos - corners[i][1] * sin);
            p[2 * i + 1] = (int) Math.round(centerY() + corners[i][0] * sin + corners[i][1] * cos);
        }
        return p;
    }

    /** The four corners as {@code [x, y]} pairs, in the order of {@link #points()}: the JSON's {@code points}. */
    @JsonProperty("points")
    int[][] cornerPairs() {
        int[] p = points();
        return new int[][] {{p[0], p[1]}, {p[2], p[3]}, {p[4], p[5]}, {p[6], p[7]}};
    }
}
