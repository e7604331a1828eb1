package dev.sluice.spring;

import dev.sluice.Deployment;
import dev.sluice.tensor.Tensor;
import java.util.List;
import java.util.Map;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.context.annotation.Bean;

/**
 * One tensor model and one typed model, each held at a gate while a test keeps it closed: for the timeouts of
 * requests that wait (queued behind a held call) and of calls that run too long. Each test's context is its own.
 */
@SpringBootConfiguration
@EnableAutoConfiguration
class StuckModelApplication {
    static final Gate TENSOR_GATE = new Gate();
    static final List<Integer> TENSOR_BATCHES = FakeTensorModels.recorder();
    static final Gate TYPED_GATE = new Gate();
    static final List<String> TYPED_SEEN = java.util.Collections.synchronizedList(new java.util.ArrayList<>());

    @Bean
    Deployment<Map<String, Tensor>, Map<String, Tensor>> stuck() {
        return FakeTensorModels.doubler("stuck", TENSOR_GATE, TENSOR_BATCHES, 64);
    }

    @Bean
    Deployment<String, Integer> stuckTyped() {
        return Deployment.<String, Integer>builder("stuck-typed", ctx -> batch -> {
            TYPED_GATE.pass();
            TYPED_SEEN.addAll(batch);
            return batch.stream().map(String::length).toList();
        }).resources(r -> r.cpus(0)).build();
    }
}
