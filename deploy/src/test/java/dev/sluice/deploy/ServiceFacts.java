package dev.sluice.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * What the manifests may name, read from the project rather than listed by hand: the configuration properties the OCR
 * service reads (Spring Boot's and the starter's configuration metadata on the class path, and the names the service's
 * own sources read), its exposed Actuator endpoints, and the Prometheus series the starter's meters become.
 */
final class ServiceFacts {
    static final Path OCR_SERVICE = Path.of("../examples/ocr-service/src/main");
    static final Path STARTER_METRICS = Path.of("../adapters-spring/src/main/java/dev/sluice/spring/actuate");

    private ServiceFacts() {
    }

    /** Every property named in configuration metadata on the test class path (Boot, its modules, the starter). */
    static Set<String> metadataProperties() {
        Set<String> names = new TreeSet<>();
        try {
            for (URL url : Collections.list(ServiceFacts.class.getClassLoader()
                    .getResources("META-INF/spring-configuration-metadata.json"))) {
                try (InputStream in = url.openStream()) {
                    JsonNode json = JsonMapper.builder().build().readTree(in);
                    json.path("properties").forEach(p -> names.add(p.path("name").asText()));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return names;
    }

    /** The text of the OCR service's main sources and resources. */
    static String ocrServiceSources() {
        StringBuilder all = new StringBuilder();
        try (Stream<Path> files = Files.walk(OCR_SERVICE)) {
            for (Path f : files.filter(Files::isRegularFile)
                    .filter(f -> f.toString().endsWith(".java") || f.toString().endsWith(".yml")
                            || f.toString().endsWith(".properties")).sorted().toList()) {
                all.append(Files.readString(f)).append('\n');
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return all.toString();
    }

    /**
     * Whether the OCR service reads {@code property}: it is in configuration metadata on the class path, or the
     * service's sources name it in a placeholder ({@code ${name}}, {@code ${name:default}}) or as a string.
     */
    static boolean serviceReads(String property, Set<String> metadata, String sources) {
        return metadata.contains(property) || sources.contains("${" + property + "}")
                || sources.contains("${" + property + ":") || sources.contains("\"" + property + "\"");
    }

    /** The kinds of meter the starter registers, as Micrometer's Prometheus registry names their series. */
    private static final Pattern METER = Pattern.compile("(\\w*)(?:\\.builder)?\\(\\s*(?:registry,\\s*)?\"(sluice(?:\\.[a-z]+)+)\"");

    /** The Prometheus series the starter's meters export (dots to underscores, units and suffixes added). */
    static Set<String> exportedSeries() {
        Set<String> series = new TreeSet<>();
        try (Stream<Path> files = Files.walk(STARTER_METRICS)) {
            for (Path f : files.filter(f -> f.toString().endsWith(".java")).toList()) {
                Matcher m = METER.matcher(Files.readString(f));
                while (m.find()) {
                    String name = m.group(2).replace('.', '_');
                    switch (m.group(1)) {
                        case "Timer", "FunctionTimer", "LongTaskTimer" -> {
                            for (String s : List.of("_count", "_sum", "_max", "_bucket")) {
                                series.add(name + "_seconds" + s);
                            }
                        }
                        case "DistributionSummary" -> {
                            for (String s : List.of("_count", "_sum", "_max", "_bucket")) {
                                series.add(name + s);
                            }
                        }
                        case "Counter", "FunctionCounter" -> series.add(name + "_total");
                        default -> series.add(name); // Gauge.builder, TimeGauge, the starter's own gauge helpers
                    }
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return series;
    }

    /** The metric names a PromQL expression selects: identifiers directly before a '{' selector. */
    static Set<String> seriesIn(String promql) {
        Set<String> names = new TreeSet<>();
        Matcher m = Pattern.compile("([a-zA-Z_:][a-zA-Z0-9_:]*)\\s*\\{").matcher(promql);
        while (m.find()) {
            names.add(m.group(1));
        }
        return names;
    }
}
