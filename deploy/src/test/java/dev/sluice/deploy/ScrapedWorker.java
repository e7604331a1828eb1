package dev.sluice.deploy;

import dev.sluice.Deployment;
import dev.sluice.DeploymentHandle;
import dev.sluice.Sluice;
import dev.sluice.pipeline.Pipeline;
import dev.sluice.spring.SluiceDeployments;
import dev.sluice.testing.FakeModel;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

/**
 * A worker for {@link PrometheusScalingTest}, run as a process of its own: a Spring Boot application with the Sluice
 * starter serving one deployment ({@code worker.deployment}) of a fake model that parks every call until released, and
 * {@code /actuator/prometheus}; with {@code worker.pipeline}, also a pipeline of that name whose one step calls the
 * deployment (an entry's pipeline, as the starter's metrics see it). {@code POST /load?n=} admits n requests to the
 * deployment, {@code POST /load-pipeline?n=} n to the pipeline; they stay in flight until {@code POST /release} lets
 * them all finish. Prints {@code worker listening on <port>} once it serves.
 */
@SpringBootApplication
public class ScrapedWorker {

    public static void main(String[] args) {
        ConfigurableApplicationContext context = SpringApplication.run(ScrapedWorker.class, args);
        System.out.println("worker listening on " + context.getEnvironment().getProperty("local.server.port"));
    }

    @Bean
    FakeModel<String, String> model() {
        return FakeModel.<String, String>builder(s -> s).hangOn(s -> true).build();
    }

    @Bean
    Deployment<String, String> deployment(@Value("${worker.deployment}") String name, FakeModel<String, String> model) {
        return Deployment.<String, String>builder(name, ctx -> model).batching(b -> b.maxBatchSize(8)).build();
    }

    @Bean
    @ConditionalOnProperty("worker.pipeline")
    Pipeline<String, String> pipeline(@Value("${worker.pipeline}") String name, @Value("${worker.deployment}") String model,
            SluiceDeployments deployments) {
        @SuppressWarnings("unchecked")
        DeploymentHandle<String, String> handle = (DeploymentHandle<String, String>) deployments.handle(model).orElseThrow();
        Pipeline.Builder<String> p = Pipeline.<String>builder(name).unboundedLatency();
        return p.build(p.step("model").call(handle, p.input()));
    }

    /** The load: requests admitted here stay in flight (queued, or in a parked batch) until released. */
    @RestController
    static class Load {
        private final Sluice sluice;
        private final FakeModel<String, String> model;
        private final String name;
        private final List<CompletableFuture<?>> admitted = new ArrayList<>();

        private final Optional<Pipeline<String, String>> pipeline;

        Load(Sluice sluice, FakeModel<String, String> model, @Value("${worker.deployment}") String name,
                Optional<Pipeline<String, String>> pipeline) {
            this.sluice = sluice;
            this.model = model;
            this.name = name;
            this.pipeline = pipeline;
        }

        @PostMapping("/load-pipeline")
        synchronized String loadPipeline(@RequestParam("n") int n) {
            for (int i = 0; i < n; i++) {
                admitted.add(pipeline.orElseThrow().submit("page " + i));
            }
            return "admitted " + n + "\n";
        }

        @PostMapping("/load")
        synchronized String load(@RequestParam("n") int n) {
            @SuppressWarnings("unchecked")
            DeploymentHandle<String, String> handle = (DeploymentHandle<String, String>) sluice.deployment(name).orElseThrow();
            for (int i = 0; i < n; i++) {
                admitted.add(handle.submit("request " + i));
            }
            return "admitted " + n + "\n";
        }

        @PostMapping("/release")
        synchronized String release() {
            model.releaseHangs();
            CompletableFuture.allOf(admitted.toArray(CompletableFuture[]::new)).join();
            int n = admitted.size();
            admitted.clear();
            model.hangAgain();
            return "answered " + n + "\n";
        }
    }
}
