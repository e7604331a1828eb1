package dev.sluice.batching;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.II_Result;

/**
 * The claim of {@link PublishParkFence}: a producer publishes a request into the real {@link RequestRing}
 * and reads what the former announced, while the former announces a park and takes its last look at the
 * ring. At least one of them must see the other. r1: the producer saw a park announced (1) or the former
 * running (0); r2: the former's last look found the request (1) or not (0).
 */
@JCStressTest
@Outcome(id = "0, 0", expect = FORBIDDEN,
        desc = "Lost wake-up: the producer saw the former running, and the former's last look missed the request")
@Outcome(id = "1, 0", expect = ACCEPTABLE, desc = "The producer saw the announced park (it wakes the former)")
@Outcome(id = "0, 1", expect = ACCEPTABLE, desc = "The former's last look found the request")
@Outcome(id = "1, 1", expect = ACCEPTABLE, desc = "Both saw each other")
@State
public class PublishParkFenceStress {
    private final PublishParkFence fence = new PublishParkFence();
    /** Written by the sink, which runs on the former's actor only. */
    private int found;
    private final RequestRing<Integer, Integer> ring = new RequestRing<>(1, r -> found++);
    private final PendingRequest<Integer, Integer> request = new PendingRequest<>(null, 1, 0, Long.MAX_VALUE, null);

    @Actor
    public void producer(II_Result r) {
        ring.publish(request);
        r.r1 = fence.stateAfterPublish() != PublishParkFence.RUNNING ? 1 : 0;
    }

    @Actor
    public void former(II_Result r) {
        fence.announce(PublishParkFence.AWAIT_ARRIVAL, Long.MAX_VALUE);
        ring.poll();
        r.r2 = found;
    }
}
