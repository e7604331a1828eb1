package dev.sluice.spring.webflux;

import dev.sluice.spring.SluiceAutoConfiguration;
import dev.sluice.spring.oip.OpenInferenceProtocol;
import dev.sluice.spring.typed.TypedEndpoints;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication;
import org.springframework.context.annotation.Bean;
import org.springframework.web.reactive.DispatcherHandler;

/**
 * Mounts the Open Inference Protocol endpoints ({@code /v2/...}) and the typed endpoints ({@code /sluice/{name}})
 * in a reactive web application with Spring WebFlux, unless {@code sluice.http.enabled=false} or the
 * application declares its own controllers.
 */
@AutoConfiguration(after = SluiceAutoConfiguration.class)
@ConditionalOnWebApplication(type = ConditionalOnWebApplication.Type.REACTIVE)
@ConditionalOnClass(DispatcherHandler.class)
@ConditionalOnBooleanProperty(name = "sluice.http.enabled", matchIfMissing = true)
public class SluiceWebFluxAutoConfiguration {

    @Bean
    @ConditionalOnMissingBean
    @ConditionalOnBean(OpenInferenceProtocol.class)
    public ReactiveOpenInferenceController reactiveOpenInferenceController(OpenInferenceProtocol protocol) {
        return new ReactiveOpenInferenceController(protocol);
    }

    @Bean
    @ConditionalOnMissingBean
    @ConditionalOnBean(TypedEndpoints.class)
    public ReactiveTypedController reactiveTypedController(TypedEndpoints endpoints) {
        return new ReactiveTypedController(endpoints);
    }
}
