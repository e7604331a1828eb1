package dev.sluice.spring;

import dev.sluice.Deployment;
import dev.sluice.Model;
import dev.sluice.Resources;
import dev.sluice.tensor.Tensor;
import dev.sluice.xgboost.XgboostModels;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.context.annotation.Bean;

/**
 * The application of the XGBoost HTTP tests: two XGBoost models declared in properties (see
 * {@link XgboostHttpTest}) on a runtime of one CPU, and {@code hog}, a fake model whose calls hold that CPU until its
 * gate opens, so the XGBoost models' requests wait together while a test looks at them.
 */
@SpringBootConfiguration
@EnableAutoConfiguration
class XgboostApplication {
    static final Gate HOG_GATE = new Gate();

    /** The models both web stacks' tests serve, trained once per JVM into a folder removed when it exits. */
    static final Path DIR = trainModels();
    static final Path FRAUD = DIR.resolve("fraud.json");
    static final Path IRIS = DIR.resolve("iris.json");

    private static Path trainModels() {
        try {
            Path dir = Files.createTempDirectory("sluice-xgboost-http-");
            dir.toFile().deleteOnExit(); // registered first: removed after the files in it
            for (Path file : List.of(XgboostModels.binary(dir, "fraud.json"),
                    XgboostModels.multiClass(dir, "iris.json", "multi:softprob"))) {
                file.toFile().deleteOnExit();
            }
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** One CPU: a call of {@code hog} holds it, and the XGBoost models' calls (cpus 1) wait for it. */
    @Bean
    Resources resources() {
        return Resources.builder().cpus(1).build();
    }

    @Bean
    Deployment<Map<String, Tensor>, Map<String, Tensor>> hog() {
        Model<Map<String, Tensor>, Map<String, Tensor>> model = batch -> {
            HOG_GATE.pass();
            List<Map<String, Tensor>> out = new ArrayList<>();
            for (Map<String, Tensor> request : batch) {
                out.add(Map.of("y", request.get("x").withName("y")));
            }
            return out;
        };
        return Deployment.<Map<String, Tensor>, Map<String, Tensor>>builder("hog", ctx -> model)
                .signature(FakeTensorModels.vectorOf4()).resources(r -> r.cpus(1)).build();
    }
}
