package dev.sluice.examples.readme;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.Test;

/**
 * Keeps the README's Java snippets and this module's sources one text: every fenced Java block of the README,
 * except the Spring Boot starter section's (the starter's {@code ReadmeTest} keeps those), is one of the
 * files below as it is, less its {@code package} line. Edit either and this fails until the other agrees.
 */
class ReadmeSnippetsTest {
    /** The files the README shows, in the order it shows them. */
    static final List<String> SNIPPETS = List.of("BatcherQuickstart", "ServingQuickstart", "OnnxRecognizer",
            "ReceiptPipeline", "FakeModelExample", "ManualTimeExample");

    private static final Pattern JAVA_BLOCK = Pattern.compile("```java\\n(.*?)```", Pattern.DOTALL);
    private static final Path README = Path.of("../../README.md");
    private static final Path SOURCES = Path.of("src/main/java/dev/sluice/examples/readme");

    @Test
    void theReadmeHasOneJavaBlockPerSnippetOutsideTheStarterSection() throws Exception {
        assertEquals(SNIPPETS.size(), javaBlocks().size(),
                "Java blocks in README.md outside '## Spring Boot starter': add each new one to " + SOURCES
                        + " and to SNIPPETS");
    }

    @ParameterizedTest
    @MethodSource("snippets")
    void theReadmeShowsTheSnippetAsItIsCompiled(String snippet) throws Exception {
        List<String> blocks = javaBlocks();
        int index = SNIPPETS.indexOf(snippet);
        assertTrue(index < blocks.size(), "README.md has no Java block for " + snippet);
        assertEquals(shown(snippet), blocks.get(index),
                "README.md's Java block " + (index + 1) + " and " + SOURCES.resolve(snippet + ".java")
                        + " differ: change both together");
    }

    static List<String> snippets() {
        return SNIPPETS;
    }

    /** The snippet's source less its package line and the blank lines after it: what a reader copies. */
    static String shown(String snippet) throws Exception {
        String source = Files.readString(SOURCES.resolve(snippet + ".java"));
        String firstLine = "package dev.sluice.examples.readme;\n";
        assertTrue(source.startsWith(firstLine), snippet + ".java starts with its package line");
        return source.substring(firstLine.length()).stripLeading();
    }

    /** The README's fenced Java blocks, in order, leaving out the Spring Boot starter section's. */
    static List<String> javaBlocks() throws Exception {
        String readme = Files.readString(README);
        int starter = readme.indexOf("\n## Spring Boot starter\n");
        assertTrue(starter > 0, "README.md has its '## Spring Boot starter' section");
        int afterStarter = readme.indexOf("\n## ", starter + 1);
        String outside = readme.substring(0, starter) + readme.substring(afterStarter < 0 ? readme.length() : afterStarter);
        List<String> blocks = new ArrayList<>();
        Matcher m = JAVA_BLOCK.matcher(outside);
        while (m.find()) {
            blocks.add(m.group(1));
        }
        return blocks;
    }
}
