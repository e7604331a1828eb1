package dev.sluice.spring;

import dev.sluice.Deployment;
import dev.sluice.pipeline.Pipeline;
import dev.sluice.pipeline.Ref;
import dev.sluice.Model;
import dev.sluice.tensor.DataType;
import dev.sluice.tensor.Tensor;
import dev.sluice.tensor.TensorSignature;
import dev.sluice.tensor.TensorSpec;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.context.annotation.Bean;

/** The application of the README's "Spring Boot starter" section: {@link ReadmeTest} checks the two agree. */
@SpringBootConfiguration
@EnableAutoConfiguration
class ReadmeApplication {
    // README begin
    @Bean
    Deployment<Map<String, Tensor>, Map<String, Tensor>> scaler() {
        TensorSignature signature = new TensorSignature(
                List.of(new TensorSpec("x", DataType.FP32, new long[] {-1, 3})),    // -1: any size
                List.of(new TensorSpec("y", DataType.FP32, new long[] {-1, 3})));
        Model<Map<String, Tensor>, Map<String, Tensor>> times10 = batch -> batch.stream()
                .map(request -> {
                    float[] x = request.get("x").toFloatArray();
                    for (int i = 0; i < x.length; i++) {
                        x[i] *= 10;
                    }
                    return Map.of("y", Tensor.ofFloats("y", request.get("x").shape(), x));
                })
                .toList();
        return Deployment.<Map<String, Tensor>, Map<String, Tensor>>builder("scaler", ctx -> times10)
                .signature(signature)
                .batching(b -> b.maxBatchSize(32).maxDelay(Duration.ofMillis(2)))
                .build();
    }

    record Order(String customer, List<String> items) {}

    @Bean
    Pipeline<Order, String> receipt() {
        Pipeline.Builder<Order> b = Pipeline.builder("receipt");
        Ref<Integer> count = b.step("count").apply(order -> order.items().size(), b.input());
        Ref<String> text = b.step("write").apply((Order o, Integer n) -> o.customer() + ": " + n + " items",
                b.input(), count);
        return b.build(text);
    }
    // README end
}
