package dev.sluice.spring;

import dev.sluice.Deployment;
import dev.sluice.Resources;
import dev.sluice.Sluice;
import dev.sluice.pipeline.Pipeline;
import dev.sluice.batching.BatchObserver;
import dev.sluice.spring.oip.OpenInferenceProtocol;
import dev.sluice.spring.typed.TypedEndpoints;
import java.lang.reflect.Type;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import org.springframework.beans.factory.config.ConfigurableListableBeanFactory;
import org.springframework.core.ResolvableType;
import tools.jackson.databind.json.JsonMapper;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication;
import org.springframework.boot.cloud.CloudPlatform;
import org.springframework.boot.context.properties.bind.BindResult;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.context.SmartLifecycle;
import org.springframework.context.annotation.Configuration;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.core.env.Environment;
import org.springframework.core.io.ResourceLoader;

/**
 * The Sluice runtime as beans: {@link Resources} (detected), {@link Sluice} (closed, draining, with the
 * application context), {@link SluiceDeployments} (every {@link Deployment} bean and {@code sluice.models.*}
 * deployed at start-up), {@link SluicePipelines} and, in a web application, the web-stack-neutral
 * {@link OpenInferenceProtocol}. Each bean backs off when the application declares its own. On shutdown
 * (SIGTERM) the application turns unready, serves on for {@code sluice.shutdown-delay}, lets its transports finish
 * what they took and then the runtime, within {@code sluice.shutdown-grace-period}.
 */
@AutoConfiguration
@ConditionalOnClass(Sluice.class)
@EnableConfigurationProperties(SluiceProperties.class)
public class SluiceAutoConfiguration {

    @Bean
    @ConditionalOnMissingBean
    public Resources sluiceResources() {
        return Resources.detect();
    }

    /** Closed by the context ({@link Sluice#close()}), which drains within {@code sluice.shutdown-grace-period}. */
    @Bean
    @ConditionalOnMissingBean
    public Sluice sluice(Resources resources, SluiceProperties properties, ObjectProvider<BatchObserver> observers) {
        Sluice.Builder b = Sluice.builder()
                .resources(resources)
                .closeGracePeriod(properties.getShutdownGracePeriod());
        observers.orderedStream().forEach(b::observer); // e.g. the starter's metrics: told of every deployment
        return b.build();
    }

    @Bean
    @ConditionalOnMissingBean
    public SluiceDeployments sluiceDeployments(Sluice sluice, ObjectProvider<Deployment<?, ?>> deployments,
            SluiceProperties properties, ResourceLoader resourceLoader, Environment environment) {
        ModelPropertyNames.check(environment); // binding ignores a setting Model lacks; a misspelling must not pass
        return new SluiceDeployments(sluice, deployments.orderedStream().toList(), properties,
                resourceLoader.getClassLoader());
    }

    @Bean
    @ConditionalOnMissingBean
    public SluicePipelines sluicePipelines(ObjectProvider<Pipeline<?, ?>> pipelines) {
        return new SluicePipelines(pipelines.orderedStream().toList());
    }

    /** Depends on {@link SluiceDeployments}, so nothing is served before the start-up deployments exist. */
    @Bean
    @ConditionalOnMissingBean
    @ConditionalOnWebApplication
    public OpenInferenceProtocol openInferenceProtocol(Sluice sluice, SluiceDeployments deployments,
            SluiceProperties properties) {
        SluiceProperties.Http http = properties.getHttp();
        return new OpenInferenceProtocol(sluice, new OpenInferenceProtocol.Settings(
                http.getMaxRequestSize().toBytes(), http.requestTimeoutOrNull()));
    }

