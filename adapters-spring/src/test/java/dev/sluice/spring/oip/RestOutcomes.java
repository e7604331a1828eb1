package dev.sluice.spring.oip;

import com.sun.management.ThreadMXBean;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The oracle of the REST request readers' fuzz targets: what {@link OpenInferenceProtocol#infer} may answer to
 * any bytes. A target is one call, {@code RestOutcomes.check(body, () -> protocol.infer(...))}, over a runtime
 * whose fake model answers every request it is given.
 *
 * <p>Allowed: 200 with a JSON object holding {@code outputs}; 400 or 413 with {@code {"error": "..."}} saying what
 * was wrong; 504 likewise (a request may ask for a {@code timeout_ms} too short to be served). Not allowed, each
 * an {@link AssertionError} naming the input: an exception out of {@code infer}, any other status (a 500 is the
 * reader failing where it should have refused), no answer within {@link #ANSWER_WITHIN}, and more memory
 * allocated on the calling thread (which reads and parses the body) than {@link #allocationBound} of the
 * body's size, twice in a row (the first run of a new path loads classes).
 */
final class RestOutcomes {
    /** The longest a request may take to be answered (the fake model answers at once). */
    static final Duration ANSWER_WITHIN = Duration.ofSeconds(5);
    private static final Set<Integer> REFUSALS = Set.of(400, 413, 504);
    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final ThreadMXBean THREADS = (ThreadMXBean) ManagementFactory.getThreadMXBean();

    private RestOutcomes() {}

    /**
     * The most a request of {@code bodyBytes} may allocate while it is read: 4 MiB and 1 KiB a byte. Loose on
     * purpose: while fuzzing, Jazzer's hooks on string comparisons allocate on the calling thread too (a 4 KB body
     * of repeated field names measured 530 KB there, 48 KB without them), so this catches a declared size that
     * makes the reader allocate megabytes for a few bytes, not a constant factor.
     */
    static long allocationBound(int bodyBytes) {
        return 4 * 1024 * 1024 + 1024L * bodyBytes;
    }

    /** Runs {@code request} (the body {@code input} sent) and checks its answer. */
    static void check(byte[] input, Supplier<CompletableFuture<OipResponse>> request) {
        long allocated = allocatedBy(input, request);
        if (allocated > allocationBound(input.length) && allocatedBy(input, request) > allocationBound(input.length)) {
            throw new AssertionError("reading " + input.length + " bytes allocated " + allocated
                    + " bytes, over the bound of " + allocationBound(input.length) + describe(input));
        }
    }

    /** Bytes allocated on this thread while {@code request} was made; checks the answer that came. */
    private static long allocatedBy(byte[] input, Supplier<CompletableFuture<OipResponse>> request) {
        long before = THREADS.getCurrentThreadAllocatedBytes();
        CompletableFuture<OipResponse> answer;
        try {
            answer = request.get();
        } catch (RuntimeException e) {
            throw new AssertionError("infer threw instead of answering" + describe(input), e);
        }
        long allocated = THREADS.getCurrentThreadAllocatedBytes() - before;
        OipResponse r;
        try {
            r = answer.get(ANSWER_WITHIN.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            throw new AssertionError("no answer within " + ANSWER_WITHIN + describe(input));
        } catch (ExecutionException e) {
            throw new AssertionError("the answer failed instead of being a response" + describe(input), e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
        checkResponse(input, r);
        return allocated;
    }

    private static void checkResponse(byte[] input, OipResponse r) {
        JsonNode body;
        try {
            body = JSON.readTree(json(input, r));
        } catch (JacksonException e) {
            throw new AssertionError("the " + r.status() + " response's body is not JSON: " + r + describe(input), e);
        }
        if (r.status() == 200) {
            if (body == null || !body.path("outputs").isArray()) {
                throw new AssertionError("a 200 without outputs: " + r + describe(input));
            }
        } else if (REFUSALS.contains(r.status())) {
            JsonNode error = body == null ? null : body.get("error");
            if (error == null || !error.isString() || error.asString().isBlank()) {
                throw new AssertionError("a " + r.status() + " without an error message: " + r + describe(input));
            }
        } else {
            throw new AssertionError("status " + r.status() + " is neither 200 nor a refusal of the input (400, "
                    + "413, 504): " + r + describe(input));
        }
    }

    /**
     * The response's JSON: all of its body, or with binary tensor data the first
     * {@value OpenInferenceProtocol#INFERENCE_HEADER_CONTENT_LENGTH} bytes, whose outputs' {@code binary_data_size}
     * must then add up to the bytes after them.
     */
    private static byte[] json(byte[] input, OipResponse r) {
        String header = r.headers().get(OpenInferenceProtocol.INFERENCE_HEADER_CONTENT_LENGTH);
        if (header == null) {
            return r.body();
        }
        int length = Integer.parseInt(header);
        if (r.status() != 200 || length < 0 || length > r.body().length
                || !OipResponse.BINARY_CONTENT_TYPE.equals(r.contentType())) {
            throw new AssertionError("a binary answer that is not a 200 of " + OipResponse.BINARY_CONTENT_TYPE
                    + " with its JSON's length in the body: " + r + describe(input));
        }
        byte[] json = Arrays.copyOf(r.body(), length);
        long sizes = 0;
        for (JsonNode o : JSON.readTree(json).path("outputs")) {
            sizes += o.path("parameters").path("binary_data_size").asLong(0);
        }
        if (sizes != r.body().length - length) {
            throw new AssertionError("the binary outputs' sizes add up to " + sizes + " bytes, the answer has "
                    + (r.body().length - length) + " after its JSON" + describe(input));
        }
        return json;
    }

    /** The input, for a failure's message, in hex (Jazzer keeps the whole input as a file too). */
    private static String describe(byte[] input) {
        int shown = Math.min(input.length, 512);
        String hex = HexFormat.of().formatHex(input, 0, shown);
        return "\n  input (" + input.length + " bytes" + (shown < input.length ? ", the first " + shown : "")
                + "): " + hex;
    }
}
