package dev.sluice;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.batching.ManualTicker;
import dev.sluice.batching.internal.BatchCostModel;
import java.util.List;
import org.junit.jupiter.api.Test;

/** What a replica does with a failing {@link Model#close()}: log it, and lose nothing the caller relies on. */
class ReplicaCloseTest {

    @Test
    @SuppressWarnings("try") // a close that throws InterruptedException is what this test is about
    void aModelCloseInterruptedKeepsTheClosingThreadsInterruptStatus() {
        Replica<Integer, Integer> replica = new Replica<>("d#1", 1, 1, new ManualTicker(), new BatchCostModel());
        Model<Integer, Integer> model = new Model<>() {
            @Override
            public List<Integer> predict(List<Integer> batch) {
                return batch;
            }

            @Override
            public void close() throws InterruptedException {
                throw new InterruptedException("interrupted while freeing the session");
            }
        };

        boolean closed;
        try {
            closed = replica.closeModelAfterLastBatch(model).isDone();
        } finally {
            assertTrue(Thread.interrupted(), "the interrupt a model's close reported was swallowed");
        }
        assertTrue(closed, "the close completes all the same");
    }
}
