package dev.sluice.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.batching.ManualTicker;
import dev.sluice.batching.OverloadedException;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/**
 * A pipeline's admission by expected latency, on a manual clock: a step whose futures the test completes,
 * so "how long a request took" and "how many were in flight" are exact, and the bound's arithmetic can be
 * checked to the request.
 */
class PipelineAdmissionTest {
    private final ManualTicker ticker = new ManualTicker();
    /** Deadline timers never fire on their own: the manual clock is the only time here. */
    private final PipelineTest.ManualScheduler scheduler = new PipelineTest.ManualScheduler();
    /** The step's outstanding calls, oldest first; the test ends them. */
    private final Deque<CompletableFuture<Integer>> calls = new ArrayDeque<>();

    private Pipeline<Integer, Integer> pipeline(Consumer<Pipeline.Builder<Integer>> options) {
        Pipeline.Builder<Integer> b = Pipeline.<Integer>builder("p").ticker(ticker).scheduler(scheduler);
        options.accept(b);
        Ref<Integer> out = b.step("model").run(Task.async((Integer x) -> {
            CompletableFuture<Integer> call = new CompletableFuture<>();
            calls.add(call);
            return call;
        }), b.input());
        return b.build(out);
    }

    /** {@code runs} requests one after another, each alone and {@code millis} long. */
    private void learnAlone(Pipeline<Integer, Integer> p, int runs, long millis) {
        for (int i = 0; i < runs; i++) {
            CompletableFuture<Result<Integer>> f = p.submit(i);
            ticker.advance(Duration.ofMillis(millis));
            calls.poll().complete(i);
            assertEquals(i, f.join().value());
        }
    }

    /**
     * What a pipeline needs before it refuses anything: one run alone ({@code idleMillis}: its idle latency),
     * then four at once over four times that: a busy period of 4 idle latencies in which 4 runs (as many as were
     * in flight) ended, its first rate sample, one run per idle latency.
     */
    private void learn(Pipeline<Integer, Integer> p, long idleMillis) {
        learnAlone(p, 1, idleMillis);
        List<CompletableFuture<Result<Integer>>> four = List.of(p.submit(1), p.submit(1), p.submit(1), p.submit(1));
        ticker.advance(Duration.ofMillis(4 * idleMillis));
        for (CompletableFuture<Result<Integer>> f : four) {
            calls.poll().complete(1);
            assertEquals(1, f.join().value());
        }
        assertEquals(1000.0 / idleMillis, p.admission().workPerSecond(), 1e-9);
        assertEquals(Duration.ofMillis(idleMillis), p.admission().idleLatency());
        assertTrue(Double.isNaN(p.admission().budgetUtilization()), "its step calls no deployment: nothing to divide by");
    }

    private static OverloadedException refusal(CompletableFuture<?> f) {
        assertTrue(f.isCompletedExceptionally(), "refused at once");
        CompletionException e = assertThrows(CompletionException.class, f::join);
        assertTrue(e.getCause() instanceof OverloadedException, () -> "refused with " + e.getCause());
        return (OverloadedException) e.getCause();
    }

    private static void assertPending(CompletableFuture<?> f) {
        assertFalse(f.isDone(), "admitted and waiting for its step");
    }

