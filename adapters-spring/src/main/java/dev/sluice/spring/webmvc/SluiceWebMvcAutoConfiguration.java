package dev.sluice.spring.webmvc;

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
import org.springframework.web.servlet.DispatcherServlet;

/**
 * Mounts the Open Inference Protocol endpoints ({@code /v2/...}) and the typed endpoints ({@code /sluice/{name}})
 * in a servlet web application with Spring MVC, unless {@code sluice.http.enabled=false} or the application
 * declares its own {@link OpenInferenceController} or {@link TypedController}.
 */
@AutoConfiguration(after = SluiceAutoConfiguration.class)
@ConditionalOnWebApplication(type = ConditionalOnWebApplication.Type.SERVLET)
@ConditionalOnClass(DispatcherServlet.class)
@ConditionalOnBooleanProperty(name = "sluice.http.enabled", matchIfMissing = true)
public class SluiceWebMvcAutoConfiguration {

    @Bean
    @ConditionalOnMissingBean
    @ConditionalOnBean(OpenInferenceProtocol.class)
    public OpenInferenceController openInferenceController(OpenInferenceProtocol protocol) {
        return new OpenInferenceController(protocol);
    }

    @Bean
    @ConditionalOnMissingBean
    @ConditionalOnBean(TypedEndpoints.class)
    public TypedController typedController(TypedEndpoints endpoints) {
        return new TypedController(endpoints);
    }
}
