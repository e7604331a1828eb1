package dev.sluice.spring;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.DeploymentHandle;
import dev.sluice.ModelContext;
import dev.sluice.Sluice;
import dev.sluice.spring.oip.OipResponse;
import dev.sluice.spring.oip.OpenInferenceProtocol;
import dev.sluice.tensor.DataType;
import dev.sluice.tensor.Tensor;
import dev.sluice.tensor.TensorSignature;
import dev.sluice.tensor.TensorSpec;
import dev.sluice.xgboost.Features;
import dev.sluice.xgboost.XgboostModel;
import dev.sluice.xgboost.XgboostModels;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

/** XGBoost models declared in properties: recognised by their file, served over tensors, refused clearly. */
class XgboostPropertyModelsTest {
    private final ApplicationContextRunner runner = new ApplicationContextRunner()
            .withConfiguration(AutoConfigurations.of(SluiceAutoConfiguration.class));

    @TempDir
    Path dir;

    @SuppressWarnings("unchecked")
    private static DeploymentHandle<Map<String, Tensor>, Map<String, Tensor>> handle(Sluice sluice, String name) {
        return (DeploymentHandle<Map<String, Tensor>, Map<String, Tensor>>) sluice.deployment(name).orElseThrow();
    }

    @Test
    void aJsonModelIsDeployedAsAnXgboostTensorModelWithItsSettings() throws Exception {
        Path model = XgboostModels.binary(dir, "fraud.json");
        float[] row = {1.5f, 2f, -0.2f, 0.3f};
        float expected;
        try (XgboostModel direct = XgboostModel.builder(model).open(ModelContext.forTest("direct"))) {
            expected = direct.predict(List.of(Features.of(row))).get(0).value();
        }
        runner.withPropertyValues("sluice.models.fraud.path=" + model, "sluice.models.fraud.max-batch-size=64",
                "sluice.models.fraud.cpus=1", "sluice.models.fraud.max-replicas=2").run(context -> {
                    assertThat(context).hasNotFailed();
                    DeploymentHandle<Map<String, Tensor>, Map<String, Tensor>> fraud =
                            handle(context.getBean(Sluice.class), "fraud");
                    assertThat(fraud.deployment().maxReplicas()).isEqualTo(2);
                    assertThat(fraud.deployment().batching().maxBatchSize()).isEqualTo(64);
                    assertThat(fraud.deployment().signature().orElseThrow().inputNames()).containsExactly("features");
                    Map<String, Tensor> y = fraud.submit(Map.of("features",
                            Tensor.ofFloats("features", new long[] {1, 4}, row))).get();
                    assertThat(y.get("prediction").toFloatArray()).containsExactly(expected);
                });
    }

    @Test
    void aUbjModelIsRecognisedToo() throws Exception {
        Path model = XgboostModels.binary(dir, "fraud.ubj");
        runner.withPropertyValues("sluice.models.fraud.path=" + model).run(context -> {
            assertThat(context).hasNotFailed();
            assertThat(handle(context.getBean(Sluice.class), "fraud").deployment().signature().orElseThrow()
                    .outputNames()).containsExactly("prediction");
        });
    }

    @Test
    void theOpenInferenceProtocolDescribesAndServesIt() throws Exception {
        Path model = XgboostModels.binary(dir, "fraud.json");
        runner.withPropertyValues("sluice.models.fraud.path=" + model).run(context -> {
            OpenInferenceProtocol oip = new OpenInferenceProtocol(context.getBean(Sluice.class),
                    new OpenInferenceProtocol.Settings(1 << 20, null));
            String metadata = oip.modelMetadata("fraud", null).bodyText();
            assertThat(metadata).contains("\"platform\":\"xgboost\"", "\"name\":\"features\"", "\"datatype\":\"FP32\"",
                    "\"shape\":[-1,4]");
            byte[] body = """
                    {"inputs": [{"name": "features", "datatype": "FP32", "shape": [2, 4],
                                 "data": [1.5, 2, -0.2, 0.3, -1, 0.5, 0, 0.25]}]}
                    """.getBytes(StandardCharsets.UTF_8);
            OipResponse ok = oip.infer("fraud", null, new ByteArrayInputStream(body), body.length).get();
            assertThat(ok.status()).as(ok.bodyText()).isEqualTo(200);
            assertThat(ok.bodyText()).contains("\"name\":\"prediction\"", "\"shape\":[2,1]");

            byte[] wrong = """
                    {"inputs": [{"name": "features", "datatype": "FP32", "shape": [1, 3], "data": [1, 2, 3]}]}
                    """.getBytes(StandardCharsets.UTF_8);
            OipResponse bad = oip.infer("fraud", null, new ByteArrayInputStream(wrong), wrong.length).get();
            assertThat(bad.status()).isEqualTo(400);
            assertThat(bad.bodyText()).contains("features");
        });
    }

    @Test
    void withoutSluiceXgboostAJsonModelStopsStartUpSayingWhatIsMissing() {
        runner.withClassLoader(new FilteredClassLoader(XgboostModel.class))
                .withPropertyValues("sluice.models.fraud.path=/models/fraud.json")
                .run(context -> assertThat(context).getFailure().rootCause()
                        .hasMessageContaining("sluice.models.fraud.path")
                        .hasMessageContaining("an XGBoost model (a .json or .ubj file)")
                        .hasMessageContaining("dev.sluice:sluice-xgboost"));
    }

