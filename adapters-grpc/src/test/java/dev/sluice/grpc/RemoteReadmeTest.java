package dev.sluice.grpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.Resources;
import dev.sluice.Sluice;
import dev.sluice.pipeline.Pipeline;
import dev.sluice.pipeline.Ref;
import dev.sluice.tensor.Tensor;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Runs the remote-deployment example of this module's README and keeps the two one text: the code between each
 * {@code // README} and {@code // END} mark below is a Java block of README.md as it is (less its indentation).
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class RemoteReadmeTest {
    private static final Path README = Path.of("README.md");
    private static final Path SOURCE = Path.of("src/test/java/dev/sluice/grpc/RemoteReadmeTest.java");

    @Test
    void theReadmeExampleRuns() throws Exception {
        List<Sluice> runtimes = new ArrayList<>();
        List<SluiceGrpcServer> servers = new ArrayList<>();
        try {
            List<String> workers = new ArrayList<>();
            for (String host : List.of("127.0.0.2", "127.0.0.3", "127.0.0.4")) {
                Sluice sluice = Sluice.builder().resources(Resources.builder().cpus(1).build()).build();
                runtimes.add(sluice);
                sluice.deploy(TestModels.doubler("doubler", new Gate(), TestModels.recorder())).awaitReady(
                        Duration.ofSeconds(10));
                int port = 0;
                // README server
                SluiceGrpcServer server = SluiceGrpcServer.builder(sluice)
                        .address(new InetSocketAddress(host, port))
                        .maxConnectionAge(Duration.ofMinutes(5), Duration.ofSeconds(30)) // clients look again
                        .start();
                // END
                servers.add(server);
                workers.add(host + ":" + server.port());
            }
            assertEquals(4f, twice(workers));
        } finally {
            servers.forEach(SluiceGrpcServer::close);
            runtimes.forEach(Sluice::close);
        }
    }

    // README client
    static float twice(List<String> workers) throws Exception {
        try (RemoteDeployment doubler = RemoteDeployment.builder("doubler")
                .addresses(workers) // or .target("dns:///doubler-workers.ml.svc.cluster.local:8081")
                .timeout(Duration.ofSeconds(2)) // the deadline of submit(input), retries included
                .maxAttempts(3) // a refused or lost call goes to another worker, within the deadline
                .build()) {
            doubler.awaitReady(Duration.ofSeconds(10));
            Map<String, Tensor> x = Map.of("x", Tensor.ofFloats("x", new long[] {1, 4}, 1, 2, 3, 4));
            Map<String, Tensor> y = doubler.submit(x).join(); // y = 2x, from the least loaded worker

            // In a pipeline, as a local deployment: the two independent calls run on two workers at once.
            Pipeline.Builder<Map<String, Tensor>> p = Pipeline.builder("twice");
            Ref<Map<String, Tensor>> in = p.input();
            Ref<Map<String, Tensor>> a = p.step("a").call(doubler, in);
            Ref<Map<String, Tensor>> b = p.step("b").call(doubler, in);
            Pipeline<Map<String, Tensor>, Float> twice = p.build(p.step("sum").apply(
                    (u, v) -> u.get("y").toFloatArray()[0] + v.get("y").toFloatArray()[0], a, b));
            return twice.submit(x, Duration.ofSeconds(2)).join().value(); // 2 + 2
        }
    }
    // END

    @Test
    void theReadmeShowsTheExampleAsItRuns() throws Exception {
        String readme = Files.readString(README);
        Matcher m = Pattern.compile("// README (\\w+)\\n(.*?)\\n\\s*// END", Pattern.DOTALL)
                .matcher(Files.readString(SOURCE));
        int found = 0;
        while (m.find()) {
            found++;
            String block = "```java\n" + dedent(m.group(2)) + "\n```";
            assertTrue(readme.contains(block), "README.md has no Java block reading as the '" + m.group(1)
                    + "' part of " + SOURCE + ":\n" + block);
        }
        assertEquals(2, found);
    }

    private static String dedent(String code) {
        List<String> lines = code.lines().toList();
        int indent = lines.stream().filter(l -> !l.isBlank()).mapToInt(l -> l.length() - l.stripLeading().length())
                .min().orElse(0);
        return String.join("\n", lines.stream().map(l -> l.isBlank() ? "" : l.substring(indent)).toList());
    }
}
