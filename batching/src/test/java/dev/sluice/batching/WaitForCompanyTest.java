package dev.sluice.batching;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** Asking the policy whether a free worker waits for company, on the test thread. */
class WaitForCompanyTest {
    private static final long MAX_DELAY = 1_000;
    private final AtomicInteger queued = new AtomicInteger(1);
    private final Workers<Integer, Integer> workers = new Workers<>();
    private BatchPolicy.State seen;

    private WaitForCompany asking(BatchPolicy policy) {
        return new WaitForCompany("w", policy, queued, 8, MAX_DELAY, workers, new ArrivalRate());
    }

    private BatchPolicy answering(long nanos) {
        return state -> {
            seen = state;
            return nanos;
        };
    }

    @Test
    void thePolicysAnswerIsCappedAtWhatIsLeftOfMaxDelay() {
        assertEquals(700, asking(answering(Long.MAX_VALUE)).nanos(1_300, 1_000, false, 0));
        assertEquals(50, asking(answering(50)).nanos(1_300, 1_000, false, 0));
    }

    @Test
    void thePolicySeesTheQueueTheOldestWaitAndTheOtherBatchesRunning() {
        queued.set(3);
        asking(answering(0)).nanos(1_300, 1_000, false, 2);
        assertEquals(3, seen.queued());
        assertEquals(300, seen.oldestWaitNanos());
        assertEquals(2, seen.runningBatches());
        assertEquals(MAX_DELAY, seen.maxDelayNanos());
    }

    @Test
    void nothingWaitsWhenAFullBatchWaitsOrTheBatcherIsClosing() {
        WaitForCompany w = asking(answering(500));
        assertEquals(0, w.nanos(1_000, 1_000, true, 0), "closing");
        queued.set(8);
        assertEquals(0, w.nanos(1_000, 1_000, false, 0), "a full batch");
    }

    @Test
    void aThrowingPolicyMeansDispatchNow() {
        assertEquals(0, asking(state -> {
            throw new IllegalStateException("policy bug");
        }).nanos(1_000, 1_000, false, 0));
    }
}