    @Test
    void aJsonFileThatIsNoModelStopsStartUpNamingThePropertyAndTheFile() throws Exception {
        Path notAModel = Files.writeString(dir.resolve("fraud.json"), "{\"amount\": 1}");
        runner.withPropertyValues("sluice.models.fraud.path=" + notAModel)
                .run(context -> assertThat(context).getFailure().rootCause()
                        .hasMessageContaining("sluice.models.fraud.path")
                        .hasMessageContaining("XGBoost cannot load " + notAModel));
    }

    @Test
    void settingsOnlyOnnxModelsHaveAreRefusedForXgboostNamingTheirProperty() throws Exception {
        Path model = XgboostModels.binary(dir, "fraud.json");
        runner.withPropertyValues("sluice.models.fraud.path=" + model, "sluice.models.fraud.gpus=0.5")
                .run(context -> assertThat(context).getFailure().rootCause()
                        .hasMessageContaining("sluice.models.fraud.gpus").hasMessageContaining("run on CPUs"));
        runner.withPropertyValues("sluice.models.fraud.path=" + model, "sluice.models.fraud.pad.features=0")
                .run(context -> assertThat(context).getFailure().rootCause()
                        .hasMessageContaining("sluice.models.fraud.pad"));
    }
    @Test
    void theOutputsListedAreServedWithWhatEachIsInTheSignature() throws Exception {
        Path model = XgboostModels.multiClass(dir, "iris.json", "multi:softprob");
        runner.withPropertyValues("sluice.models.iris.path=" + model,
                "sluice.models.iris.xgboost.outputs=contributions,class,margin").run(context -> {
                    assertThat(context).hasNotFailed();
                    TensorSignature s = handle(context.getBean(Sluice.class), "iris").deployment().signature()
                            .orElseThrow();
                    assertThat(s.outputs()).containsExactly(
                            new TensorSpec("prediction", DataType.FP32, new long[] {-1, 3}),
                            new TensorSpec("class", DataType.INT64, new long[] {-1}),
                            new TensorSpec("margin", DataType.FP32, new long[] {-1, 3}),
                            new TensorSpec("contributions", DataType.FP32, new long[] {-1, 3, 5}));
                });
    }

    @Test
    void anUnknownOutputStopsStartUpNamingThePropertyAndTheOutputs() throws Exception {
        Path model = XgboostModels.binary(dir, "fraud.json");
        runner.withPropertyValues("sluice.models.fraud.path=" + model, "sluice.models.fraud.xgboost.outputs=probability")
                .run(context -> assertThat(context).getFailure().rootCause()
                        .hasMessageContaining("sluice.models.fraud.xgboost.outputs")
                        .hasMessageContaining("'probability' is not an output of an XGBoost model")
                        .hasMessageContaining("[prediction, class, margin, contributions]"));
    }

    @Test
    void aClassOutputForAModelThatPredictsNoneStopsStartUpNamingItsObjective() throws Exception {
        Path model = XgboostModels.regression(dir, "price.json");
        runner.withPropertyValues("sluice.models.price.path=" + model, "sluice.models.price.xgboost.outputs=class")
                .run(context -> assertThat(context).getFailure().rootCause()
                        .hasMessageContaining("sluice.models.price.xgboost.outputs")
                        .hasMessageContaining("objective reg:squarederror predicts no class"));
    }

    @Test
    void xgboostOutputsOnAnOnnxModelStopStartUp() throws Exception {
        Path model = Files.write(dir.resolve("tiny.onnx"), dev.sluice.onnx.TestModels.identity(4));
        runner.withPropertyValues("sluice.models.tiny.path=" + model, "sluice.models.tiny.xgboost.outputs=margin")
                .run(context -> assertThat(context).getFailure().rootCause()
                        .hasMessageContaining("sluice.models.tiny.xgboost.outputs")
                        .hasMessageContaining("applies to XGBoost models"));
    }

    @Test
    void aMisspelledXgboostSettingStopsStartUpNamingTheNearestOne() throws Exception {
        Path model = XgboostModels.binary(dir, "fraud.json");
        runner.withPropertyValues("sluice.models.fraud.path=" + model, "sluice.models.fraud.xgboost.outptus=margin")
                .run(context -> assertThat(context).getFailure().rootCause()
                        .hasMessageContaining("sluice.models.fraud.xgboost.outptus")
                        .hasMessageContaining("did you mean xgboost.outputs?"));
        runner.withPropertyValues("sluice.models.fraud.path=" + model, "sluice.models.fraud.xgbost.outputs=margin")
                .run(context -> assertThat(context).getFailure().rootCause()
                        .hasMessageContaining("sluice.models.fraud.xgbost.outputs")
                        .hasMessageContaining("did you mean xgboost.outputs?"));
    }

    @Test
    void listSettingsMayBeWrittenAsYamlListsWithIndexes() throws Exception {
        Path model = XgboostModels.binary(dir, "fraud.json");
        runner.withPropertyValues("sluice.models.fraud.path=" + model, "sluice.models.fraud.xgboost.outputs[0]=margin",
                "sluice.models.fraud.xgboost.outputs[1]=class", "sluice.models.fraud.preferred-batch-sizes[0]=1",
                "sluice.models.fraud.preferred-batch-sizes[1]=8").run(context -> {
                    assertThat(context).hasNotFailed();
                    DeploymentHandle<Map<String, Tensor>, Map<String, Tensor>> fraud =
                            handle(context.getBean(Sluice.class), "fraud");
                    assertThat(fraud.deployment().signature().orElseThrow().outputNames())
                            .containsExactly("prediction", "class", "margin");
                });
        runner.withPropertyValues("sluice.models.fraud.path=" + model, "sluice.models.fraud.max-batch-size[0]=8")
                .run(context -> assertThat(context).getFailure().rootCause()
                        .hasMessageContaining("sluice.models.fraud.max-batch-size[0]"));
    }
}
