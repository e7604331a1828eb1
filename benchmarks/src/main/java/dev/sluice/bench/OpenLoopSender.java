package dev.sluice.bench;

import dev.sluice.batching.OverloadedException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Supplier;
import org.HdrHistogram.Recorder;

/**
 * The sending half of an open-loop run: one thread that sends each request at its <em>intended</em> time,
 * taken from a {@link PhasedArrivals} schedule, never waiting for earlier requests to end, and hands every
 * outcome to a {@link Recording} together with that intended time. Latency counted from the intended time
 * rather than the actual send keeps a sender that falls behind (GC pause, slow submit, late wakeup) from
 * hiding queueing delay (coordinated omission); the sender's own lateness is reported to the recording
 * separately.
 *
 * <p>Counters: a future that completes with a value is {@code completed}; one that fails with
 * {@link OverloadedException} is {@code rejected}; any other failure is {@code failed}.
 */
final class OpenLoopSender {

    /** Hears every request of a run. Must be thread-safe and must not block. */
    interface Recording {
        /** On the sender thread: the request intended at {@code intended} (nanoTime) left {@code lagNanos} late. */
        void sent(long intended, long lagNanos);

        /** On the completing thread: it completed with a value {@code latencyNanos} after {@code intended}. */
        void completed(long intended, long latencyNanos);
    }

    /** Records latency and sender lag of the requests intended at or after {@code from} (nanoTime). */
    static Recording measuredFrom(long from, Recorder latency, Recorder lag) {
        return new Recording() {
            @Override
            public void sent(long intended, long lagNanos) {
                if (intended >= from) {
                    lag.recordValue(lagNanos);
                }
            }

            @Override
            public void completed(long intended, long latencyNanos) {
                if (intended >= from) {
                    latency.recordValue(latencyNanos);
                }
            }
        };
    }

    final LongAdder completed = new LongAdder();
    final LongAdder rejected = new LongAdder();
    final LongAdder failed = new LongAdder();
    private final AtomicLong outstanding = new AtomicLong();
    private final Thread thread;

    /**
     * @param threadName the sender thread's name
     * @param arrivals the schedule, as offsets from {@code startNanoTime}
     * @param startNanoTime {@link System#nanoTime()} of the schedule's zero
     * @param spinNanos the sender parks until this long before a send, then spins (0: park only)
     * @param submit sends one request and returns its future; called on the sender thread only
     * @param recording hears every send and completion
     */
    OpenLoopSender(String threadName, PhasedArrivals arrivals, long startNanoTime, long spinNanos,
            Supplier<? extends CompletableFuture<?>> submit, Recording recording) {
        this.thread = new Thread(() -> {
            while (true) {
                long offset = arrivals.nextArrivalNanos();
                if (offset == PhasedArrivals.END) {
                    return;
                }
                long intended = startNanoTime + offset;
                dev.sluice.testing.FakeModel.sleepUntil(intended, spinNanos);
                recording.sent(intended, Math.max(0, System.nanoTime() - intended));
                outstanding.incrementAndGet();
                submit.get().whenComplete((v, e) -> {
                    long now = System.nanoTime();
                    if (e == null) {
                        completed.increment();
                        recording.completed(intended, now - intended);
                    } else if (unwrap(e) instanceof OverloadedException) {
                        rejected.increment();
                    } else {
                        failed.increment();
                    }
                    outstanding.decrementAndGet();
                });
            }
        }, threadName);
    }

    static Throwable unwrap(Throwable e) {
        return e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
    }

    void start() {
        thread.start();
    }

    /** Waits until the last request of the schedule has been sent. */
    void join() throws InterruptedException {
        thread.join();
    }

    /** Requests sent and not yet ended. */
    long outstanding() {
        return outstanding.get();
    }

    /** Waits at most {@code timeoutNanos} for every sent request to end; true if they all did. */
    boolean awaitOutstanding(long timeoutNanos) throws InterruptedException {
        long deadline = System.nanoTime() + timeoutNanos;
        while (outstanding.get() > 0) {
            if (System.nanoTime() - deadline >= 0) {
                return false;
            }
            TimeUnit.MILLISECONDS.sleep(5);
        }
        return true;
    }
}
