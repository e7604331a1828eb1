package dev.sluice.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
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
 * own sources read) and the Prometheus series the starter exports, as the README documents them.
 */
final class ServiceFacts {
    static final Path OCR_SERVICE = Path.of("../examples/ocr-service/src/main");
    static final Path README = Path.of("../README.md");

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

    /** The text of each of the OCR service's main sources and resources. */
    static List<String> ocrServiceSources() {
        List<String> all = new ArrayList<>();
        try (Stream<Path> files = Files.walk(OCR_SERVICE)) {
            for (Path f : files.filter(Files::isRegularFile)
                    .filter(f -> f.toString().endsWith(".java") || f.toString().endsWith(".yml")
                            || f.toString().endsWith(".properties")).sorted().toList()) {
                all.add(Files.readString(f));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return all;
    }

    /**
     * Whether the OCR service reads {@code property}: it is in configuration metadata on the class path, or a source
     * of the service names it in a placeholder ({@code ${name}}, {@code ${name:default}}) or as a string, or binds a
     * map at its parent (a string naming the parent, in a file that binds with {@code Bindable.mapOf}).
     */
    static boolean serviceReads(String property, Set<String> metadata, List<String> sources) {
        if (metadata.contains(property)) {
            return true;
        }
        for (String source : sources) {
            if (source.contains("${" + property + "}") || source.contains("${" + property + ":")
                    || source.contains("\"" + property + "\"")) {
                return true;
            }
            int key = property.lastIndexOf('.');
            if (key > 0 && source.contains("Bindable.mapOf") && source.contains("\"" + property.substring(0, key) + "\"")) {
                return true; // a map bound at the property's parent: the last segment is its key
            }
        }
        return false;
    }

    /**
     * The Prometheus series the starter exports, as the project's README documents them (the paragraph on
     * {@code /actuator/prometheus}, which the starter's PrometheusScrapeHttpTest holds to the real scrape):
     * {@code `name`}, {@code `name_*`} (a histogram's or summary's bucket, count and sum) and {@code `_count`} after
     * a full name (that name's family).
     */
    static Set<String> exportedSeries() {
        String readme;
        try {
            readme = Files.readString(README);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        int start = readme.indexOf("`/actuator/prometheus` serves them");
        if (start < 0) {
            throw new IllegalStateException(README + " no longer documents the series /actuator/prometheus serves");
        }
        int end = readme.indexOf("\n\n", start);
        Set<String> series = new TreeSet<>();
        String family = null;
        Matcher m = Pattern.compile("`([a-z_*]+)`").matcher(readme.substring(start, end < 0 ? readme.length() : end));
        while (m.find()) {
            String name = m.group(1);
            if (name.startsWith("sluice_") && name.endsWith("_*")) {
                String base = name.substring(0, name.length() - 2);
                series.addAll(List.of(base + "_bucket", base + "_count", base + "_sum"));
            } else if (name.startsWith("sluice_")) {
                series.add(name);
                family = name.substring(0, name.lastIndexOf('_'));
            } else if (name.startsWith("_") && family != null) {
                series.add(family + name);
            }
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
