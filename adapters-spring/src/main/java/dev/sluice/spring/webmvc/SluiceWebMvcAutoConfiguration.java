package dev.sluice.spring.webmvc;

import dev.sluice.spring.SluiceAutoConfiguration;
import dev.sluice.spring.SluiceProperties;
import dev.sluice.spring.oip.OpenInferenceProtocol;
import dev.sluice.spring.typed.TypedEndpoints;
import java.time.Duration;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication;
import org.springframework.context.annotation.Bean;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.web.servlet.DispatcherServlet;
import org.springframework.web.servlet.config.annotation.AsyncSupportConfigurer;
import org.springframework.web.servlet.config.annotation.WebMvcConfigurer;

/**
 * Mounts the Open Inference Protocol endpoints ({@code /v2/...}) and the typed endpoints ({@code /sluice/{name}})
 * in a servlet web application with Spring MVC, unless {@code sluice.http.enabled=false} or the application
 * declares its own {@link OpenInferenceController} or {@link TypedController}.
 *
 * <p>It also sets Spring MVC's asynchronous request timeout, unless {@code spring.mvc.async.request-timeout} is
 * set or another {@code WebMvcConfigurer} of the application sets it: to {@code sluice.http.request-timeout} plus {@link #ASYNC_TIMEOUT_GRACE}, or to none when that is 0. Why:
 * the servlet container's own default (30 s on Tomcat) would otherwise answer a long request with a bare 503
 * while Sluice still works on it; with the grace, Sluice's own deadline ends it first, with a 504 that names the
 * timeout, and a request still queued is withdrawn before any model sees it. What times out past the grace (a
 * deployment's model run itself, which the request timeout does not bound) gets a 504 from the endpoints'
 * handler of {@code AsyncRequestTimeoutException}.
 */
@AutoConfiguration(after = SluiceAutoConfiguration.class)
@ConditionalOnWebApplication(type = ConditionalOnWebApplication.Type.SERVLET)
@ConditionalOnClass(DispatcherServlet.class)
@ConditionalOnBooleanProperty(name = "sluice.http.enabled", matchIfMissing = true)
public class SluiceWebMvcAutoConfiguration {
    /** How much longer than {@code sluice.http.request-timeout} the web server's asynchronous timeout is. */
    public static final Duration ASYNC_TIMEOUT_GRACE = Duration.ofSeconds(1);

    /**
     * First of the application's {@code WebMvcConfigurer}s, so that any other one that sets the timeout (the
     * application's own, or Spring Boot's from {@code spring.mvc.async.request-timeout}) comes later and wins:
     * the order alone keeps those, with no check of what they set.
     */
    @Bean
    @Order(Ordered.HIGHEST_PRECEDENCE)
    @ConditionalOnBean(SluiceProperties.class)
    public WebMvcConfigurer sluiceAsyncRequestTimeout(SluiceProperties properties) {
        return new WebMvcConfigurer() {
            @Override
            public void configureAsyncSupport(AsyncSupportConfigurer configurer) {
                Duration timeout = properties.getHttp().requestTimeoutOrNull();
                // A servlet async timeout of 0 or less never expires.
                configurer.setDefaultTimeout(timeout == null ? -1 : timeout.plus(ASYNC_TIMEOUT_GRACE).toMillis());
            }
        };
    }

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
