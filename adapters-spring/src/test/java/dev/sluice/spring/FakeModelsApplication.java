package dev.sluice.spring;

import dev.sluice.Deployment;
import dev.sluice.DeploymentHandle;
import dev.sluice.Model;
import dev.sluice.ModelFactory;
import dev.sluice.batching.InvalidInputException;
import dev.sluice.pipeline.Pipeline;
import dev.sluice.pipeline.Ref;
import dev.sluice.tensor.DataType;
import dev.sluice.tensor.Tensor;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.context.annotation.Bean;

/**
 * The application most HTTP tests share (one context for all of them): tensor deployments declared as beans,
 * each test using its own deployment so tests do not disturb each other.
 */
@SpringBootConfiguration
@EnableAutoConfiguration
class FakeModelsApplication {
    static final List<Integer> BATCHES = FakeTensorModels.recorder();
    static final Gate BATCHED_GATE = new Gate();
    static final Gate SMALL_QUEUE_GATE = new Gate();
    static final Gate SLOW_GATE = new Gate();
    static final Gate HELD_GATE = new Gate();
    static final Gate DELAYED_GATE = new Gate();

    @Bean
    Deployment<Map<String, Tensor>, Map<String, Tensor>> doubler() {
        return FakeTensorModels.doubler("doubler", new Gate(), FakeTensorModels.recorder(), 4096);
    }

    @Bean
    Deployment<Map<String, Tensor>, Map<String, Tensor>> batched() {
        return FakeTensorModels.doubler("batched", BATCHED_GATE, BATCHES, 4096);
    }

    @Bean
    Deployment<Map<String, Tensor>, Map<String, Tensor>> smallQueue() {
        return FakeTensorModels.doubler("small-queue", SMALL_QUEUE_GATE, FakeTensorModels.recorder(), 1);
    }

    /** A doubler whose calls take at least 5 ms, and whose queue refuses a request it would keep over 20 ms. */
    @Bean
    Deployment<Map<String, Tensor>, Map<String, Tensor>> delayed() {
        Deployment<Map<String, Tensor>, Map<String, Tensor>> d =
                FakeTensorModels.doubler("delayed", DELAYED_GATE, FakeTensorModels.recorder(), 4096);
        ModelFactory<Map<String, Tensor>, Map<String, Tensor>> factory = ctx -> {
            Model<Map<String, Tensor>, Map<String, Tensor>> doubler = d.factory().create(ctx);
            return batch -> {
                Thread.sleep(5); // the model's work: what the batcher measures a call at
                return doubler.predict(batch);
            };
        };
        return d.toBuilder(factory).batching(b -> b.maxQueueDelay(Duration.ofMillis(20))).build();
    }

    @Bean
    Deployment<Map<String, Tensor>, Map<String, Tensor>> slow() {
        return FakeTensorModels.doubler("slow", SLOW_GATE, FakeTensorModels.recorder(), 4096);
    }

    @Bean
    Deployment<Map<String, Tensor>, Map<String, Tensor>> held() {
        return FakeTensorModels.doubler("held", HELD_GATE, FakeTensorModels.recorder(), 4096);
    }

    @Bean
    Deployment<Map<String, Tensor>, Map<String, Tensor>> specExample() {
        return FakeTensorModels.specExample();
    }

    @Bean
    Deployment<String, Integer> notATensorModel() {
        return Deployment.<String, Integer>builder("strings", ctx -> batch -> batch.stream().map(String::length).toList())
                .resources(r -> r.cpus(0)).build();
    }

    @Bean
    Deployment<Map<String, Tensor>, Map<String, Tensor>> echoBool() {
        return FakeTensorModels.echo(DataType.BOOL);
    }

    @Bean
    Deployment<Map<String, Tensor>, Map<String, Tensor>> echoUint8() {
        return FakeTensorModels.echo(DataType.UINT8);
    }

    @Bean
    Deployment<Map<String, Tensor>, Map<String, Tensor>> echoInt8() {
        return FakeTensorModels.echo(DataType.INT8);
    }

    @Bean
    Deployment<Map<String, Tensor>, Map<String, Tensor>> echoInt16() {
        return FakeTensorModels.echo(DataType.INT16);
    }

    @Bean
    Deployment<Map<String, Tensor>, Map<String, Tensor>> echoUint16() {
        return FakeTensorModels.echo(DataType.UINT16);
    }

    @Bean
    Deployment<Map<String, Tensor>, Map<String, Tensor>> echoUint32() {
        return FakeTensorModels.echo(DataType.UINT32);
    }

    @Bean
    Deployment<Map<String, Tensor>, Map<String, Tensor>> echoInt32() {
        return FakeTensorModels.echo(DataType.INT32);
    }

    @Bean
    Deployment<Map<String, Tensor>, Map<String, Tensor>> echoInt64() {
        return FakeTensorModels.echo(DataType.INT64);
    }

    @Bean
    Deployment<Map<String, Tensor>, Map<String, Tensor>> echoUint64() {
        return FakeTensorModels.echo(DataType.UINT64);
    }

    @Bean
    Deployment<Map<String, Tensor>, Map<String, Tensor>> echoFp16() {
        return FakeTensorModels.echo(DataType.FP16);
    }

    @Bean
    Deployment<Map<String, Tensor>, Map<String, Tensor>> echoFp32() {
        return FakeTensorModels.echo(DataType.FP32);
    }

    @Bean
    Deployment<Map<String, Tensor>, Map<String, Tensor>> echoFp64() {
        return FakeTensorModels.echo(DataType.FP64);
    }

    @Bean
    Deployment<Map<String, Tensor>, Map<String, Tensor>> echoBytes() {
        return FakeTensorModels.echo(DataType.BYTES);
    }

    /** An order: what {@code POST /sluice/receipts} takes, mapped by Jackson. */
    record Order(String customer, List<String> items) {}

    /** What the receipts pipeline answers. */
    record Receipt(String customer, List<Integer> lengths, int letters) {}

    /** A typed pipeline: plain Java, then one call per item to the object-typed "strings" deployment. */
    @Bean
    Pipeline<Order, Receipt> receipts(SluiceDeployments deployed) {
        @SuppressWarnings("unchecked")
        DeploymentHandle<String, Integer> strings = (DeploymentHandle<String, Integer>) deployed.handle("strings")
                .orElseThrow();
        Pipeline.Builder<Order> b = Pipeline.builder("receipts");
        Ref<List<String>> items = b.step("items").apply(order -> {
            if (order.items() == null || order.items().isEmpty()) {
                throw new InvalidInputException("an order needs at least one item");
            }
            return order.items();
        }, b.input());
        Ref<List<Integer>> lengths = b.step("measure").each(strings, items);
        Ref<Receipt> receipt = b.step("total").apply((Order o, List<Integer> l) -> {
            if (o.customer().equals("crash")) {
                throw new IllegalStateException("the till is broken");
            }
            return new Receipt(o.customer(), l, l.stream().mapToInt(Integer::intValue).sum());
        }, b.input(), lengths);
        return b.build(receipt);
    }
}
