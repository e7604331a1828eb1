package dev.sluice.bench;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class OpenLoopDriverTest {

    @Test
    void analyticLimitOfTheReferenceModel() {
        // 64 / (2 ms + 64 * 0.05 ms) = 64 / 5.2 ms
        double limit = OpenLoopDriver.analyticCapacity(64, 2_000_000, 50_000, 1);
        assertEquals(12_307.69, limit, 0.01);
        assertEquals(2 * limit, OpenLoopDriver.analyticCapacity(64, 2_000_000, 50_000, 2), 1e-6);
        assertEquals(limit, new OpenLoopDriver.Options().analyticLimit(), 1e-6);
    }

    @Test
    void fakeModelBatchTime() {
        FakeModel<Integer> m = new FakeModel<>(2_000_000, 50_000, 0);
        assertEquals(2_050_000, m.batchNanos(1));
        assertEquals(5_200_000, m.batchNanos(64));
    }

    @Test
    void fakeModelReturnsItsInputs() {
        FakeModel<Integer> m = new FakeModel<>(1_000, 10, 1_000);
        assertEquals(List.of(1, 2, 3), m.apply(List.of(1, 2, 3)));
    }

    @Test
    void optionsParse() {
        OpenLoopDriver.Options o = OpenLoopDriver.Options.parse(new String[] {
            "--policies", "eager,adaptive", "--loads", "0.2,0.8", "--saturation", "none",
            "--max-batch", "32", "--fixed-us", "1000", "--per-item-us", "25", "--repeat", "2"});
        assertEquals(List.of("eager", "adaptive"), o.policies);
        assertArrayEquals(new double[] {0.2, 0.8}, o.loads);
        assertEquals(List.of(), o.saturation);
        assertEquals(2, o.repeat);
        assertEquals(32 * 1e9 / (1_000_000 + 25_000 * 32.0), o.analyticLimit(), 1e-6);
        assertThrows(IllegalArgumentException.class, () -> OpenLoopDriver.Options.parse(new String[] {"--policies", "lazy"}));
        assertThrows(IllegalArgumentException.class, () -> OpenLoopDriver.Options.parse(new String[] {"--bogus", "1"}));
        assertThrows(IllegalArgumentException.class, () -> OpenLoopDriver.Options.parse(new String[] {"--loads"}));
    }

    @Test
    void median() {
        assertEquals(2, OpenLoopDriver.median(new double[] {3, 1, 2}));
        assertEquals(2.5, OpenLoopDriver.median(new double[] {4, 1, 3, 2}));
    }

    @Test
    void everyTargetReturnsTheInput() throws Exception {
        for (String impl : List.of("sluice", "lbq", "mpsc", "direct")) {
            try (Target<Integer, Integer> t = Target.create(impl, OverheadBenchmark.NO_OP, 32, 4096)) {
                CompletableFuture<?>[] fs = new CompletableFuture<?>[1000];
                for (int i = 0; i < fs.length; i++) {
                    fs[i] = t.submit(i);
                }
                for (int i = 0; i < fs.length; i++) {
                    assertEquals(i, fs[i].get(20, TimeUnit.SECONDS), impl);
                }
            }
        }
    }
}
