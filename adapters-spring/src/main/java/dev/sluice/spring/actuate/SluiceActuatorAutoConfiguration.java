package dev.sluice.spring.actuate;

import dev.sluice.Sluice;
import dev.sluice.spring.SluiceAutoConfiguration;
import dev.sluice.spring.SluicePipelines;
import io.micrometer.core.instrument.binder.MeterBinder;
import org.springframework.beans.BeansException;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.actuate.autoconfigure.endpoint.condition.ConditionalOnAvailableEndpoint;
import org.springframework.boot.actuate.endpoint.annotation.Endpoint;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.health.autoconfigure.contributor.ConditionalOnEnabledHealthIndicator;
import org.springframework.boot.health.contributor.HealthContributor;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * The runtime in Actuator and Micrometer, each part only where its library is present and each overridable:
 * {@link SluiceMetrics} and {@link SluicePipelineMetrics} (Micrometer), {@link SluiceHealthContributor} ({@code sluice} in the health endpoint;
 * {@code management.health.sluice.enabled=false} turns it off), and the read-only {@link SluiceEndpoint}
 * ({@code /actuator/sluice} once exposed with {@code management.endpoints.web.exposure.include}).
 */
@AutoConfiguration(after = SluiceAutoConfiguration.class)
@ConditionalOnClass(Sluice.class)
public class SluiceActuatorAutoConfiguration {

    @Configuration(proxyBeanMethods = false)
    @ConditionalOnClass(MeterBinder.class)
    static class Metrics {
        /** A runtime observer (so the {@code Sluice} bean reports to it) and a meter binder. */
        @Bean
        @ConditionalOnMissingBean
        SluiceMetrics sluiceMetrics(ObjectProvider<Sluice> sluice) {
            return new SluiceMetrics(() -> {
                try {
                    return sluice.getIfAvailable();
                } catch (BeansException e) {
                    return null; // not made yet (bound while the runtime is being built): no gauges to read yet
                }
            });
        }
        /** The pipelines' admission (in flight, capacity, latency bound, refusals). */
        @Bean
        @ConditionalOnMissingBean
        @ConditionalOnBean(SluicePipelines.class)
        SluicePipelineMetrics sluicePipelineMetrics(SluicePipelines pipelines) {
            return new SluicePipelineMetrics(pipelines);
        }
    }

    @Configuration(proxyBeanMethods = false)
    @ConditionalOnClass(HealthContributor.class)
    @ConditionalOnEnabledHealthIndicator("sluice")
    static class Health {
        @Bean
        @ConditionalOnMissingBean(name = "sluiceHealthContributor")
        @ConditionalOnBean(Sluice.class)
        SluiceHealthContributor sluiceHealthContributor(Sluice sluice) {
            return new SluiceHealthContributor(sluice);
        }
    }

    @Configuration(proxyBeanMethods = false)
    @ConditionalOnClass(Endpoint.class)
    @ConditionalOnAvailableEndpoint(SluiceEndpoint.class)
    static class Status {
        @Bean
        @ConditionalOnMissingBean
        @ConditionalOnBean(Sluice.class)
        SluiceEndpoint sluiceEndpoint(Sluice sluice) {
            return new SluiceEndpoint(sluice);
        }
    }
}
