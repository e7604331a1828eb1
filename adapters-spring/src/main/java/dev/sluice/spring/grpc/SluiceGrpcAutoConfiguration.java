package dev.sluice.spring.grpc;

import dev.sluice.Sluice;
import dev.sluice.grpc.SluiceGrpcServer;
import dev.sluice.spring.SluiceAutoConfiguration;
import dev.sluice.spring.SluiceDeployments;
import java.net.InetSocketAddress;
import java.time.Duration;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.ApplicationContext;
import org.springframework.context.annotation.Bean;

/**
 * The Open Inference Protocol over gRPC ({@link SluiceGrpcServer}) on {@code sluice.grpc.port} (8081), in any
 * application, web or not, that has {@code sluice-grpc} on its class path; off with {@code sluice.grpc.enabled=false}.
 * It starts once the start-up deployments exist and, when the application closes, turns NOT_SERVING at once, serves
 * on through {@code sluice.shutdown-delay}, then stops taking calls and lets those in flight finish, before the
 * runtime closes.
 */
@AutoConfiguration(after = SluiceAutoConfiguration.class)
@ConditionalOnClass(name = "dev.sluice.grpc.SluiceGrpcServer")
@ConditionalOnProperty(prefix = "sluice.grpc", name = "enabled", havingValue = "true", matchIfMissing = true)
@ConditionalOnBean(Sluice.class)
@EnableConfigurationProperties(SluiceGrpcProperties.class)
public class SluiceGrpcAutoConfiguration {

    /** How much longer the server waits for its calls than the grace period it is given; see below. */
    static final Duration ANSWER_MARGIN = Duration.ofSeconds(2);

    /** Depends on {@link SluiceDeployments}, so nothing is served before the start-up deployments exist. */
    @Bean
    @ConditionalOnMissingBean
    public SluiceGrpcLifecycle sluiceGrpcServer(Sluice sluice, SluiceDeployments deployments,
            SluiceGrpcProperties properties, ApplicationContext context) {
        SluiceGrpcServer.Builder b = SluiceGrpcServer.builder(sluice)
                .address(properties.getAddress() == null || properties.getAddress().isBlank()
                        ? new InetSocketAddress(properties.getPort())
                        : new InetSocketAddress(properties.getAddress(), properties.getPort()))
                .maxInboundMessageSize(Math.toIntExact(properties.getMaxInboundMessageSize().toBytes()))
                // 2 s more than asked: a call the runtime fails at the end of its own grace period (equal to this
                // one at most) gets its UNAVAILABLE answer out before the server would cut it (CANCELLED).
                .shutdownGracePeriod(properties.getShutdownGracePeriod().plus(ANSWER_MARGIN));
        if (properties.getRequestTimeout() != null && !properties.getRequestTimeout().isZero()) {
            b.requestTimeout(properties.getRequestTimeout());
        }
        return new SluiceGrpcLifecycle(b, context);
    }
}
