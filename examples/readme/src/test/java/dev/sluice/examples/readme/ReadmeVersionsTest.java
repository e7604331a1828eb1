package dev.sluice.examples.readme;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** Keeps the versions the README's Maven snippets name equal to those the build uses. */
class ReadmeVersionsTest {
    @Test
    void everySpringBootVersionInTheReadmeIsTheOneTheStarterIsBuiltWith() throws Exception {
        String boot = property("adapters-spring/pom.xml", "spring-boot.version");

        List<String> shown = versionsOf("org.springframework.boot", "[\\w-]+");

        assertEquals(List.of(boot, boot), shown, "the parent and the BOM in the README's starter section");
    }

    @Test
    void theReadmesSlf4jProviderHasTheVersionTheBuildUses() throws Exception {
        assertEquals(List.of(property("pom.xml", "slf4j.version")), versionsOf("org.slf4j", "slf4j-simple"));
    }

    @Test
    void everySluiceDependencyInTheReadmeHasTheProjectsVersion() throws Exception {
        String pom = Files.readString(Path.of("../../pom.xml"));
        Matcher own = Pattern.compile("<artifactId>sluice-parent</artifactId>\\s*<version>([^<]+)</version>").matcher(pom);
        assertTrue(own.find(), "the parent pom's version");

        List<String> shown = versionsOf("dev.sluice", "[\\w-]+");

        assertFalse(shown.isEmpty());
        shown.forEach(v -> assertEquals(own.group(1), v));
    }

    /** The versions the README gives the artifacts of {@code group} whose id matches {@code artifact}. */
    private static List<String> versionsOf(String group, String artifact) throws Exception {
        String readme = Files.readString(Path.of("../../README.md"));
        Matcher m = Pattern.compile("<groupId>" + Pattern.quote(group) + "</groupId>\\s*<artifactId>" + artifact
                + "</artifactId>\\s*<version>([^<]+)</version>").matcher(readme);
        List<String> versions = new ArrayList<>();
        while (m.find()) {
            versions.add(m.group(1));
        }
        return versions;
    }

    private static String property(String pom, String name) throws Exception {
        Matcher m = Pattern.compile("<" + Pattern.quote(name) + ">([^<]+)</").matcher(
                Files.readString(Path.of("../..", pom)));
        assertTrue(m.find(), name + " in " + pom);
        return m.group(1);
    }
}
