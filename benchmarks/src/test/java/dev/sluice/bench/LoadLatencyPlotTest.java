package dev.sluice.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;
import org.w3c.dom.Element;

class LoadLatencyPlotTest {
    private static final double[] LOADS = {0.5, 0.8, 1.2, 2.0};

    private static List<LoadLatencyPlot.Series> series() {
        return List.of(
                new LoadLatencyPlot.Series("Sluice (batch \u2264 16)", "#1f5fbf", LOADS,
                        new double[] {25, 700, 1500, 4300}, new double[] {99, 1100, 2300, 6700}),
                new LoadLatencyPlot.Series("ORT direct <1 image> & co", "#d07020", LOADS,
                        new double[] {17, 22, 580, 1900}, new double[] {44, 54, 0, 3000}));
    }

    @Test
    void aWellFormedSvgWithAP50AndAP99LinePerSide() throws Exception {
        String svg = LoadLatencyPlot.svg("Recognizer & <co>", "sub", "load", series());
        Document doc = SvgDocs.parse(svg);
        assertEquals("svg", doc.getDocumentElement().getLocalName());
        assertEquals(4, count(doc, "polyline"));
        assertEquals(4, vertices(SvgDocs.polyline(doc, "sluice-batch-16-p99")).length);
        assertEquals(4, vertices(SvgDocs.polyline(doc, "sluice-batch-16-p50")).length);
        // The direct side's p99 at 1.2 was not measured (0): left out of its line, not drawn at the bottom.
        assertEquals(3, vertices(SvgDocs.polyline(doc, "ort-direct-1-image-co-p99")).length);
        assertEquals(4 + 3, count(doc, "circle"), "a dot per measured p99");
        assertTrue(svg.contains("Recognizer &amp; &lt;co&gt;"));
        assertTrue(svg.contains("ORT direct &lt;1 image&gt; &amp; co: p99"));
    }

    @Test
    void pointsLieInsideThePlotAndHigherLatencyAndLoadGoUpAndRight() throws Exception {
        Document doc = SvgDocs.parse(LoadLatencyPlot.svg("t", "s", "load", series()));
        double[][] xy = vertices(SvgDocs.polyline(doc, "sluice-batch-16-p99"));
        for (int i = 0; i < xy.length; i++) {
            assertTrue(xy[i][0] >= 0 && xy[i][0] <= LoadLatencyPlot.WIDTH, "x " + xy[i][0]);
            assertTrue(xy[i][1] >= 0 && xy[i][1] <= LoadLatencyPlot.HEIGHT, "y " + xy[i][1]);
            if (i > 0) {
                assertTrue(xy[i][0] > xy[i - 1][0], "loads increase to the right");
                assertTrue(xy[i][1] < xy[i - 1][1], "larger latencies are higher up (SVG y grows downwards)");
            }
        }
    }

    @Test
    void nothingMeasuredAnywhereIsRefused() {
        List<LoadLatencyPlot.Series> none = List.of(new LoadLatencyPlot.Series("a", "#000000", new double[] {1},
                new double[] {-1}, new double[] {0}));
        assertThrows(IllegalArgumentException.class, () -> LoadLatencyPlot.svg("t", "s", "x", none));
        assertThrows(IllegalArgumentException.class, () -> new LoadLatencyPlot.Series("a", "#000000",
                new double[] {1, 2}, new double[] {1}, new double[] {1, 2}));
    }

    @Test
    void idsAreMadeOfLettersDigitsAndDashes() {
        assertEquals("sluice-batch-16", LoadLatencyPlot.id("Sluice (batch \u2264 16)"));
        assertEquals("s-2-threads", LoadLatencyPlot.id("2 threads"));
    }

    private static int count(Document doc, String tag) {
        return doc.getElementsByTagNameNS("*", tag).getLength();
    }

    private static double[][] vertices(Element polyline) {
        String[] pts = polyline.getAttribute("points").trim().split("\\s+");
        double[][] xy = new double[pts.length][];
        for (int i = 0; i < pts.length; i++) {
            String[] p = pts[i].split(",");
            xy[i] = new double[] {Double.parseDouble(p[0]), Double.parseDouble(p[1])};
        }
        return xy;
    }
}
