package dev.sluice.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

class ReplicaCountPlotTest {

    @Test
    void aWellFormedSvgWithOneVertexPerSample() throws Exception {
        List<ReplicaCountPlot.Point> points = new ArrayList<>();
        for (int i = 0; i <= 450; i++) {
            double t = -10 + i * 0.1;
            int running = t < 2 ? 1 : t < 20 ? 4 : 2;
            points.add(new ReplicaCountPlot.Point(t, running, Math.min(4, running + 1)));
        }
        String svg = ReplicaCountPlot.svg("Replicas & <load> step", "sub", "seconds", points,
                List.of(new ReplicaCountPlot.Marker(0, "load 10% \u2192 80%"), new ReplicaCountPlot.Marker(20, "back")), 4);
        Document doc = SvgDocs.parse(svg);
        assertEquals("svg", doc.getDocumentElement().getLocalName());

        Element running = SvgDocs.polyline(doc, "running");
        Element target = SvgDocs.polyline(doc, "target");
        assertEquals(points.size(), running.getAttribute("points").trim().split("\\s+").length);
        assertEquals(points.size(), target.getAttribute("points").trim().split("\\s+").length);
        assertEquals(2, byClass(doc, "line", "marker"));
        assertTrue(svg.contains("Replicas &amp; &lt;load&gt; step"));
    }

    @Test
    void verticesLieInsideThePlotAndHigherCountsAreHigherUp() throws Exception {
        List<ReplicaCountPlot.Point> points = List.of(new ReplicaCountPlot.Point(0, 1, 1),
                new ReplicaCountPlot.Point(1, 4, 4), new ReplicaCountPlot.Point(2, 0, 0));
        Document doc = SvgDocs.parse(ReplicaCountPlot.svg("t", "u", "s", points, List.of(), 4));
        String[] xy = SvgDocs.polyline(doc, "running").getAttribute("points").trim().split("\\s+");
        double[] y = new double[xy.length];
        for (int i = 0; i < xy.length; i++) {
            String[] p = xy[i].split(",");
            double x = Double.parseDouble(p[0]);
            y[i] = Double.parseDouble(p[1]);
            assertTrue(x >= 0 && x <= ReplicaCountPlot.WIDTH, "x " + x);
            assertTrue(y[i] >= 0 && y[i] <= ReplicaCountPlot.HEIGHT, "y " + y[i]);
        }
        assertTrue(y[1] < y[0] && y[0] < y[2], "SVG y grows downwards: 4 above 1 above 0");
    }

    private static int byClass(Document doc, String tag, String cls) {
        NodeList all = doc.getElementsByTagNameNS("*", tag);
        int n = 0;
        for (int i = 0; i < all.getLength(); i++) {
            if (cls.equals(((Element) all.item(i)).getAttribute("class"))) {
                n++;
            }
        }
        return n;
    }
}
