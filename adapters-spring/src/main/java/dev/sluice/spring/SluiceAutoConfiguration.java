package dev.sluice.spring;

import dev.sluice.Deployment;
import dev.sluice.Resources;
import dev.sluice.Sluice;
import dev.sluice.pipeline.Pipeline;
import dev.sluice.spring.oip.OpenInferenceProtocol;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.core.io.ResourceLoader;

/**
 * The Sluice runtime as beans: {@link Resources} (detected), {@link Sluice} (closed, draining, with the
 * application context), {@link SluiceDeployments} (every {@link Deployment} bean and {@code sluice.models.*}
 * deployed at start-up), {@link SluicePipelines} and, in a web application, the web-stack-neutral
 * {@link OpenInferenceProtocol}. Each bean backs off when the application declares its own.
 */
@AutoConfiguration
@ConditionalOnClass(Sluice.class)
@EnableConfigurationProperties(SluiceProperties.class)
public class SluiceAutoConfiguration {
    private static final Logger LOG = LoggerFactory.getLogger(SluiceAutoConfiguration.class);

    @Bean
    @ConditionalOnMissingBean
    public Resources sluiceResources() {
        return Resources.detect();
    }

    /** Closed by the context ({@link Sluice#close()}), which drains within {@code sluice.shutdown-grace-period}. */
    @Bean
    @ConditionalOnMissingBean
    public Sluice sluice(Resources resources, SluiceProperties properties) {
        return Sluice.builder()
                .resources(resources)
                .closeGracePeriod(properties.getShutdownGracePeriod())
                .build();
    }

    @Bean
    @ConditionalOnMissingBean
    public SluiceDeployments sluiceDeployments(Sluice sluice, ObjectProvider<Deployment<?, ?>> deployments,
            SluiceProperties properties, ResourceLoader resourceLoader) {
        if (properties.getManagement().isEnabled()) {
            LOG.warn("sluice.management.enabled=true, but this version has no management operations: nothing "
                    + "served can be changed over HTTP");
        }
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
                http.getMaxRequestSize().toBytes(), http.getRequestTimeout()));
    }
}
