package dev.sluice.spring.oip;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.DictionaryEntries;
import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.sluice.Sluice;
import java.io.ByteArrayInputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Fuzzes the binary tensor data extension's request reader through {@link OpenInferenceProtocol#infer}: the JSON
 * header and the binary data after it, and the {@value OpenInferenceProtocol#INFERENCE_HEADER_CONTENT_LENGTH}
 * header that splits them, checked by {@link RestOutcomes} (which also checks a binary answer's sizes add up). The
 * model is {@link JsonRequestFuzzTest}'s: the specification's example, answering its inputs back.
 *
 * <p>An input's first four bytes are the header's value, a big-endian int written in decimal (so it can be
 * negative, or larger than the body), or no header at all when they are {@link Integer#MAX_VALUE}; the rest is
 * the body. Seeds: valid binary requests in {@code BinaryRequestFuzzTestInputs/binaryRequest/} (binary and mixed
 * inputs, outputs asked for as binary and not). How it runs: see {@link JsonRequestFuzzTest}.
 */
class BinaryRequestFuzzTest {
    private static Sluice sluice;
    private static OpenInferenceProtocol protocol;

    @BeforeAll
    static void start() throws Exception {
        sluice = JsonRequestFuzzTest.runtime();
        protocol = JsonRequestFuzzTest.protocol(sluice);
    }

    @AfterAll
    static void stop() {
        sluice.close();
    }

    @DictionaryEntries({"\"inputs\"", "\"outputs\"", "\"name\"", "\"shape\"", "\"datatype\"", "\"data\"",
        "\"parameters\"", "\"input0\"", "\"input1\"", "\"output0\"", "\"output1\"", "\"binary_data_size\"",
        "\"binary_data\"", "\"binary_data_output\"", "\"BOOL\"", "\"UINT32\"", "\"BYTES\"", "\"FP16\"", "\"INT64\"",
        "true", "false", "-1", "4294967296", "18446744073709551615"})
    @Timeout(10)
    @FuzzTest(maxDuration = "30s")
    void binaryRequest(byte[] input) {
        RestOutcomes.check(input, () -> send(input));
    }

    /** The seeds are requests the server serves (so fuzzing starts from what a client sends, not from refusals). */
    @Test
    void theSeedsAreServed() throws Exception {
        Path seeds = Path.of(BinaryRequestFuzzTest.class.getResource("BinaryRequestFuzzTestInputs/binaryRequest").toURI());
        List<Path> files;
        try (Stream<Path> list = Files.list(seeds)) {
            files = list.sorted().toList();
        }
        assertThat(files).hasSizeGreaterThanOrEqualTo(4);
        for (Path seed : files) {
            OipResponse r = send(Files.readAllBytes(seed)).get(10, TimeUnit.SECONDS);
            assertThat(r.status()).as(seed.getFileName() + ": " + r).isEqualTo(200);
        }
    }

    /** {@code input} as a request: its first four bytes the header (see the class comment), the rest the body. */
    private static CompletableFuture<OipResponse> send(byte[] input) {
        String header = null;
        byte[] body = input;
        if (input.length >= 4) {
            int value = ByteBuffer.wrap(input, 0, 4).getInt();
            header = value == Integer.MAX_VALUE ? null : Integer.toString(value);
            body = Arrays.copyOfRange(input, 4, input.length);
        }
        return protocol.infer("mymodel", null, new ByteArrayInputStream(body), body.length, header);
    }
}
