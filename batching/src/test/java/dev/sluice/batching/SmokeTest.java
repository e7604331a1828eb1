package dev.sluice.batching;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class SmokeTest {
    @Test
    void roundTrip() throws Exception {
        try (DynamicBatcher<Integer, Integer> b = DynamicBatcher.builder((List<Integer> in) ->
                in.stream().map(x -> x * 2).collect(Collectors.toList())).maxDelay(Duration.ofMillis(1)).build()) {
            List<CompletableFuture<Integer>> fs = new ArrayList<>();
            for (int i = 0; i < 4000; i++) {
                fs.add(b.submit(i));
            }
            for (int i = 0; i < 4000; i++) {
                assertEquals(2 * i, fs.get(i).get());
            }
            long t = System.nanoTime();
            for (int i = 0; i < 2000; i++) {
                b.submit(i).get();
            }
            System.out.println("round trip avg us " + (System.nanoTime() - t) / 2000 / 1000.0);
        }
    }
}
