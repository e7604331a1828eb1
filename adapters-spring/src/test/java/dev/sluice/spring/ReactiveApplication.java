package dev.sluice.spring;

import dev.sluice.Deployment;
import dev.sluice.tensor.Tensor;
import java.util.List;
import java.util.Map;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.context.annotation.Bean;

/** A WebFlux application (the tests set {@code spring.main.web-application-type=reactive}) with its own models. */
@SpringBootConfiguration
@EnableAutoConfiguration
class ReactiveApplication {
    static final List<Integer> BATCHES = FakeTensorModels.recorder();
    static final Gate GATE = new Gate();

    @Bean
    Deployment<Map<String, Tensor>, Map<String, Tensor>> reactiveDoubler() {
        return FakeTensorModels.doubler("doubler", GATE, BATCHES, 4096);
    }

    @Bean
    Deployment<String, Integer> lengths() {
        return Deployment.<String, Integer>builder("lengths", ctx -> batch -> batch.stream().map(String::length).toList())
                .resources(r -> r.cpus(0)).build();
    }
}
