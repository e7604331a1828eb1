package dev.sluice.spring.oip;

import com.code_intelligence.jazzer.junit.DictionaryEntries;
import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.sluice.Deployment;
import dev.sluice.Model;
import dev.sluice.Resources;
import dev.sluice.Sluice;
import dev.sluice.tensor.DataType;
import dev.sluice.tensor.Tensor;
import dev.sluice.tensor.TensorSignature;
import dev.sluice.tensor.TensorSpec;
import java.io.ByteArrayInputStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Timeout;

/**
 * Fuzzes the JSON request reader through {@link OpenInferenceProtocol#infer}: bytes in as a request body, the
 * protocol's response out, checked by {@link RestOutcomes}. The model is the specification's example (inputs
 * {@code input0} UINT32 [n, 2] and {@code input1} BOOL [n]), answering its inputs back as {@code output0} and
 * {@code output1}, so a request the reader accepts is served.
 *
 * <p>Seeds: the small valid requests in {@code JsonRequestFuzzTestInputs/jsonRequest/}, where Jazzer also keeps
 * what it finds. Without {@code JAZZER_FUZZ} this runs the seeds once, as a regression test; with it
 * ({@code mvn verify} sets it in surefire's execution {@code fuzz}, a JVM per fuzz test class) it fuzzes for
 * {@code jazzer.max_duration}. {@code @Timeout} is the fuzzer's limit for one input (that execution turns JUnit's
 * own timeouts off: the whole fuzzing run is one invocation).
 */
class JsonRequestFuzzTest {
    private static Sluice sluice;
    private static OpenInferenceProtocol protocol;

    @BeforeAll
    static void start() throws Exception {
        sluice = runtime();
        protocol = protocol(sluice);
    }

    /** A runtime serving {@link #echoingSpecExample()}, ready (the REST fuzz targets' model). */
    static Sluice runtime() throws Exception {
        Sluice s = Sluice.builder().resources(Resources.builder().cpus(1).build()).build();
        s.deploy(echoingSpecExample()).awaitReady(Duration.ofSeconds(10));
        return s;
    }

    /** The protocol over {@code sluice}, reading bodies of up to 64 KiB. */
    static OpenInferenceProtocol protocol(Sluice sluice) {
        return new OpenInferenceProtocol(sluice, new OpenInferenceProtocol.Settings(64 * 1024, null));
    }

    @AfterAll
    static void stop() {
        sluice.close();
    }

    @DictionaryEntries({"\"inputs\"", "\"outputs\"", "\"name\"", "\"shape\"", "\"datatype\"", "\"data\"",
        "\"parameters\"", "\"id\"", "\"input0\"", "\"input1\"", "\"output0\"", "\"output1\"", "\"timeout_ms\"",
        "\"binary_data_size\"", "\"binary_data\"", "\"BOOL\"", "\"UINT8\"", "\"UINT16\"", "\"UINT32\"", "\"UINT64\"",
        "\"INT8\"", "\"INT16\"", "\"INT32\"", "\"INT64\"", "\"FP16\"", "\"FP32\"", "\"FP64\"", "\"BYTES\"", "NaN",
        "Infinity", "true", "false", "null", "18446744073709551615", "9223372036854775807", "4294967296", "1e39"})
    @Timeout(10)
    @FuzzTest(maxDuration = "30s")
    void jsonRequest(byte[] body) {
        RestOutcomes.check(body, () -> protocol.infer("mymodel", null, new ByteArrayInputStream(body), body.length));
    }

    /** The specification's example model, answering {@code input0} and {@code input1} as its two outputs. */
    static Deployment<Map<String, Tensor>, Map<String, Tensor>> echoingSpecExample() {
        TensorSignature signature = new TensorSignature(
                List.of(new TensorSpec("input0", DataType.UINT32, new long[] {-1, 2}),
                        new TensorSpec("input1", DataType.BOOL, new long[] {-1})),
                List.of(new TensorSpec("output0", DataType.UINT32, new long[] {-1, 2}),
                        new TensorSpec("output1", DataType.BOOL, new long[] {-1})));
        Model<Map<String, Tensor>, Map<String, Tensor>> model = batch -> {
            List<Map<String, Tensor>> out = new ArrayList<>(batch.size());
            for (Map<String, Tensor> request : batch) {
                Map<String, Tensor> outputs = new LinkedHashMap<>();
                outputs.put("output0", request.get("input0").withName("output0"));
                outputs.put("output1", request.get("input1").withName("output1"));
                out.add(outputs);
            }
            return out;
        };
        return Deployment.<Map<String, Tensor>, Map<String, Tensor>>builder("mymodel", ctx -> model)
                .signature(signature).resources(r -> r.cpus(0)).build();
    }
}
