package dev.sluice.examples.demo;

import dev.sluice.Deployment;
import dev.sluice.DeploymentHandle;
import dev.sluice.Resources;
import dev.sluice.Sluice;
import dev.sluice.batching.InvalidInputException;
import dev.sluice.pipeline.Pipeline;
import dev.sluice.pipeline.PipelineStepException;
import dev.sluice.pipeline.Ref;
import dev.sluice.pipeline.Result;
import dev.sluice.pipeline.RetryPolicy;
import dev.sluice.pipeline.Task;
import dev.sluice.testing.FakeModel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A two-model pipeline with a plain-Java lookup between them (the README's pipeline example): a "reader"
 * model turns a receipt into product codes, a lookup turns codes into product names, and a "classifier"
 * model labels each name (a fan-out, batched with other receipts' names). Both models are fakes that cost
 * like accelerators. Prints results and traces.
 */
public final class PipelineDemo {
    static final Map<String, String> CATALOG = Map.of(
            "A1", "oat milk", "B7", "espresso beans", "C3", "dish soap", "D9", "rye bread", "E2", "toothpaste");

    public static void main(String[] args) throws Exception {
        run();
    }

    static void run() throws Exception {
        System.out.println("Sluice pipeline demo: reader model -> catalog lookup (plain Java, retried) -> classifier "
                + "model, one call per product, batched across receipts\n");
        Catalog catalog = new Catalog();
        try (Sluice sluice = Sluice.builder().resources(Resources.builder().cpus(4).build()).build()) {
            // Two models (fakes here): a batch of n costs 3 ms + 0.2 ms x n.
            DeploymentHandle<String, List<String>> reader = sluice.deploy(Deployment.<String, List<String>>builder(
                    "reader", ctx -> FakeModel.<String, List<String>>builder(s -> Arrays.asList(s.split(" ")))
                            .cost(Duration.ofMillis(3), Duration.ofNanos(200_000)).build()).build());
            DeploymentHandle<String, String> classifier = sluice.deploy(Deployment.<String, String>builder(
                    "classifier", ctx -> FakeModel.<String, String>builder(PipelineDemo::category)
                            .cost(Duration.ofMillis(3), Duration.ofNanos(200_000)).build())
                    .batching(b -> b.maxBatchSize(32).maxDelay(Duration.ofMillis(2))).build());
            reader.awaitReady(Duration.ofSeconds(10));
            classifier.awaitReady(Duration.ofSeconds(10));

            Pipeline.Builder<String> b = Pipeline.builder("receipt");
            Ref<List<String>> codes = b.step("read").call(reader, b.input());
            // The catalog lookup is plain Java that may block (a database, say); its first call times out once.
            Ref<List<String>> names = b.step("lookup").retry(RetryPolicy.attempts(3))
                    .run(Task.blocking(catalog::lookup), codes);
            Ref<List<String>> labels = b.step("classify").each(classifier, names);
            Ref<String> summary = b.step("summarize").apply(PipelineDemo::summarize, names, labels);
            Pipeline<String, String> receipts = b.build(summary);

            List<CompletableFuture<Result<String>>> running = new ArrayList<>();
            for (String receipt : List.of("A1 B7 C3", "D9 E2 A1", "B7 B7 D9 C3")) {
                running.add(receipts.submit(receipt, Duration.ofSeconds(1)));
            }
            for (CompletableFuture<Result<String>> f : running) {
                Result<String> r = f.get();
                System.out.println(r.value());
                System.out.println(indent(r.trace().toString()) + "\n");
            }
            try {
                receipts.submit("A1 ZZ", Duration.ofSeconds(1)).get();
            } catch (ExecutionException e) {
                PipelineStepException failed = (PipelineStepException) e.getCause();
                System.out.println("An unknown code fails its step, named with the cause, and the trace says where:");
                System.out.println("   " + failed.getMessage());
                System.out.println(indent(failed.trace().toString()));
            }
        }
    }

    /** Stands for a database of products; its first call times out. */
    static final class Catalog {
        private final AtomicBoolean flakeOnce = new AtomicBoolean(true);

        List<String> lookup(List<String> codes) {
            if (flakeOnce.getAndSet(false)) {
                throw new IllegalStateException("catalog service timed out");
            }
            List<String> names = new ArrayList<>(codes.size());
            for (String code : codes) {
                String name = CATALOG.get(code);
                if (name == null) { // bad input: not worth a retry (RetryPolicy skips InvalidInputException)
                    throw new InvalidInputException("no product with code '" + code + "'");
                }
                names.add(name);
            }
            return names;
        }
    }

    static String category(String name) {
        return name.contains("milk") || name.contains("bread") || name.contains("beans") ? "food" : "household";
    }

    static String summarize(List<String> names, List<String> labels) {
        StringBuilder s = new StringBuilder();
        for (int i = 0; i < names.size(); i++) {
            s.append(i == 0 ? "" : ", ").append(names.get(i)).append(" (").append(labels.get(i)).append(')');
        }
        return s.toString();
    }

    private static String indent(String text) {
        return "   " + text.replace("\n", "\n   ");
    }

    private PipelineDemo() {}
}
