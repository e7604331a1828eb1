package dev.sluice.bench;

import dev.sluice.Resources;
import dev.sluice.Sluice;
import dev.sluice.spring.grpc.SluiceGrpcLifecycle;
import java.net.InetSocketAddress;
import java.net.URI;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.Banner;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;

/**
 * {@link TransportBenchmark}'s server: a Spring Boot web application with the Sluice starter, as a user's service
 * is, whose one runtime answers in process, over REST (the starter's Spring MVC endpoints on Tomcat) and over gRPC
 * (sluice-grpc, which the starter serves when it is on the class path), both on 127.0.0.1 and free ports. It reads
 * no application properties file: the OCR example's, which is on the benchmarks' class path, is not its own.
 * {@link #close()} stops both servers, then the runtime. Its deployments are the caller's to make, on
 * {@link #sluice()}.
 */
final class TransportServer implements AutoCloseable {
    private final ConfigurableApplicationContext context;

    /**
     * Starts the application; returns once both servers listen.
     *
     * @param cpus the runtime's execution budget, in CPUs
     */
    TransportServer(int cpus) {
        this.context = new SpringApplicationBuilder(Application.class)
                .bannerMode(Banner.Mode.OFF)
                .logStartupInfo(false)
                .run("--spring.config.name=transport-benchmark", // no application.properties or .yml is read
                        "--server.address=127.0.0.1", "--server.port=0",
                        "--sluice.grpc.address=127.0.0.1", "--sluice.grpc.port=0",
                        "--sluice.http.max-request-size=64MB",
                        "--spring.web.resources.static-locations=", // not the OCR example's page
                        "--transport-benchmark.cpus=" + cpus);
    }

    /** The runtime every transport reaches. */
    Sluice sluice() {
        return context.getBean(Sluice.class);
    }

    /** The root of the REST endpoints, {@code http://127.0.0.1:<port>/}. */
    URI http() {
        return URI.create("http://127.0.0.1:" + context.getEnvironment().getRequiredProperty("local.server.port") + "/");
    }

    /** The gRPC server's {@code host:port}. */
    String grpcTarget() {
        InetSocketAddress a = context.getBean(SluiceGrpcLifecycle.class).address();
        return a.getAddress().getHostAddress() + ":" + a.getPort();
    }

    @Override
    public void close() {
        context.close();
    }

    /** The application: the starter's auto-configuration, and the runtime's execution budget. */
    @SpringBootConfiguration(proxyBeanMethods = false)
    @EnableAutoConfiguration
    static class Application {
        @Bean
        Resources resources(@Value("${transport-benchmark.cpus}") int cpus) {
            return Resources.builder().cpus(cpus).build();
        }
    }
}
