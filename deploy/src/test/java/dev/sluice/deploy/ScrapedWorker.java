package dev.sluice.deploy;

import dev.sluice.Deployment;
import dev.sluice.DeploymentHandle;
import dev.sluice.Sluice;
import dev.sluice.testing.FakeModel;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

/**
 * A worker for {@link PrometheusScalingTest}, run as a process of its own: a Spring Boot application with the Sluice
 * starter serving one deployment ({@code worker.deployment}) of a fake model that parks every call until released, and
 * {@code /actuator/prometheus}. {@code POST /load?n=} admits n requests, which stay in flight; {@code POST /release}
 * lets them all finish. Prints {@code worker listening on <port>} once it serves.
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

    /** The load: requests admitted here stay in flight (queued, or in a parked batch) until released. */
    @RestController
    static class Load {
        private final Sluice sluice;
        private final FakeModel<String, String> model;
        private final String name;
        private final List<CompletableFuture<?>> admitted = new ArrayList<>();

        Load(Sluice sluice, FakeModel<String, String> model, @Value("${worker.deployment}") String name) {
            this.sluice = sluice;
            this.model = model;
            this.name = name;
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
