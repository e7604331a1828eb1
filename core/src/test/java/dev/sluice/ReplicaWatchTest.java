package dev.sluice;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.batching.internal.BatchCostModel;
import dev.sluice.batching.ManualTicker;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The watchdog and health-check decisions of one replica, without threads: the test moves the clock. */
class ReplicaWatchTest {
    private final ManualTicker clock = new ManualTicker();
    private final Deployment<Integer, Integer> config = Deployment.builder("d", Fixtures.doubler())
            .watchdog(Duration.ofSeconds(2)).healthCheck(Duration.ofSeconds(1), Duration.ofMillis(500)).build();

    private Replica<Integer, Integer> running() {
        Replica<Integer, Integer> r = new Replica<>("d#1", 1, 1, clock, new BatchCostModel());
        r.state = Replica.State.RUNNING;
        r.nextHealthCheckAt = clock.read() + Duration.ofSeconds(1).toNanos();
        return r;
    }

    private ReplicaWatch.Verdict check(Replica<Integer, Integer> r) {
        return ReplicaWatch.check(r, config, clock.read());
    }

    @Test
    void aHealthCheckIsDueOncePerPeriodAndNotStartedTwice() {
        Replica<Integer, Integer> r = running();
        assertEquals(ReplicaWatch.Action.NONE, check(r).action());
        clock.advance(Duration.ofSeconds(1));
        assertEquals(ReplicaWatch.Action.START_HEALTH_CHECK, check(r).action());
        assertNotNull(r.healthCheck);
        assertEquals(ReplicaWatch.Action.NONE, check(r).action(), "its answer is awaited, not asked again");
    }

    @Test
    void aHealthyAnswerSchedulesTheNextCheckOnePeriodLater() {
        Replica<Integer, Integer> r = running();
        clock.advance(Duration.ofSeconds(1));
        check(r);
        r.healthCheck.complete(null);
        assertEquals(ReplicaWatch.Action.NONE, check(r).action());
        assertNull(r.healthCheck);
        assertEquals(clock.read() + Duration.ofSeconds(1).toNanos(), r.nextHealthCheckAt);
    }

    @Test
    void aFailedHealthCheckLosesTheReplicaSayingWhy() {
        Replica<Integer, Integer> r = running();
        clock.advance(Duration.ofSeconds(1));
        check(r);
        r.healthCheck.complete("isHealthy() returned false");
        ReplicaWatch.Verdict v = check(r);
        assertEquals(ReplicaWatch.Action.LOST, v.action());
        assertEquals("it failed its health check: isHealthy() returned false", v.why());
    }

    @Test
    void aHealthCheckWithNoAnswerWithinItsTimeoutLosesTheReplica() {
        Replica<Integer, Integer> r = running();
        clock.advance(Duration.ofSeconds(1));
        check(r);
        clock.advance(Duration.ofMillis(499));
        assertEquals(ReplicaWatch.Action.NONE, check(r).action());
        clock.advance(Duration.ofMillis(1));
        ReplicaWatch.Verdict v = check(r);
        assertEquals(ReplicaWatch.Action.LOST, v.action());
        assertTrue(v.why().contains("no answer within 500 ms"), v.why());
    }

    @Test
    void aBatchRunningPastTheWatchdogLosesTheReplicaEvenWhileDraining() throws Exception {
        Replica<Integer, Integer> r = running();
        r.state = Replica.State.DRAINING;
        ReplicaWatch.Verdict[] seen = new ReplicaWatch.Verdict[2];
        // The model looks at the watch from inside its batch: the batch is running at that moment.
        r.run(0, List.of(1), batch -> {
            clock.advance(Duration.ofMillis(1999));
            seen[0] = check(r);
            clock.advance(Duration.ofMillis(1));
            seen[1] = check(r);
            return batch;
        });
        assertEquals(ReplicaWatch.Action.NONE, seen[0].action());
        assertEquals(ReplicaWatch.Action.LOST, seen[1].action());
        assertTrue(seen[1].why().contains("past the watchdog limit of 2000 ms"), seen[1].why());
        assertEquals(ReplicaWatch.Action.NONE, check(r).action(), "no batch runs any more");
    }

    @Test
    void aReplicaNotYetRunningIsNotWatched() {
        Replica<Integer, Integer> r = running();
        r.state = Replica.State.STARTING;
        clock.advance(Duration.ofSeconds(10));
        assertEquals(ReplicaWatch.Action.NONE, check(r).action());
        assertNull(r.healthCheck);
    }
}
