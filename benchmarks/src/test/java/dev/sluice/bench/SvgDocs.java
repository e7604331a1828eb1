package dev.sluice.bench;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import javax.xml.parsers.DocumentBuilderFactory;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

/** Reads the plots' SVG back as XML, for the plot tests. */
final class SvgDocs {
    private SvgDocs() {}

    /** Parses the SVG, failing the test if it is not well-formed XML. */
    static Document parse(String svg) throws Exception {
        DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
        f.setNamespaceAware(true);
        return f.newDocumentBuilder().parse(new ByteArrayInputStream(svg.getBytes(StandardCharsets.UTF_8)));
    }

    static Element polyline(Document doc, String id) {
        NodeList all = doc.getElementsByTagNameNS("*", "polyline");
        for (int i = 0; i < all.getLength(); i++) {
            Element e = (Element) all.item(i);
            if (id.equals(e.getAttribute("id"))) {
                return e;
            }
        }
        throw new AssertionError("no polyline with id " + id);
    }
}
