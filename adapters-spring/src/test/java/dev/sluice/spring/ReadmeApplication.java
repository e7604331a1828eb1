package dev.sluice.spring;

import dev.sluice.Deployment;
import dev.sluice.batching.InvalidInputException;
import dev.sluice.pipeline.Pipeline;
import dev.sluice.pipeline.Ref;
import dev.sluice.Model;
import dev.sluice.tensor.DataType;
import dev.sluice.tensor.Tensor;
import dev.sluice.tensor.TensorSignature;
import dev.sluice.spring.http.HttpErrors;
import dev.sluice.spring.http.TraceFlag;
import dev.sluice.tensor.TensorSpec;
import jakarta.servlet.http.HttpServletRequest;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Import;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RestController;

/** The application of the README's "Spring Boot starter" section: {@link ReadmeTest} checks the two agree. */
@SpringBootConfiguration
@EnableAutoConfiguration
@Import(ReadmeApplication.Receipts.class) // an application's component scan finds it; this test class has none
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

    @RestController
    record Receipts(Pipeline<Order, String> receipt) {
        @PostMapping("/receipts")
        CompletableFuture<ResponseEntity<?>> write(@RequestBody Order order, HttpServletRequest request) {
            boolean withTrace;
            try {
                withTrace = TraceFlag.isRequested(request.getQueryString());   // the starter's rule for ?trace
            } catch (InvalidInputException e) {
                return CompletableFuture.completedFuture(HttpErrors.response("the receipt", e));   // 400
            }
            return receipt.submit(order, Duration.ofSeconds(1)).handle((r, failure) -> failure != null
                    ? HttpErrors.response("the receipt pipeline", failure)   // as the starter's endpoints answer
                    : ResponseEntity.ok(withTrace ? r.value() + "\n" + r.trace() : r.value()));
        }
    }
    // README end
}
