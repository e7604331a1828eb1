package dev.sluice.examples.readme;

import dev.sluice.Deployment;
import dev.sluice.DeploymentHandle;
import dev.sluice.Resources;
import dev.sluice.Sluice;
import dev.sluice.pipeline.Pipeline;
import dev.sluice.pipeline.Ref;
import dev.sluice.pipeline.Result;
import dev.sluice.pipeline.RetryPolicy;
import dev.sluice.pipeline.Task;
import dev.sluice.testing.FakeModel;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

public class ReceiptPipeline {
    public static void main(String[] args) throws Exception {
        try (Sluice sluice = Sluice.builder().resources(Resources.builder().cpus(2).build()).build()) {
            // Two models (fakes that cost like accelerators: 3 ms + 0.2 ms per input), one replica each.
            DeploymentHandle<String, List<String>> reader = sluice.deploy(Deployment.<String, List<String>>builder(
                    "reader", ctx -> FakeModel.<String, List<String>>builder(s -> Arrays.asList(s.split(" ")))
                            .cost(Duration.ofMillis(3), Duration.ofNanos(200_000)).build()).build());
            DeploymentHandle<String, String> classifier = sluice.deploy(Deployment.<String, String>builder(
                    "classifier", ctx -> FakeModel.<String, String>builder(ReceiptPipeline::category)
                            .cost(Duration.ofMillis(3), Duration.ofNanos(200_000)).build()).build());

            Pipeline.Builder<String> b = Pipeline.builder("receipt");
            Ref<List<String>> codes  = b.step("read").call(reader, b.input());                 // model 1
            Ref<List<String>> names  = b.step("lookup").retry(RetryPolicy.attempts(3))          // plain Java that may block
                    .run(Task.blocking(ReceiptPipeline::lookup), codes);
            Ref<List<String>> labels = b.step("classify").each(classifier, names);              // model 2, one call per name
            Ref<String> summary      = b.step("summarize").apply(ReceiptPipeline::summarize, names, labels);
            Pipeline<String, String> receipts = b.build(summary);

            Result<String> r = receipts.submit("A1 B7 C3", Duration.ofSeconds(2)).get();
            System.out.println(r.value());   // oat milk (food), espresso beans (food), dish soap (household)
            System.out.println(r.trace());   // or r.trace().toJson()
        }
    }

    static final Map<String, String> CATALOG = Map.of("A1", "oat milk", "B7", "espresso beans", "C3", "dish soap");

    /** Stands for a database query. */
    static List<String> lookup(List<String> codes) {
        return codes.stream().map(CATALOG::get).toList();
    }

    static String category(String name) {
        return name.contains("milk") || name.contains("beans") ? "food" : "household";
    }

    static String summarize(List<String> names, List<String> labels) {
        StringBuilder s = new StringBuilder();
        for (int i = 0; i < names.size(); i++) {
            s.append(i == 0 ? "" : ", ").append(names.get(i)).append(" (").append(labels.get(i)).append(')');
        }
        return s.toString();
    }
}