    @Test
    void admitsEverythingUntilItHasMeasuredItself() {
        Pipeline<Integer, Integer> p = pipeline(b -> {});
        List<CompletableFuture<Result<Integer>>> all = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            all.add(p.submit(i));
        }
        all.forEach(PipelineAdmissionTest::assertPending);
        assertNull(p.admission().latencyBound());
        assertEquals(0.0, p.admission().workPerSecond());
        calls.forEach(c -> c.complete(0));
        assertTrue(all.stream().allMatch(f -> f.isDone() && !f.isCompletedExceptionally()));
    }

    @Test
    void aColdBurstIsAdmittedUntilItsFirstRateSampleAndBoundedFromThen() {
        Pipeline<Integer, Integer> p = pipeline(b -> {});
        for (int i = 0; i < 20; i++) {
            assertPending(p.submit(i)); // nothing measured yet: all admitted
        }
        // One ends every 200 ms. The first, admitted alone, ends among 19 others: it seeds the idle latency. A
        // sample needs as many ends as were in flight on average (20 - (k - 1) / 2 after k ends): the 14th.
        int ended = 0;
        while (p.admission().workPerSecond() == 0) {
            ticker.advance(Duration.ofMillis(200));
            calls.poll().complete(0);
            ended++;
        }
        assertEquals(14, ended);
        assertEquals(Duration.ofMillis(200), p.admission().idleLatency());
        assertEquals(5.0, p.admission().workPerSecond(), 1e-9);
        // 6 in flight; at 5 a second the bound (8 x 200 ms) holds 8: two more fit, the next is refused.
        assertPending(p.submit(1));
        assertPending(p.submit(2));
        OverloadedException e = refusal(p.submit(3));
        assertTrue(e.getMessage().contains("8 requests in flight"), e.getMessage());
    }

    @Test
    void aFastPipelineRefusesNothingThatItWouldFinishWithinASecond() {
        Pipeline<Integer, Integer> p = pipeline(b -> {});
        learn(p, 20); // idle latency 20 ms, 50 a second: 8 x 20 ms is 160 ms, the floor 1 s is larger
        assertEquals(Duration.ofSeconds(1), p.admission().latencyBound());
        for (int i = 0; i < 50; i++) {
            assertPending(p.submit(i)); // the k-th expects k x 20 ms
        }
        String message = refusal(p.submit(50)).getMessage();
        assertTrue(message.contains("latency bound of 1000.0 ms (the larger of 8x its idle latency 20.0 ms and 1000.0 ms)"),
                message);
    }

    @Test
    void refusesTheRequestThatWouldWaitLongerThanEightIdleLatenciesAndAdmitsAgainOnceWorkDrains() {
        Pipeline<Integer, Integer> p = pipeline(b -> {});
        learn(p, 200); // idle latency 200 ms; 4 requests in 800 ms of busy time: 5 a second
        Pipeline.AdmissionStatus learned = p.admission();
        assertEquals(Duration.ofMillis(200), learned.idleLatency());
        assertEquals(5.0, learned.workPerSecond(), 1e-9);
        assertEquals(Duration.ofMillis(1600), learned.latencyBound());

        // The k-th request in flight expects k x 200 ms: the eighth fits the 1.6 s bound, the ninth does not.
        List<CompletableFuture<Result<Integer>>> admitted = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            admitted.add(p.submit(i));
        }
        admitted.forEach(PipelineAdmissionTest::assertPending);
        OverloadedException e = refusal(p.submit(8));
        assertEquals(OverloadedException.Limit.EXPECTED_LATENCY, e.limit());
        assertEquals("p", e.source());
        assertEquals(Duration.ofMillis(200), e.retryAfter());
        for (String part : List.of("8 requests in flight", "about 1800.0 ms", "latency bound of 1600.0 ms",
                "8x its idle latency 200.0 ms")) {
            assertTrue(e.getMessage().contains(part), e.getMessage());
        }
        assertEquals(8, calls.size(), "the refused request never reached its step");
        assertEquals(8, p.inFlight());
        assertEquals(1, p.admission().refused());

        // One ends: there is room for exactly one more.
        ticker.advance(Duration.ofMillis(200));
        calls.poll().complete(0);
        assertEquals(0, admitted.get(0).join().value());
        admitted.add(p.submit(9));
        assertPending(admitted.get(8));
        assertEquals(OverloadedException.Limit.EXPECTED_LATENCY, refusal(p.submit(10)).limit());

        while (!calls.isEmpty()) {
            ticker.advance(Duration.ofMillis(10));
            calls.poll().complete(1);
        }
        assertTrue(admitted.stream().allMatch(f -> f.isDone() && !f.isCompletedExceptionally()));
        assertEquals(0, p.admission().inFlight());
        assertEquals(0, p.admission().workInFlight());
    }

    @Test
    void aDeadlineShorterThanTheExpectedLatencyIsRefusedAtOnceNamingTheDeadline() {
        Pipeline<Integer, Integer> p = pipeline(b -> {});
        learn(p, 200);
        p.submit(1);
        p.submit(2);
        p.submit(3);

        OverloadedException e = refusal(p.submit(4, Duration.ofMillis(700)));
        assertTrue(e.getMessage().contains("about 800.0 ms") && e.getMessage().contains("its deadline of 700.0 ms"),
                e.getMessage());
        assertPending(p.submit(5, Duration.ofMillis(800)));
    }

    @Test
    void aRequestThatWouldRunAloneIsAdmittedWhateverItsDeadline() {
        Pipeline<Integer, Integer> p = pipeline(b -> {});
        learn(p, 200);

        assertPending(p.submit(1, Duration.ofMillis(1)));
    }

    @Test
    void aFixedBoundReplacesTheMultipleAndUnboundedAdmitsUpToMaxInFlight() {
        Pipeline<Integer, Integer> fixed = pipeline(b -> b.latencyBound(Duration.ofMillis(250)));
        learn(fixed, 100); // a fixed bound may be under the default's one-second floor
        assertEquals(Duration.ofMillis(250), fixed.admission().latencyBound());
        fixed.submit(1);
        fixed.submit(2);
        String message = refusal(fixed.submit(3)).getMessage();
        assertTrue(message.contains("latency bound of 250.0 ms") && !message.contains("idle latency"), message);

        calls.clear();
        Pipeline<Integer, Integer> open = pipeline(b -> b.unboundedLatency().maxInFlight(50));
        learn(open, 100);
        for (int i = 0; i < 50; i++) {
            assertPending(open.submit(i));
        }
        assertEquals(OverloadedException.Limit.IN_FLIGHT, refusal(open.submit(50)).limit());
        assertFalse(open.admission().bounded());
        assertEquals(0, open.admission().refused());
    }

    @Test
    void workWeighsRequestsSoOneLargeRequestTakesTheRoomOfManySmall() {
        Pipeline<Integer, Integer> p = pipeline(b -> b.work(x -> x));
        learn(p, 200); // every input 1, each weighing 1: 5 units a second
        // The 1.6 s bound holds 8 units: with 7 in flight a request of 1 fits and one of 2 does not.
        assertPending(p.submit(7));
        String message = refusal(p.submit(2)).getMessage();
        assertTrue(message.contains("(work 7)"), message);
        assertPending(p.submit(1));
        assertEquals(8, p.admission().workInFlight());
    }

    @Test
    void requestsOneAtATimeTeachNoRateSoABurstAfterThemIsAdmitted() {
        Pipeline<Integer, Integer> p = pipeline(b -> {});
        learnAlone(p, 20, 100); // 2 s of busy time, every run alone: latency, not capacity
        assertEquals(0.0, p.admission().workPerSecond());
        assertEquals(Duration.ofMillis(100), p.admission().idleLatency());
        for (int i = 0; i < 200; i++) {
            assertPending(p.submit(i));
        }
        assertEquals(0, p.admission().refused());
    }

    @Test
    void aLighterLoadDoesNotLowerTheCapacityButTheSameLoadRunningSlowerDoes() {
        Pipeline<Integer, Integer> p = pipeline(b -> {});
        learn(p, 200); // 5 a second, measured three at a time
        learnAlone(p, 6, 400); // slower, but alone: says nothing of capacity
        assertEquals(5.0, p.admission().workPerSecond(), 1e-9);
        double before = 5.0;
        for (int group = 0; group < 6; group++) { // four at a time again, each group 2 s: 2 a second
            List<CompletableFuture<Result<Integer>>> four = List.of(p.submit(1), p.submit(1), p.submit(1), p.submit(1));
            ticker.advance(Duration.ofSeconds(2));
            for (int i = 0; i < 4; i++) {
                calls.poll().complete(1);
            }
            four.forEach(f -> assertEquals(1, f.join().value()));
            double now = p.admission().workPerSecond();
            assertTrue(now <= before, "a slower system under the same load never raises it: " + before + " -> " + now);
            before = now;
        }
        // Smoothed towards 2 a second, a quarter of the way each sample, never past it.
        assertTrue(before < 4.0 && before > 2.0, "followed the slower rate down: " + before);
    }

    @Test
    void aFastSampleMovesTheCapacityOnlyAQuarterOfTheWay() {
        Pipeline<Integer, Integer> p = pipeline(b -> {});
        learn(p, 200); // 5 a second
        // Eight that ran together end together after 800 ms: 10 a second for this one sample, which counts a quarter.
        burstOfEight(p);
        assertEquals(5.0 + LatencyAdmission.CAPACITY_WEIGHT * (10.0 - 5.0), p.admission().workPerSecond(), 1e-9);
    }

    @Test
    void timeThatRanOneAtATimeBeforeABurstDoesNotCountInTheBurstsSample() {
        Pipeline<Integer, Integer> p = pipeline(b -> {});
        learn(p, 200); // 5 a second
        learnAlone(p, 10, 200); // 2 s of lone runs: each ends a busy period
        burstOfEight(p); // its own busy period: 8 in 800 ms
        assertEquals(5.0 + LatencyAdmission.CAPACITY_WEIGHT * (10.0 - 5.0), p.admission().workPerSecond(), 1e-9);
    }

    /** Eight at once (the most the 1.6 s bound admits at 5 a second), all ending 800 ms later. */
    private void burstOfEight(Pipeline<Integer, Integer> p) {
        List<CompletableFuture<Result<Integer>>> eight = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            eight.add(p.submit(1));
        }
        ticker.advance(Duration.ofMillis(800));
        while (!calls.isEmpty()) {
            calls.poll().complete(1);
        }
        eight.forEach(f -> assertEquals(1, f.join().value()));
    }

    @Test
    void failedRequestsTeachNothing() {
        Pipeline<Integer, Integer> p = pipeline(b -> {});
        learn(p, 200);
        Pipeline.AdmissionStatus before = p.admission();
        for (int i = 0; i < 20; i++) {
            CompletableFuture<Result<Integer>> f = p.submit(i);
            ticker.advance(Duration.ofMillis(1));
            calls.poll().completeExceptionally(new IllegalArgumentException("bad input " + i));
            assertTrue(f.isCompletedExceptionally());
        }
        Pipeline.AdmissionStatus after = p.admission();
        assertEquals(before.idleLatency(), after.idleLatency());
        assertEquals(before.workPerSecond(), after.workPerSecond());
        assertEquals(0, after.inFlight());
    }

    @Test
    void aCancelledRequestGivesItsRoomBack() {
        Pipeline<Integer, Integer> p = pipeline(b -> {});
        learn(p, 200);
        List<CompletableFuture<Result<Integer>>> admitted = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            admitted.add(p.submit(i));
        }
        assertEquals(OverloadedException.Limit.EXPECTED_LATENCY, refusal(p.submit(8)).limit());
        admitted.get(3).cancel(false);
        assertPending(p.submit(9));
        assertEquals(8, p.admission().inFlight());
    }

    @Test
    void idleLatencyFollowsLoneRequestsDownFastAndUpSlowly() {
        Pipeline<Integer, Integer> p = pipeline(b -> {});
        learnAlone(p, 1, 1000); // a first request that paid for warm-up
        learnAlone(p, 1, 100);
        assertEquals(Duration.ofMillis(550), p.admission().idleLatency());
        learnAlone(p, 1, 100);
        assertEquals(Duration.ofMillis(325), p.admission().idleLatency());
        learnAlone(p, 1, 1325);
        assertEquals(Duration.ofMillis(425), p.admission().idleLatency());
    }

    @Test
    void badBoundsAreRefusedByTheBuilder() {
        Pipeline.Builder<Integer> b = Pipeline.builder("p");
        IllegalArgumentException zero = assertThrows(IllegalArgumentException.class, () -> b.latencyBound(Duration.ZERO));
        assertTrue(zero.getMessage().contains("latencyBound must be positive"), zero.getMessage());
        assertThrows(IllegalArgumentException.class, () -> b.latencyBound(Duration.ofMillis(-1)));
    }
}
