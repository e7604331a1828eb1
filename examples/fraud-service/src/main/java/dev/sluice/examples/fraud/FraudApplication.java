package dev.sluice.examples.fraud;

import dev.sluice.DeploymentHandle;
import dev.sluice.Sluice;
import dev.sluice.pipeline.Pipeline;
import dev.sluice.xgboost.Features;
import dev.sluice.xgboost.Prediction;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;

/**
 * The fraud-scoring service: a Spring Boot application with the Sluice starter, which serves the {@code fraud}
 * pipeline at {@code POST /sluice/fraud} (a {@link Transaction} as JSON in, a {@link FraudScore} out; {@code ?trace}
 * adds the request's trace), with health and metrics in Actuator.
 *
 * <pre>{@code
 * java -jar examples/fraud-service/target/fraud-service-exec.jar                # serves at http://localhost:8080/
 * java -jar examples/fraud-service/target/fraud-service-exec.jar --self-check   # scores sample payments over HTTP, exits
 * }</pre>
 */
@SpringBootApplication
public class FraudApplication {

    public static void main(String[] args) {
        List<String> arguments = new ArrayList<>(List.of(args));
        boolean selfCheck = arguments.contains("--self-check");
        if (selfCheck && arguments.stream().noneMatch(a -> a.startsWith("--server.port="))) {
            arguments.add("--server.port=0"); // a self-check takes any free port, unless told one
        }
        ConfigurableApplicationContext context = SpringApplication.run(FraudApplication.class,
                arguments.toArray(String[]::new));
        URI url = URI.create("http://localhost:" + context.getEnvironment().getProperty("local.server.port") + "/");
        System.out.println("Fraud scoring at " + url.resolve("/sluice/fraud") + "  (POST a payment as JSON)");
        System.out.println("  curl -s " + url.resolve("/sluice/fraud") + " -H 'Content-Type: application/json' -d '"
                + FraudSelfCheck.SUSPICIOUS + "'");
        if (selfCheck) {
            boolean ok;
            try {
                ok = FraudSelfCheck.check(url, System.out);
            } catch (Exception e) {
                e.printStackTrace();
                ok = false;
            }
            int status = SpringApplication.exit(context, () -> 0);
            System.exit(ok ? status : 1);
        }
    }

    /** The model, deployed on the starter's runtime (which undeploys it when the application closes). */
    @Bean
    DeploymentHandle<Features, Prediction> fraudModel(Sluice sluice) {
        return sluice.deploy(FraudScoring.deployment(FraudScoring.builtModel()));
    }

    /** The pipeline as a bean: the starter serves it at {@code POST /sluice/fraud}. */
    @Bean
    Pipeline<Transaction, FraudScore> fraud(DeploymentHandle<Features, Prediction> fraudModel,
            @Value("${fraud.threshold:0.5}") double threshold) {
        return FraudScoring.pipeline(fraudModel, threshold);
    }
}
