package dev.sluice.spring;

import dev.sluice.Deployment;
import dev.sluice.Model;
import dev.sluice.batching.BatchPolicy;
import dev.sluice.spring.grpc.SluiceGrpcLifecycle;
import dev.sluice.tensor.Tensor;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.context.event.ApplicationReadyEvent;
import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.context.ApplicationListener;
import org.springframework.context.annotation.Bean;

/**
 * The child process of {@link SigtermTest}: an application with the starter serving REST and gRPC, each on
 * 127.0.0.1 and a free port, which it prints as {@code HTTP <n>} and {@code GRPC <n>} once ready. Its deployments
 * double FP32 [n, 4]: {@code parked} parks each batch for {@code sigterm.park} (an ISO-8601 duration),
 * {@code stuck} until it is interrupted (its requests outlive any grace period), {@code fast} not at all. Each
 * batch of a parked or stuck model is announced as {@code BATCH <model> <size>} before it parks. Settings come as
 * arguments ({@code --sluice.shutdown-delay=2s}...).
 */
@SpringBootConfiguration
@EnableAutoConfiguration
public class SigtermApplication {

    public static void main(String[] args) {
        SpringApplication.run(SigtermApplication.class, args);
    }

    @Bean
    Deployment<Map<String, Tensor>, Map<String, Tensor>> parked() {
        return doubler("parked", Duration.parse(System.getProperty("sigterm.park", "PT0.8S")));
    }

    @Bean
    Deployment<Map<String, Tensor>, Map<String, Tensor>> stuck() {
        return doubler("stuck", Duration.ofDays(1));
    }

    @Bean
    Deployment<Map<String, Tensor>, Map<String, Tensor>> fast() {
        return doubler("fast", Duration.ZERO);
    }

    @Bean
    ApplicationListener<ApplicationReadyEvent> printPorts() {
        return ready -> {
            WebServerApplicationContext web = (WebServerApplicationContext) ready.getApplicationContext();
            System.out.println("HTTP " + web.getWebServer().getPort());
            System.out.println("GRPC " + ready.getApplicationContext().getBean(SluiceGrpcLifecycle.class).address()
                    .getPort());
        };
    }

    private static Deployment<Map<String, Tensor>, Map<String, Tensor>> doubler(String name, Duration park) {
        Model<Map<String, Tensor>, Map<String, Tensor>> model = batch -> {
            if (!park.isZero()) {
                System.out.println("BATCH " + name + " " + batch.size());
                Thread.sleep(park.toMillis());
            }
            List<Map<String, Tensor>> out = new ArrayList<>();
            for (Map<String, Tensor> request : batch) {
                float[] x = request.get("x").toFloatArray();
                for (int i = 0; i < x.length; i++) {
                    x[i] *= 2;
                }
                out.add(Map.of("y", Tensor.ofFloats("y", request.get("x").shape(), x)));
            }
            return out;
        };
        return Deployment.<Map<String, Tensor>, Map<String, Tensor>>builder(name, ctx -> model)
                .signature(FakeTensorModels.vectorOf4())
                .resources(r -> r.cpus(0))
                .batching(b -> b.maxBatchSize(8).maxDelay(Duration.ZERO).queueCapacity(256).unboundedQueueDelay()
                        .policy(BatchPolicy::eager))
                .build();
    }
}
