package dev.sluice.batching.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.sluice.batching.DynamicBatcher;
import org.junit.jupiter.api.Test;

class BatcherAccessTest {

    @Test
    void theWorkerBuilderIsReachableFromTheInternalPackage() {
        WorkerBatcher<Integer, Integer> b = WorkerBatcher.<Integer, Integer>builder().name("door").buildWithWorkers();
        try {
            assertEquals(0, b.workers());
        } finally {
            b.close();
        }
    }

    @Test
    void theDoorOpensOnlyOnce() {
        DynamicBatcher.Builder<Integer, Integer> opened = WorkerBatcher.builder();
        assertThrows(IllegalStateException.class, () -> BatcherAccess.open(BatcherAccess.door()));
        assertEquals(opened.getClass(), WorkerBatcher.builder().getClass());
    }
}
