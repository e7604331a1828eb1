package dev.sluice.batching;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import dev.sluice.batching.internal.BatchCostCurve;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** Asking the policy how many a free worker takes and whether it waits for company, on the test thread. */
class WaitForCompanyTest {
    private static final long MAX_DELAY = 1_000;
    private final AtomicInteger queued = new AtomicInteger(1);
    private final Workers<Integer, Integer> workers = new Workers<>();
    private final BatchCostCurve curve = new BatchCostCurve(8);
    private BatchPolicy.State seen;

    private WaitForCompany asking(BatchPolicy policy) {
        return new WaitForCompany("w", policy, queued, 8, MAX_DELAY, workers, new ArrivalRate(), curve);
    }

    private BatchPolicy answering(long nanos) {
        return state -> {
            seen = state;
            return nanos;
        };
    }

    /** Waits {@code nanos} unless told otherwise, and takes at most {@code size}. */
    private static BatchPolicy sized(int size, long nanos) {
        return new BatchPolicy() {
            @Override
            public int batchSize(State state) {
                return size;
            }

            @Override
            public long nanosToWait(State state) {
                return nanos;
            }
        };
    }

    @Test
    void thePolicysAnswerIsCappedAtWhatIsLeftOfMaxDelay() {
        assertEquals(700, asking(answering(Long.MAX_VALUE)).nanos(1_300, 1_000, false, 0, 1));
        assertEquals(50, asking(answering(50)).nanos(1_300, 1_000, false, 0, 1));
    }

    @Test
    void thePolicySeesTheQueueTheOldestWaitTheOtherBatchesRunningTheFreeWorkersAndTheCurve() {
        queued.set(3);
        curve.record(2, 500);
        asking(answering(0)).nanos(1_300, 1_000, false, 2, 3);
        assertEquals(3, seen.queued());
        assertEquals(300, seen.oldestWaitNanos());
        assertEquals(2, seen.runningBatches());
        assertEquals(3, seen.freeWorkers());
        assertEquals(MAX_DELAY, seen.maxDelayNanos());
        assertSame(curve.points(), seen.costCurve());
    }

    @Test
    void nothingWaitsWhenAFullBatchWaitsOrTheBatcherIsClosing() {
        WaitForCompany w = asking(answering(500));
        assertEquals(0, w.nanos(1_000, 1_000, true, 0, 1), "closing");
        queued.set(8);
        assertEquals(0, w.nanos(1_000, 1_000, false, 0, 1), "a full batch");
    }

    @Test
    void aFullBatchOfThePolicysSizeGoesAtOnceWhileASmallerOneMayWait() {
        WaitForCompany w = asking(sized(3, 500));
        queued.set(2);
        assertEquals(500, w.nanos(1_000, 1_000, false, 0, 1), "two of three may wait");
        assertEquals(3, w.batchSize());
        queued.set(3);
        assertEquals(0, w.nanos(1_000, 1_000, false, 0, 1), "three of three go at once");
        assertEquals(3, w.batchSize());
    }

    @Test
    void thePolicysSizeIsClampedToOneAndMaxBatchSize() {
        WaitForCompany w = asking(sized(0, 0));
        w.nanos(1_000, 1_000, false, 0, 1);
        assertEquals(1, w.batchSize());
        w = asking(sized(1_000, 0));
        w.nanos(1_000, 1_000, false, 0, 1);
        assertEquals(8, w.batchSize());
    }

    @Test
    void aThrowingPolicyMeansDispatchNow() {
        assertEquals(0, asking(state -> {
            throw new IllegalStateException("policy bug");
        }).nanos(1_000, 1_000, false, 0, 1));
    }

    @Test
    void aPolicyThatThrowsWhenSizingTakesUpToMaxBatchSize() {
        WaitForCompany w = asking(new BatchPolicy() {
            @Override
            public int batchSize(State state) {
                throw new IllegalStateException("policy bug");
            }

            @Override
            public long nanosToWait(State state) {
                return 0;
            }
        });
        w.nanos(1_000, 1_000, false, 0, 1);
        assertEquals(8, w.batchSize());
    }

    @Test
    void eagerAndFixedTakeUpToMaxBatchSizeAndAimForIt() {
        for (BatchPolicy p : new BatchPolicy[] {BatchPolicy.eager(), BatchPolicy.fixed()}) {
            WaitForCompany w = asking(p);
            w.nanos(1_000, 1_000, false, 0, 2);
            assertEquals(8, w.batchSize(), p::toString);
            assertEquals(8, w.targetBatchSize(curve.points()), p::toString);
        }
    }
}
