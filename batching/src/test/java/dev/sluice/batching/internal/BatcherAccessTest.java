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
    void theDoorOpensOnlyOnceAndAnotherCannotReplaceIt() {
        BatcherAccess.Door stranger = new BatcherAccess.Door() {
            @Override
            public <I, O> DynamicBatcher.Builder<I, O> workerBuilder() {
                throw new AssertionError("a second door was let in");
            }
        };
        assertThrows(IllegalStateException.class, () -> BatcherAccess.open(stranger));
        WorkerBatcher<Integer, Integer> b = WorkerBatcher.<Integer, Integer>builder().name("still").buildWithWorkers();
        b.close();
    }
}
