package dev.sluice.batching;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.III_Result;

/**
 * The claim of {@link Admission#close}: a producer submits while the batcher closes. The producer counts itself
 * into {@code queued} and then reads the closing flag; the closer sets the flag and then reads {@code queued},
 * which its former waits to see reach zero before it stops. r1: the producer's request was admitted (1) or
 * refused (0); r2: the closer saw a producer counted in (1) or none (0); r3: how often the producer woke the
 * closing former as it gave its admission back.
 */
@JCStressTest
@Outcome(id = "1, 0, .*", expect = FORBIDDEN,
        desc = "Admitted behind the closer's back: the former stops and the request is never drained")
@Outcome(id = "0, 1, 0", expect = FORBIDDEN,
        desc = "The closer saw the producer, which then backed out without waking it: the former parks for good")
@Outcome(id = "1, 1, 0", expect = ACCEPTABLE, desc = "Admitted before the flag; the closer waits for it")
@Outcome(id = "0, 0, 0", expect = ACCEPTABLE, desc = "The producer saw the flag before counting itself in")
@Outcome(id = "0, 0, 1", expect = ACCEPTABLE,
        desc = "The producer counted itself in, saw the flag and gave the admission back before the closer looked")
@Outcome(id = "0, 1, 1", expect = ACCEPTABLE,
        desc = "The closer saw the producer counted in; the producer saw the flag, backed out and woke it")
@State
public class AdmissionCloseStress {
    private final AtomicInteger queued = new AtomicInteger();
    private final AtomicInteger wakes = new AtomicInteger();
    private final Admission<Integer, Integer> admission;

    public AdmissionCloseStress() {
        Workers<Integer, Integer> workers = new Workers<>();
        GuardedObserver observer = new GuardedObserver("stress", BatchObserver.none());
        Ticker ticker = Ticker.system();
        RequestQueue<Integer, Integer> queue = new RequestQueue<>("stress", 4, 1, queued, workers, observer, ticker);
        Admission.Former former = new Admission.Former() {
            @Override
            public void unparkFormer() {}

            @Override
            public void unparkFormerIfParked() {
                wakes.incrementAndGet();
            }

            @Override
            public boolean dispatchOnArrival() {
                return false;
            }
        };
        // The fence stays RUNNING (the former is busy), and no delay bound: the producer's only decisions are the
        // ones under test.
        admission = new Admission<>(null, former, "stress", 4, 1, queued, queue, new PublishParkFence(), workers,
                new QueueDelayAdmission("stress", -1, null, null), observer, ticker, false);
    }

    @Actor
    public void producer(III_Result r) {
        CompletableFuture<Integer> f = admission.submit(1, null);
        r.r1 = f.isDone() ? 0 : 1;
    }

    @Actor
    public void closer(III_Result r) {
        admission.close();
        r.r2 = queued.get() > 0 ? 1 : 0;
    }

    @Arbiter
    public void wakes(III_Result r) {
        r.r3 = wakes.get();
    }
}
