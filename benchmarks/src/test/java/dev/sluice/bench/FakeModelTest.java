package dev.sluice.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class FakeModelTest {

    @Test
    void capacityIsFullBatchesBackToBack() {
        FakeModel<Integer> m = new FakeModel<>(2_000_000, 50_000, 0);
        assertEquals(64 / 0.0052, m.capacity(64), 1e-6);
        assertEquals(1 / 0.00205, m.capacity(1), 1e-6);
        assertThrows(IllegalArgumentException.class, () -> m.capacity(0));
    }

    @Test
    void aSlowerModelScalesBothCosts() {
        FakeModel<Integer> m = new FakeModel<>(10_000_000, 500_000, 0);
        FakeModel<Integer> slow = m.slowerBy(3);
        assertEquals(30_000_000, slow.batchNanos(0));
        assertEquals(30_000_000 + 32 * 1_500_000, slow.batchNanos(32));
        assertEquals(m.capacity(32) / 3, slow.capacity(32), 1e-9);
        assertThrows(IllegalArgumentException.class, () -> m.slowerBy(0));
        assertThrows(IllegalArgumentException.class, () -> m.slowerBy(Double.NaN));
    }
}
