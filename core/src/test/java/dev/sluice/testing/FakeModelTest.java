package dev.sluice.testing;

import static dev.sluice.batching.TestFutures.failureOf;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.batching.BatchPolicy;
import dev.sluice.batching.DynamicBatcher;
import dev.sluice.batching.ModelException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class FakeModelTest {

    @Test
    void sleepUntilNeverReturnsBeforeItsDeadlineWhetherItParksOrSpins() {
        for (long spin : new long[] {0, 100_000, Long.MAX_VALUE}) {
            long deadline = System.nanoTime() + 1_000_000;
            FakeModel.sleepUntil(deadline, spin);
            assertTrue(System.nanoTime() - deadline >= 0, "spin " + spin);
        }
    }

    @Test
    void sleepUntilReturnsAtOnceForAnInterruptedThreadAndKeepsTheFlag() {
        for (long spin : new long[] {0, Long.MAX_VALUE}) {
            Thread.currentThread().interrupt();
            FakeModel.sleepUntil(System.nanoTime() + TimeUnit.HOURS.toNanos(1), spin);
            assertTrue(Thread.interrupted(), "the flag is kept (and cleared here), spin " + spin);
        }
    }

    @Test
    void computesOneOutputPerInputInOrderAndRecordsEveryBatch() throws Exception {
        FakeModel<String, Integer> model = FakeModel.builder(String::length).build();
        assertEquals(List.of(1, 3), model.predict(List.of("a", "abc")));
        assertEquals(List.of(2), model.predict(List.of("ab")));
        assertEquals(List.of(List.of("a", "abc"), List.of("ab")), model.batches());
        assertEquals(List.of(2, 1), model.batchSizes());
        assertEquals(List.of("a", "abc", "ab"), model.inputsSeen());
    }

    @Test
    void aBatchTakesAtLeastItsFixedPlusPerItemCost() throws Exception {
        FakeModel<Integer, Integer> model = FakeModel.<Integer, Integer>builder(x -> x)
                .cost(Duration.ofMillis(2), Duration.ofMillis(1)).wait(FakeModel.Wait.SPIN).build();
        long start = System.nanoTime();
        model.predict(List.of(1, 2, 3));
        assertTrue(System.nanoTime() - start >= TimeUnit.MILLISECONDS.toNanos(5), "never faster than 2 + 3 x 1 ms");
    }

    @Test
    void failOnFailsTheBatchAndUnderABatcherOnlyThatInput() throws Exception {
        FakeModel<Integer, Integer> model = FakeModel.<Integer, Integer>builder(x -> x * 10).failOn(x -> x == 3).build();
        assertThrows(FakeModel.InjectedFailure.class, () -> model.predict(List.of(1, 3)));

        try (DynamicBatcher<Integer, Integer> batcher = DynamicBatcher.builder(model::predict)
                .policy(BatchPolicy.fixed()).maxBatchSize(4).maxDelay(Duration.ofHours(1)).build()) {
            List<CompletableFuture<Integer>> fs = new ArrayList<>();
            for (int i = 1; i <= 4; i++) {
                fs.add(batcher.submit(i));
            }
            assertEquals(10, fs.get(0).get(10, TimeUnit.SECONDS));
            assertEquals(20, fs.get(1).get(10, TimeUnit.SECONDS));
            assertInstanceOf(FakeModel.InjectedFailure.class, assertInstanceOf(ModelException.class, failureOf(fs.get(2))).getCause());
            assertEquals(40, fs.get(3).get(10, TimeUnit.SECONDS));
        }
    }

    @Test
    void failEveryKthBatchFailsExactlyThoseCalls() throws Exception {
        FakeModel<Integer, Integer> model = FakeModel.<Integer, Integer>builder(x -> x).failEveryKthBatch(3).build();
        List<Boolean> failed = new ArrayList<>();
        for (int i = 0; i < 7; i++) {
            try {
                model.predict(List.of(i));
                failed.add(false);
            } catch (FakeModel.InjectedFailure e) {
                failed.add(true);
            }
        }
        assertEquals(List.of(false, false, true, false, false, true, false), failed);
    }

    @Test
    void hangOnBlocksTheCallUntilReleased() throws Exception {
        FakeModel<Integer, Integer> model = FakeModel.<Integer, Integer>builder(x -> x).hangOn(x -> x < 0).build();
        CompletableFuture<List<Integer>> call = new CompletableFuture<>();
        Thread t = new Thread(() -> {
            try {
                call.complete(model.predict(List.of(1, -1)));
            } catch (Exception e) {
                call.completeExceptionally(e);
            }
        });
        t.start();
        for (int i = 0; i < 400 && t.getState() != Thread.State.WAITING; i++) {
            Thread.sleep(5);
        }
        assertEquals(Thread.State.WAITING, t.getState(), "the call hangs");
        model.releaseHangs();
        assertEquals(List.of(1, -1), call.get(10, TimeUnit.SECONDS));
    }

    @Test
    void aClosedModelRefusesBatchesAndReleasesHangs() {
        FakeModel<Integer, Integer> model = FakeModel.<Integer, Integer>builder(x -> x).build();
        model.close();
        assertTrue(model.isClosed());
        assertThrows(IllegalStateException.class, () -> model.predict(List.of(1)));
    }

    @Test
    void nonsenseIsRejectedNamingTheField() {
        FakeModel.Builder<Integer, Integer> b = FakeModel.builder(x -> x);
        assertTrue(assertThrows(IllegalArgumentException.class, () -> b.cost(Duration.ofMillis(-1), Duration.ZERO))
                .getMessage().startsWith("fixed "));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> b.cost(Duration.ZERO, Duration.ofMillis(-1)))
                .getMessage().startsWith("perItem "));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> b.failEveryKthBatch(0))
                .getMessage().startsWith("failEveryKthBatch "));
        assertEquals("failOn", assertThrows(NullPointerException.class, () -> b.failOn(null)).getMessage());
    }
}
