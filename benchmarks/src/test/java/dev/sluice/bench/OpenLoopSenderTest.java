package dev.sluice.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.batching.OverloadedException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.HdrHistogram.Recorder;
import org.junit.jupiter.api.Test;

class OpenLoopSenderTest {

    @Test
    void sendsTheWholeScheduleAndSortsOutcomes() throws Exception {
        PhasedArrivals arrivals = PhasedArrivals.constant(20_000, TimeUnit.MILLISECONDS.toNanos(100), 9);
        int expected = 0;
        PhasedArrivals copy = PhasedArrivals.constant(20_000, TimeUnit.MILLISECONDS.toNanos(100), 9);
        while (copy.nextArrivalNanos() != PhasedArrivals.END) {
            expected++;
        }
        AtomicInteger n = new AtomicInteger();
        ConcurrentLinkedQueue<Long> latencies = new ConcurrentLinkedQueue<>();
        AtomicInteger sent = new AtomicInteger();
        OpenLoopSender.Recording recording = new OpenLoopSender.Recording() {
            @Override
            public void sent(long intended, long lagNanos) {
                assertTrue(lagNanos >= 0);
                sent.incrementAndGet();
            }

            @Override
            public void completed(long intended, long latencyNanos) {
                latencies.add(latencyNanos);
            }
        };
        // Every third request is refused as overloaded, every fifth fails otherwise, the rest succeed.
        OpenLoopSender s = new OpenLoopSender("test-sender", arrivals, System.nanoTime(), 0, () -> {
            int i = n.incrementAndGet();
            return i % 3 == 0 ? CompletableFuture.failedFuture(new OverloadedException("test", 1))
                    : i % 5 == 0 ? CompletableFuture.failedFuture(new IllegalStateException("boom"))
                    : CompletableFuture.completedFuture(i);
        }, recording);
        s.start();
        s.join();
        assertTrue(s.awaitOutstanding(TimeUnit.SECONDS.toNanos(10)));
        assertEquals(expected, n.get());
        assertEquals(expected, sent.get());
        long rejected = expected / 3;
        long failed = expected / 5 - expected / 15;
        assertEquals(rejected, s.rejected.sum());
        assertEquals(failed, s.failed.sum());
        assertEquals(expected - rejected - failed, s.completed.sum());
        assertEquals(s.completed.sum(), latencies.size());
        assertEquals(0, s.outstanding());
    }

    @Test
    void measuredFromIgnoresEarlierRequests() {
        Recorder latency = new Recorder(3);
        Recorder lag = new Recorder(3);
        OpenLoopSender.Recording r = OpenLoopSender.measuredFrom(1_000, latency, lag);
        r.sent(999, 5);
        r.completed(999, 50);
        r.sent(1_000, 7);
        r.completed(1_000, 70);
        r.completed(2_000, 80);
        assertEquals(1, lag.getIntervalHistogram().getTotalCount());
        assertEquals(2, latency.getIntervalHistogram().getTotalCount());
    }
}
