package dev.sluice.batching;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class ManualTickerTest {

    @Test
    void standsStillUntilMoved() {
        ManualTicker t = new ManualTicker();
        long start = t.read();
        assertEquals(start, t.read());
        t.advance(Duration.ofMillis(3));
        assertEquals(start + 3_000_000, t.read());
    }

    @Test
    void setMovesToTheGivenReading() {
        ManualTicker t = new ManualTicker();
        t.set(t.read() + 42);
        t.set(t.read()); // standing still is allowed
        assertEquals(1_000_000_042L, t.read());
    }

    @Test
    void neverGoesBackwards() {
        ManualTicker t = new ManualTicker();
        long before = t.read();
        assertThrows(IllegalArgumentException.class, () -> t.advance(Duration.ofNanos(-1)));
        assertThrows(IllegalArgumentException.class, () -> t.set(before - 1));
        assertThrows(NullPointerException.class, () -> t.advance(null));
        assertEquals(before, t.read(), "a refused move changes nothing");
    }

    @Test
    void movesFromManyThreadsAllCount() throws Exception {
        ManualTicker t = new ManualTicker();
        long start = t.read();
        List<CompletableFuture<Void>> movers = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            movers.add(CompletableFuture.runAsync(() -> {
                for (int j = 0; j < 10_000; j++) {
                    t.advance(Duration.ofNanos(1));
                }
            }));
        }
        CompletableFuture.allOf(movers.toArray(new CompletableFuture[0])).get(10, TimeUnit.SECONDS);
        assertEquals(start + 40_000, t.read());
    }

    @Test
    void everyMoveRunsTheRegisteredWakeUpsUntilTheirRegistrationCloses() {
        ManualTicker t = new ManualTicker();
        AtomicInteger woken = new AtomicInteger();
        ManualTicker.Registration r = t.onAdvance(woken::incrementAndGet);
        t.advance(Duration.ofMillis(1));
        t.set(t.read() + 1);
        assertEquals(2, woken.get());
        r.close();
        t.advance(Duration.ofMillis(1));
        assertEquals(2, woken.get(), "not told after its registration closed");
    }

    @Test
    void aBatcherWaitingForTimeIsWokenByAMoveAndLeavesNoWakeUpBehindOnceClosed() throws Exception {
        ManualTicker t = new ManualTicker();
        DynamicBatcher<Integer, Integer> b = DynamicBatcher.builder(new RecordingFunction()).name("woken")
                .ticker(t).policy(BatchPolicy.fixed()).maxBatchSize(8).maxDelay(Duration.ofSeconds(1)).build();
        assertEquals(1, t.registrations());
        CompletableFuture<Integer> f = b.submit(4);
        DynamicBatcherTest.awaitFormerParkedWithoutTimeout("woken");

        t.advance(Duration.ofSeconds(1));

        assertEquals(8, f.get(10, TimeUnit.SECONDS), "dispatched once maxDelay passed on the ticker");
        b.close();
        assertEquals(0, t.registrations(), "a closed batcher is no longer woken");
    }
}
