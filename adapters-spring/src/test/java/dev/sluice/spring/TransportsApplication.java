package dev.sluice.spring;

import dev.sluice.Deployment;
import dev.sluice.Model;
import dev.sluice.batching.BatchPolicy;
import dev.sluice.tensor.DataType;
import dev.sluice.tensor.Tensor;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import org.springframework.beans.factory.config.ConfigurableListableBeanFactory;
import org.springframework.beans.factory.support.BeanDefinitionRegistry;
import org.springframework.beans.factory.support.BeanDefinitionRegistryPostProcessor;
import org.springframework.beans.factory.support.RootBeanDefinition;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.context.annotation.Bean;

/**
 * The application of the cross-transport tests: served over REST and gRPC at once (web and sluice-grpc on the
 * class path, both on free ports), with an echo deployment for every data type and a gated doubler that records
 * which requests each batch held.
 */
@SpringBootConfiguration
@EnableAutoConfiguration
class TransportsApplication {
    static final Gate GATE = new Gate();
    /** The first element of each request's {@code x}, batch by batch, as the mixed doubler ran them. */
    static final List<List<Float>> BATCHES = Collections.synchronizedList(new ArrayList<>());

    /**
     * {@code y = 2x} on FP32 [n, 4], like {@link FakeTensorModels#doubler}, waiting at {@link #GATE} before each batch
     * and recording what each batch held.
     */
    @Bean
    Deployment<Map<String, Tensor>, Map<String, Tensor>> mixed() {
        Model<Map<String, Tensor>, Map<String, Tensor>> model = batch -> {
            GATE.pass();
            List<Float> firsts = new ArrayList<>();
            List<Map<String, Tensor>> out = new ArrayList<>();
            for (Map<String, Tensor> request : batch) {
                float[] x = request.get("x").toFloatArray();
                firsts.add(x[0]);
                for (int i = 0; i < x.length; i++) {
                    x[i] *= 2;
                }
                out.add(Map.of("y", Tensor.ofFloats("y", request.get("x").shape(), x)));
            }
            BATCHES.add(List.copyOf(firsts));
            return out;
        };
        return Deployment.<Map<String, Tensor>, Map<String, Tensor>>builder("mixed", ctx -> model)
                .signature(FakeTensorModels.vectorOf4())
                .resources(r -> r.cpus(0))
                // eager: a batch takes whatever waits, up to maxBatchSize, once the replica is free
                .batching(b -> b.maxBatchSize(8).maxDelay(Duration.ZERO).policy(BatchPolicy::eager))
                .build();
    }

    /** {@code echo-<type>} for every {@link DataType} (so a type added later is covered): its input {@code in} back as {@code out}. */
    @Bean
    static BeanDefinitionRegistryPostProcessor echoes() {
        return new BeanDefinitionRegistryPostProcessor() {
            @Override
            public void postProcessBeanDefinitionRegistry(BeanDefinitionRegistry registry) {
                for (DataType t : DataType.values()) {
                    registry.registerBeanDefinition("echo" + t.name(),
                            new RootBeanDefinition(Deployment.class, () -> FakeTensorModels.echo(t)));
                }
            }

            @Override
            public void postProcessBeanFactory(ConfigurableListableBeanFactory beanFactory) {}
        };
    }
}
