package dev.sluice.batching;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class BuilderTest {
    private static final BatchFunction<Integer, Integer> IDENTITY = in -> in;

    static Stream<Arguments> nonsense() {
        return Stream.of(
                Arguments.of("maxBatchSize", (Consumer<DynamicBatcher.Builder<Integer, Integer>>) b -> b.maxBatchSize(0)),
                Arguments.of("maxBatchSize", (Consumer<DynamicBatcher.Builder<Integer, Integer>>) b -> b.maxBatchSize(-5)),
                Arguments.of("queueCapacity", (Consumer<DynamicBatcher.Builder<Integer, Integer>>) b -> b.queueCapacity(0)),
                Arguments.of("queueCapacity", (Consumer<DynamicBatcher.Builder<Integer, Integer>>) b -> b.queueCapacity(Integer.MAX_VALUE)),
                Arguments.of("maxDelay", (Consumer<DynamicBatcher.Builder<Integer, Integer>>) b -> b.maxDelay(Duration.ofMillis(-1))),
                Arguments.of("maxDelay", (Consumer<DynamicBatcher.Builder<Integer, Integer>>) b -> b.maxDelay(Duration.ofDays(2))),
                Arguments.of("maxConcurrentBatches", (Consumer<DynamicBatcher.Builder<Integer, Integer>>) b -> b.maxConcurrentBatches(0)),
                Arguments.of("closeGracePeriod", (Consumer<DynamicBatcher.Builder<Integer, Integer>>) b -> b.closeGracePeriod(Duration.ofSeconds(-1))),
                Arguments.of("name", (Consumer<DynamicBatcher.Builder<Integer, Integer>>) b -> b.name("  ")));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("nonsense")
    void nonsenseIsRejectedNamingTheField(String field, Consumer<DynamicBatcher.Builder<Integer, Integer>> setter) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> setter.accept(DynamicBatcher.builder(IDENTITY)));
        assertTrue(e.getMessage().startsWith(field + " "), e.getMessage());
    }

    @Test
    void nullsAreRejectedNamingTheField() {
        DynamicBatcher.Builder<Integer, Integer> b = DynamicBatcher.builder(IDENTITY);
        assertEquals("function", assertThrows(NullPointerException.class, () -> DynamicBatcher.builder(null)).getMessage());
        assertEquals("maxDelay", assertThrows(NullPointerException.class, () -> b.maxDelay(null)).getMessage());
        assertEquals("executor", assertThrows(NullPointerException.class, () -> b.executor(null)).getMessage());
        assertEquals("policy", assertThrows(NullPointerException.class, () -> b.policy(null)).getMessage());
        assertEquals("observer", assertThrows(NullPointerException.class, () -> b.observer(null)).getMessage());
        assertEquals("ticker", assertThrows(NullPointerException.class, () -> b.ticker(null)).getMessage());
    }

    @Test
    void edgeValuesAreAccepted() throws Exception {
        try (DynamicBatcher<Integer, Integer> b = DynamicBatcher.builder(IDENTITY)
                .maxBatchSize(1).queueCapacity(1).maxDelay(Duration.ZERO).maxConcurrentBatches(1)
                .closeGracePeriod(Duration.ZERO).build()) {
            assertEquals(7, b.submit(7).get());
        }
    }

    @Test
    void theDefaultsAreTheDocumentedOnes() {
        DynamicBatcher.Builder<Integer, Integer> b = DynamicBatcher.builder(IDENTITY);
        assertEquals(32, b.maxBatchSize);
        assertEquals(Duration.ofMillis(2), b.maxDelay);
        assertEquals(4096, b.queueCapacity);
        assertEquals(1, b.maxConcurrentBatches);
        assertTrue(b.isolateFailures);
        assertEquals(Duration.ofSeconds(30), b.closeGracePeriod);
    }

    @Test
    void ringIsAPowerOfTwoAboveTheCapacity() {
        for (int capacity : List.of(1, 2, 3, 4, 5, 1000, 4096, 4097)) {
            int size = RequestRing.sizeFor(capacity);
            assertEquals(1, Integer.bitCount(size), "power of two for " + capacity);
            assertTrue(size >= 2 * capacity, size + " for " + capacity);
        }
    }
}
