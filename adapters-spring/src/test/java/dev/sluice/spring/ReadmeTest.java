package dev.sluice.spring;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.skyscreamer.jsonassert.JSONAssert;
import org.skyscreamer.jsonassert.JSONCompareMode;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;
import tools.jackson.databind.JsonNode;

/**
 * Keeps the README's "Spring Boot starter" section true: its Java bean is {@link ReadmeApplication}'s, and its
 * application.yml (with the model directory of this machine) and curl commands are run as written, each
 * answer compared with the one the README shows.
 */
class ReadmeTest {
    private static final Pattern BLOCK = Pattern.compile("```(\\w+)\\n(.*?)```", Pattern.DOTALL);
    private static final Pattern CURL = Pattern.compile(
            "curl -s(?: -X (\\w+))? '?localhost:8080([^\\s']+)'?(?: -H '[^']*')?(?: -d (?:'(.*)'|@(\\S+)))?");

    @TempDir
    Path dir;

    @Test
    void theReadmesJavaBeanIsTheTestedOne() throws Exception {
        String source = Files.readString(Path.of("src/test/java/dev/sluice/spring/ReadmeApplication.java"));
        String region = source.substring(source.indexOf("// README begin\n") + "// README begin\n".length(),
                source.indexOf("    // README end"));
        String dedented = region.lines().map(l -> l.startsWith("    ") ? l.substring(4) : l)
                .collect(Collectors.joining("\n")) + "\n";

        assertThat(block("java")).isEqualTo(dedented);
    }

    @Test
    void theReadmesConfigurationServesAndItsCurlCommandsGetTheAnswersShown() throws Exception {
        Path models = Path.of(System.getenv().getOrDefault("SLUICE_MODEL_CACHE",
                System.getProperty("user.home") + "/.cache/sluice/models"), "ocr-models-1.4.2");
        String yaml = block("yaml");
        assertThat(yaml).contains("path: /models/");
        assertThat(yaml.lines().filter(l -> l.startsWith("sluice:"))).hasSize(1);
        Path config = Files.writeString(dir.resolve("application.yml"), yaml.replace("/models/", models + "/"));

        try (ConfigurableApplicationContext app = new SpringApplicationBuilder(ReadmeApplication.class)
                .properties("spring.config.location=file:" + config, "server.port=0").run()) {
            Http http = new Http(Integer.parseInt(app.getEnvironment().getProperty("local.server.port")));
            List<String> lines = block("bash").lines().toList();
            int run = 0;
            for (int i = 0; i < lines.size(); i++) {
                Matcher curl = CURL.matcher(lines.get(i));
                if (!curl.matches()) {
                    continue;
                }
                run++;
                String path = curl.group(2);
                Http.Reply reply;
                if (curl.group(4) != null) { // -d @file: the README's request file is an image line for rec
                    assertThat(curl.group(4)).isEqualTo("line.json");
                    reply = http.post(path, lineOfText());
                    assertThat(reply.status()).as(reply.body()).isEqualTo(200);
                    JsonNode out = reply.json().get("outputs").get(0);
                    assertThat(out.get("name").asString()).isEqualTo("softmax_11.tmp_0");
                    assertThat(out.get("shape").get(0).asInt()).isEqualTo(1);
                    assertThat(out.get("shape").get(2).asInt()).isEqualTo(6625);
                    continue;
                }
                reply = curl.group(3) != null ? http.post(path, curl.group(3)) : http.get(path);
                assertThat(reply.status()).as(lines.get(i) + " -> " + reply.body()).isEqualTo(200);
                String shown = lines.get(i + 1);
                assertThat(shown).startsWith("# ");
                if (shown.contains("...")) { // an answer with timings: the README shows its beginning
                    assertThat(reply.body()).startsWith(shown.substring(2, shown.indexOf("...")));
                } else if (!shown.startsWith("# {")) { // a plain JSON value
                    assertThat(reply.body()).isEqualTo(shown.substring(2));
                } else {
                    JSONAssert.assertEquals(shown.substring(2), reply.body(), JSONCompareMode.STRICT);
                }
            }
            assertThat(run).isEqualTo(7);
        }
    }

    /** An inference request for the recognizer: one 48x320 RGB line, every pixel 0.5. */
    private static String lineOfText() {
        StringBuilder b = new StringBuilder("{\"inputs\":[{\"name\":\"x\",\"shape\":[1,3,48,320],\"datatype\":\"FP32\",\"data\":[");
        for (int i = 0; i < 3 * 48 * 320; i++) {
            b.append(i == 0 ? "" : ",").append("0.5");
        }
        return b.append("]}]}").toString();
    }

    /** The fenced blocks of {@code language} in the README's "Spring Boot starter" section, one after another. */
    private static String block(String language) throws Exception {
        String readme = Files.readString(Path.of("../README.md"));
        int start = readme.indexOf("\n## Spring Boot starter\n");
        assertThat(start).as("README section").isPositive();
        int end = readme.indexOf("\n## ", start + 1);
        Matcher m = BLOCK.matcher(readme.substring(start, end));
        List<String> found = new ArrayList<>();
        while (m.find()) {
            if (m.group(1).equals(language)) {
                found.add(m.group(2));
            }
        }
        assertThat(found).as(language + " blocks").isNotEmpty();
        return String.join("\n", found);
    }
}