    /**
     * {@code POST /sluice/{name}} for every {@link Pipeline} bean and every {@link Deployment} bean without a
     * tensor signature, each with the input type its bean declares.
     */
    @Bean
    @ConditionalOnMissingBean
    @ConditionalOnWebApplication
    public TypedEndpoints typedEndpoints(Sluice sluice, SluiceDeployments deployments, SluicePipelines pipelines,
            SluiceProperties properties, ConfigurableListableBeanFactory beans, ObjectProvider<JsonMapper> json) {
        Map<String, TypedEndpoints.Target> targets = new LinkedHashMap<>();
        for (String bean : beans.getBeanNamesForType(Deployment.class, false, false)) {
            Deployment<?, ?> d = beans.getBean(bean, Deployment.class);
            deployments.handle(d.name()).filter(h -> h.deployment().signature().isEmpty()).ifPresent(h -> targets.put(
                    d.name(), new TypedEndpoints.DeploymentTarget(d.name(), h, inputType(beans, bean, Deployment.class))));
        }
        for (String bean : beans.getBeanNamesForType(Pipeline.class, false, false)) {
            Pipeline<?, ?> p = beans.getBean(bean, Pipeline.class);
            if (pipelines.get(p.name()).orElse(null) == p) {
                targets.put(p.name(), new TypedEndpoints.PipelineTarget(p.name(), p, inputType(beans, bean, Pipeline.class)));
            }
        }
        SluiceProperties.Http http = properties.getHttp();
        return new TypedEndpoints(json.getIfAvailable(() -> JsonMapper.builder().build()), targets, sluice,
                http.getMaxRequestSize().toBytes(), http.requestTimeoutOrNull());
    }

    /**
     * The graceful shutdown's phases ({@link GracefulShutdown}): unready, then serving on for
     * {@code sluice.shutdown-delay}, then the transports drain, then the runtime closes, all within
     * {@code sluice.shutdown-grace-period} after the delay.
     */
    @Configuration(proxyBeanMethods = false)
    static class Shutdown {
        /** The delay when {@code sluice.shutdown-delay} is unset and the application runs on Kubernetes. */
        static final Duration KUBERNETES_DELAY = Duration.ofSeconds(5);

        @Bean
        GracefulShutdown sluiceGracefulShutdown(Sluice sluice, SluiceProperties properties, Environment environment) {
            Duration configured = properties.getShutdownDelay();
            Duration delay = configured != null ? configured
                    : CloudPlatform.KUBERNETES.isActive(environment) ? KUBERNETES_DELAY : Duration.ZERO;
            if (delay.isNegative()) {
                throw new IllegalArgumentException("sluice.shutdown-delay must not be negative, was " + delay);
            }
            if (properties.getShutdownGracePeriod().isNegative()) {
                throw new IllegalArgumentException("sluice.shutdown-grace-period must not be negative, was "
                        + properties.getShutdownGracePeriod());
            }
            BindResult<Duration> bound = Binder.get(environment).bind("spring.lifecycle.timeout-per-shutdown-phase",
                    Duration.class);
            Duration phaseTimeout = bound.isBound() ? bound.get() : Duration.ofSeconds(30); // Spring Boot's default
            return new GracefulShutdown(sluice, delay, properties.getShutdownGracePeriod(), phaseTimeout);
        }

        @Bean
        SmartLifecycle sluiceShutdownDelay(GracefulShutdown shutdown) {
            return shutdown.delayPhase();
        }

        @Bean
        SmartLifecycle sluiceShutdownDeadline(GracefulShutdown shutdown) {
            return shutdown.drainPhase();
        }

        @Bean
        SmartLifecycle sluiceRuntimeShutdown(GracefulShutdown shutdown) {
            return shutdown.runtimePhase();
        }
    }

    /** The first type argument of {@code bean}'s declared type as {@code raw}, or Object where it is open. */
    private static Type inputType(ConfigurableListableBeanFactory beans, String bean, Class<?> raw) {
        ResolvableType declared = beans.getMergedBeanDefinition(bean).getResolvableType().as(raw).getGeneric(0);
        return declared.resolve() == null ? Object.class : declared.getType();
    }
}
