package dev.sluice.pipeline;

import static dev.sluice.batching.Eventually.eventually;
import static dev.sluice.batching.TestFutures.failureOf;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.Deployment;
import dev.sluice.DeploymentHandle;
import dev.sluice.Model;
import dev.sluice.Resources;
import dev.sluice.Sluice;
import dev.sluice.batching.BatchPolicy;
import dev.sluice.batching.DeadlineExceededException;
import dev.sluice.batching.InvalidInputException;
import dev.sluice.batching.ModelException;
import dev.sluice.batching.OverloadedException;
import dev.sluice.batching.internal.BatchingLimits;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

class PipelineTest {
    private final Sluice sluice = Sluice.builder().resources(Resources.builder().cpus(8).build()).build();
    private final Map<String, AtomicInteger> calls = new ConcurrentHashMap<>();
    private final CountDownLatch endOfTest = new CountDownLatch(1);

    @AfterEach
    void tearDown() {
        endOfTest.countDown();
        sluice.close(Duration.ofSeconds(5));
    }

    private <A, O> java.util.function.Function<A, O> counted(String name, java.util.function.Function<A, O> fn) {
        return a -> {
            calls.computeIfAbsent(name, k -> new AtomicInteger()).incrementAndGet();
            return fn.apply(a);
        };
    }

    private int calls(String name) {
        AtomicInteger n = calls.get(name);
        return n == null ? 0 : n.get();
    }

    /** A deployment whose model doubles integers, records every input, and blocks while a gate is closed. */
    private final class Doubler {
        final List<Integer> seen = Collections.synchronizedList(new ArrayList<>());
        volatile CountDownLatch gate = new CountDownLatch(0);
        final CountDownLatch started = new CountDownLatch(1);
        final DeploymentHandle<Integer, Integer> handle;

        Doubler(String name, int maxBatch, Duration maxDelay) {
            this(name, maxBatch, maxDelay, BatchingLimits::defaultPolicy);
        }

        Doubler(String name, int maxBatch, Duration maxDelay, Supplier<BatchPolicy> policy) {
            Model<Integer, Integer> model = batch -> {
                seen.addAll(batch);
                started.countDown();
                gate.await();
                return batch.stream().map(x -> {
                    if (x < 0) {
                        throw new IllegalArgumentException("negative: " + x);
                    }
                    return 2 * x;
                }).toList();
            };
            handle = sluice.deploy(Deployment.<Integer, Integer>builder(name, ctx -> model)
                    .batching(b -> b.maxBatchSize(maxBatch).maxDelay(maxDelay).policy(policy)).build());
        }
    }

    @Nested
    class Building {
        @Test
        void aDuplicateStepNameIsRefusedNamingIt() {
            Pipeline.Builder<Integer> b = Pipeline.builder("p");
            b.step("double").apply((Integer x) -> 2 * x, b.input());
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> b.step("double"));
            assertTrue(e.getMessage().contains("'double' is taken"), e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> b.step("input"));
            assertThrows(IllegalArgumentException.class, () -> b.step(" "));
        }

        @Test
        void aRefFromAnotherPipelineIsAMissingInputNamedAtBuild() {
            Pipeline.Builder<Integer> other = Pipeline.builder("other");
            Ref<Integer> foreign = other.step("x").apply((Integer x) -> x, other.input());
            Pipeline.Builder<Integer> b = Pipeline.builder("p");
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> b.step("use").apply((Integer x) -> x, foreign));
            assertTrue(e.getMessage().contains("step 'use' takes 'x'"), e.getMessage());
            assertTrue(e.getMessage().contains("pipeline 'other'"), e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> b.build(foreign));
            assertThrows(NullPointerException.class, () -> b.step("nul").apply((Integer x) -> x, null));
        }

        @Test
        void aStepIsAddedOnceAndABuiltPipelineCannotChange() {
            Pipeline.Builder<Integer> b = Pipeline.builder("p");
            Pipeline.Builder<Integer>.Step s = b.step("one");
            Pipeline.StepRef<Integer> one = s.apply((Integer x) -> x, b.input());
            assertThrows(IllegalStateException.class, () -> s.apply((Integer x) -> x, b.input()));
            b.build(one);
            assertThrows(IllegalStateException.class, () -> b.step("two"));
            assertThrows(IllegalStateException.class, () -> one.orElse(0));
        }

        @Test
        void routingStepsNeedDistinctBranchesAndSomeWeight() {
            Pipeline.Builder<Integer> b = Pipeline.builder("p");
            Task<Integer, Integer> t = Task.of(x -> x);
            assertThrows(IllegalArgumentException.class, () -> b.step("r").choose(b.input(), x -> "a"));
            IllegalArgumentException dup = assertThrows(IllegalArgumentException.class,
                    () -> b.step("r").choose(b.input(), x -> "a", Branch.of("a", t), Branch.of("a", t)));
            assertTrue(dup.getMessage().contains("two branches are named 'a'"), dup.getMessage());
            assertThrows(IllegalArgumentException.class,
                    () -> b.step("s").split(b.input(), null, Branch.weighted("a", 0, t)));
            assertThrows(IllegalArgumentException.class, () -> Branch.weighted("a", -1, t));
        }
    }

    @Nested
    class Running {
        @Test
        void independentStepsRunAtTheSameTime() throws Exception {
            CountDownLatch bothStarted = new CountDownLatch(2);
            java.util.function.Function<Integer, Boolean> meet = x -> {
                bothStarted.countDown();
                try {
                    return bothStarted.await(10, TimeUnit.SECONDS); // true only if the other started meanwhile
                } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                }
            };
            Pipeline.Builder<Integer> b = Pipeline.builder("parallel");
            Ref<Boolean> left = b.step("left").run(Task.blocking(meet), b.input());
            Ref<Boolean> right = b.step("right").run(Task.blocking(meet), b.input());
            Ref<Boolean> both = b.step("join").apply((Boolean l, Boolean r) -> l && r, left, right);
            Result<Boolean> r = b.build(both).submit(1).get(20, TimeUnit.SECONDS);
            assertTrue(r.value(), "each step started before the other ended");
            Trace.Span l = r.trace().spansOf("left").get(0);
            Trace.Span rt = r.trace().spansOf("right").get(0);
            assertTrue(l.startNanos() < rt.startNanos() + rt.durationNanos()
                    && rt.startNanos() < l.startNanos() + l.durationNanos(), "their spans overlap");
        }

        @Test
        void aDiamondRunsItsSharedStepOnce() throws Exception {
            Pipeline.Builder<Integer> b = Pipeline.builder("diamond");
            Ref<Integer> a = b.step("a").apply(counted("a", (Integer x) -> x + 1), b.input());
            Ref<Integer> left = b.step("b").apply(counted("b", (Integer x) -> x * 10), a);
            Ref<Integer> right = b.step("c").apply(counted("c", (Integer x) -> x * 100), a);
            Ref<Integer> d = b.step("d").apply((Integer x, Integer y) -> x + y, left, right);
            Pipeline<Integer, Integer> p = b.build(d);
            for (int i = 0; i < 100; i++) {
                assertEquals((i + 1) * 110, p.submit(i).get(10, TimeUnit.SECONDS).value());
            }
            assertEquals(100, calls("a"));
            assertEquals(100, calls("b"));
            assertEquals(100, calls("c"));
        }

        @Test
        void aJoinReadsAnyNumberOfInputsByRef() throws Exception {
            Pipeline.Builder<String> b = Pipeline.builder("join");
            Ref<Integer> len = b.step("len").apply(String::length, b.input());
            Ref<String> upper = b.step("upper").apply(String::toUpperCase, b.input());
            Ref<String> all = b.step("all").join(in -> in.get(upper) + ":" + in.get(len) + ":" + in.get(b.input()),
                    len, upper, b.input());
            assertEquals("ABC:3:abc", b.build(all).submit("abc").get(10, TimeUnit.SECONDS).value());
        }

        @Test
        void aNullInputFailsWithInvalidInput() {
            Pipeline.Builder<Integer> b = Pipeline.builder("p");
            Pipeline<Integer, Integer> p = b.build(b.step("x").apply((Integer x) -> x, b.input()));
            assertInstanceOf(InvalidInputException.class, failureOf(p.submit(null)));
            assertEquals(0, p.inFlight());
        }
    }

    @Nested
    class Retries {
        @Test
        void aFailedStepRetriesAloneAndFinishedStepsAreNotRunAgain() throws Exception {
            AtomicInteger flaky = new AtomicInteger();
            Pipeline.Builder<Integer> b = Pipeline.builder("retry");
            Ref<Integer> first = b.step("first").apply(counted("first", (Integer x) -> x + 1), b.input());
            Ref<Integer> other = b.step("other").apply(counted("other", (Integer x) -> x), b.input());
            Ref<Integer> shaky = b.step("shaky").retry(RetryPolicy.attempts(3).noBackoff())
                    .apply(counted("shaky", (Integer x) -> {
                        if (flaky.incrementAndGet() < 3) {
                            throw new IllegalStateException("flake " + flaky.get());
                        }
                        return x * 2;
                    }), first);
            Ref<Integer> sum = b.step("sum").apply((Integer x, Integer y) -> x + y, shaky, other);
            Result<Integer> r = b.build(sum).submit(4).get(10, TimeUnit.SECONDS);
            assertEquals(14, r.value());
            assertEquals(1, calls("first"));
            assertEquals(1, calls("other"));
            assertEquals(3, calls("shaky"));
            List<Trace.Span> spans = r.trace().spansOf("shaky");
            assertEquals(List.of(Trace.Outcome.FAILED, Trace.Outcome.FAILED, Trace.Outcome.OK), spans.stream().map(Trace.Span::outcome).toList());
            assertTrue(spans.get(0).error().contains("flake 1"), spans.get(0).error());
        }

        @Test
        void afterTheLastAttemptThePipelineFailsNamingTheStepAttemptsAndCauses() throws Exception {
            Pipeline.Builder<Integer> b = Pipeline.builder("doomed");
            Ref<Integer> bad = b.step("bad").retry(RetryPolicy.attempts(2).noBackoff()).apply((Integer x) -> {
                throw new IllegalStateException("always");
            }, b.input());
            Ref<Integer> after = b.step("after").apply(counted("after", (Integer x) -> x), bad);
            PipelineStepException e = assertInstanceOf(PipelineStepException.class,
                    failureOf(b.build(after).submit(1)));
            assertEquals("bad", e.step());
            assertEquals(2, e.attempts());
            assertEquals(2, e.causes().size());
            assertTrue(e.getMessage().contains("step 'bad' failed after 2 attempts"), e.getMessage());
            assertEquals(0, calls("after"));
            Trace t = e.trace();
            assertNotNull(t, "the failure carries its trace");
            assertEquals(Trace.Outcome.FAILED, t.outcome());
            assertEquals(Trace.Outcome.NOT_RUN, t.spansOf("after").get(0).outcome());
            assertTrue(t.toString().contains("bad #2"), t.toString());
        }

        @Test
        void badInputIsNotRetriedByDefault() {
            Pipeline.Builder<Integer> b = Pipeline.builder("p");
            Ref<Integer> s = b.step("validate").retry(RetryPolicy.attempts(5).noBackoff())
                    .apply(counted("validate", (Integer x) -> {
                        throw new InvalidInputException("no good");
                    }), b.input());
            PipelineStepException e = assertInstanceOf(PipelineStepException.class, failureOf(b.build(s).submit(1)));
            assertEquals(1, e.attempts());
            assertEquals(1, calls("validate"));
        }

        @Test
        void aFallbackLetsThePipelineGoOn() throws Exception {
            Pipeline.Builder<Integer> b = Pipeline.builder("p");
            Ref<String> lookup = b.step("lookup").<Integer, String>apply((Integer x) -> {
                throw new IllegalStateException("db down");
            }, b.input()).orElse("unknown");
            Ref<String> out = b.step("out").apply((String s) -> "name=" + s, lookup);
            Result<String> r = b.build(out).submit(1).get(10, TimeUnit.SECONDS);
            assertEquals("name=unknown", r.value());
            Trace.Span s = r.trace().spansOf("lookup").get(0);
            assertEquals(Trace.Outcome.FALLBACK, s.outcome());
            assertTrue(s.error().contains("db down"), s.error());
        }

        @Test
        void backoffWaitsOnTheScheduler() throws Exception {
            ManualScheduler scheduler = new ManualScheduler();
            AtomicInteger attempts = new AtomicInteger();
            Pipeline.Builder<Integer> b = Pipeline.<Integer>builder("p").scheduler(scheduler);
            Ref<Integer> s = b.step("s").retry(RetryPolicy.attempts(3).backoff(Duration.ofMillis(100), 2,
                    Duration.ofSeconds(1)).jitter(0)).apply((Integer x) -> {
                        if (attempts.incrementAndGet() < 3) {
                            throw new IllegalStateException("again");
                        }
                        return x;
                    }, b.input());
            CompletableFuture<Result<Integer>> f = b.build(s).submit(7);
            assertEquals(1, attempts.get());
            assertEquals(List.of(Duration.ofMillis(100).toNanos()), scheduler.delays());
            scheduler.runAll();
            assertEquals(2, attempts.get());
            assertEquals(Duration.ofMillis(200).toNanos(), scheduler.delays().get(1), "doubled");
            scheduler.runAll();
            assertEquals(7, f.get(10, TimeUnit.SECONDS).value());
        }
    }

    @Nested
    class TimeAndCancellation {
        @Test
        void aStepTimeoutFailsTheRunningAttemptWithAStepTimeoutAndCancelsItsWork() throws Exception {
            ManualScheduler scheduler = new ManualScheduler();
            CompletableFuture<Integer> never = new CompletableFuture<>();
            Pipeline.Builder<Integer> b = Pipeline.<Integer>builder("p").scheduler(scheduler);
            Ref<Integer> slow = b.step("slow").timeout(Duration.ofMillis(50)).run(Task.async((Integer x) -> never), b.input());
            CompletableFuture<Result<Integer>> f = b.build(slow).submit(1);
            assertEquals(List.of(Duration.ofMillis(50).toNanos()), scheduler.delays());
            scheduler.runAll();
            PipelineStepException e = assertInstanceOf(PipelineStepException.class, failureOf(f));
            StepTimeoutException timeout = assertInstanceOf(StepTimeoutException.class, e.getCause(),
                    "not DeadlineExceededException: the attempt was running, its work may have reached a model");
            assertEquals(StepTimeoutException.Limit.STEP_TIMEOUT, timeout.limit());
            assertEquals(Duration.ofMillis(50), timeout.timeout());
            assertEquals("pipeline 'p': attempt 1 of step 'slow' was still running when the step's timeout of 50 ms "
                    + "passed; it was cancelled", timeout.getMessage());
            assertTrue(never.isCancelled(), "the attempt's own future was cancelled");
            assertEquals(Trace.Outcome.TIMED_OUT, e.trace().spansOf("slow").get(0).outcome());
        }

        @Test
        void theRequestsDeadlineIsOneTimerThatEndsTheStepRunningWhenItPassesWithAStepTimeout() throws Exception {
            ManualScheduler scheduler = new ManualScheduler();
            CompletableFuture<Integer> never = new CompletableFuture<>();
            // A clock that stands still: time passes only when the test runs the scheduler's timers.
            Pipeline.Builder<Integer> b = Pipeline.<Integer>builder("p").scheduler(scheduler).ticker(() -> 0L);
            Ref<Integer> quick = b.step("quick").apply((Integer x) -> x + 1, b.input());
            Ref<Integer> stuck = b.step("stuck").run(Task.async((Integer x) -> never), quick);
            Ref<Integer> after = b.step("after").apply(counted("after", (Integer x) -> x), stuck);
            CompletableFuture<Result<Integer>> f = b.build(after).submit(1, Duration.ofMillis(80));
            assertEquals(List.of(Duration.ofMillis(80).toNanos()), scheduler.delays(), "one timer for the request");
            scheduler.runAll();
            PipelineStepException e = assertInstanceOf(PipelineStepException.class, failureOf(f));
            assertEquals("stuck", e.step());
            StepTimeoutException timeout = assertInstanceOf(StepTimeoutException.class, e.getCause(),
                    "not DeadlineExceededException: the attempt was running, its work may have reached a model");
            assertEquals(StepTimeoutException.Limit.REQUEST_DEADLINE, timeout.limit());
            assertEquals("stuck", timeout.step());
            assertEquals(1, timeout.attempt());
            assertTrue(never.isCancelled());
            assertEquals(0, calls("after"));
            assertEquals(List.of(Trace.Outcome.OK, Trace.Outcome.TIMED_OUT, Trace.Outcome.NOT_RUN), e.trace().spans().stream().map(Trace.Span::outcome).toList());
        }

        @Test
        void stepsThatFinishOnTheSubmittingThreadArmNoTimerAndStillSeeTheDeadline() throws Exception {
            ManualScheduler scheduler = new ManualScheduler();
            long[] now = {0};
            Pipeline.Builder<Integer> b = Pipeline.<Integer>builder("p").scheduler(scheduler).ticker(() -> now[0]);
            Ref<Integer> slow = b.step("slow").apply((Integer x) -> {
                now[0] += Duration.ofMillis(100).toNanos(); // takes longer than the deadline
                return x;
            }, b.input());
            Ref<Integer> next = b.step("next").apply(counted("next", (Integer x) -> x), slow);
            PipelineStepException e = assertInstanceOf(PipelineStepException.class,
                    failureOf(b.build(next).submit(1, Duration.ofMillis(50))));
            assertEquals(List.of(), scheduler.delays(), "no timer");
            assertEquals("next", e.step(), "the step after the deadline did not start");
            assertInstanceOf(DeadlineExceededException.class, e.getCause(), "no model saw what never started");
            assertTrue(e.getCause().getMessage().contains("before the attempt could start"), e.getCause().getMessage());
            assertEquals(0, calls("next"));
        }

        @Test
        void theDeadlineTravelsToTheBatcherSoAnExpiredElementNeverReachesTheModel() throws Exception {
            Doubler model = new Doubler("doubler", 1, Duration.ZERO);
            model.gate = new CountDownLatch(1);
            // The pipeline's own deadline timer never runs here: only the batcher, given what was left of the
            // deadline, can end the late request.
            Pipeline.Builder<Integer> b = Pipeline.<Integer>builder("p").scheduler(new ManualScheduler());
            Pipeline<Integer, Integer> p = b.build(b.step("double").call(model.handle, b.input()));
            CompletableFuture<Result<Integer>> first = p.submit(1);
            assertTrue(model.started.await(10, TimeUnit.SECONDS));
            CompletableFuture<Result<Integer>> late = p.submit(2, Duration.ofMillis(50));
            PipelineStepException e = assertInstanceOf(PipelineStepException.class, failureOf(late));
            assertInstanceOf(DeadlineExceededException.class, e.getCause());
            model.gate.countDown();
            assertEquals(2, first.get(10, TimeUnit.SECONDS).value());
            // One queue, served in order, one input per batch: once a marker sent now has run, anything queued
            // before it has run or was dropped.
            assertEquals(200, model.handle.submit(100).get(10, TimeUnit.SECONDS));
            assertEquals(List.of(1, 100), model.seen, "the expired request never reached the model");
        }

        @Test
        void cancellingAPipelineWithdrawsItsQueuedFanOutElements() throws Exception {
            Doubler model = new Doubler("doubler", 2, Duration.ZERO);
            model.gate = new CountDownLatch(1);
            Pipeline.Builder<List<Integer>> b = Pipeline.builder("fan");
            Pipeline<List<Integer>, List<Integer>> p = b.build(b.step("each").each(model.handle, b.input()));
            CompletableFuture<Result<List<Integer>>> f = p.submit(List.of(1, 2, 3, 4, 5, 6, 7, 8));
            assertTrue(model.started.await(10, TimeUnit.SECONDS));
            assertTrue(f.cancel(false));
            model.gate.countDown();
            assertThrows(CancellationException.class, () -> f.get(10, TimeUnit.SECONDS));
            // One queue, served in order: once a marker sent now has run, every element queued before it has
            // run or was withdrawn.
            assertEquals(200, model.handle.submit(100).get(10, TimeUnit.SECONDS));
            List<Integer> elements = model.seen.stream().filter(x -> x != 100).toList();
            // The batch already running when the request was cancelled holds 1 (and 2, if it arrived in time);
            // everything after it was withdrawn from the queue.
            assertTrue(elements.equals(List.of(1)) || elements.equals(List.of(1, 2)),
                    "only the batch already running was seen: " + model.seen);
            eventually("the cancelled request leaves the in-flight count", () -> p.inFlight() == 0);
        }

        @Test
        void moreThanMaxInFlightIsRefusedAtOnce() throws Exception {
            CountDownLatch hold = new CountDownLatch(1);
            Pipeline.Builder<Integer> b = Pipeline.<Integer>builder("bounded").maxInFlight(2);
            Pipeline<Integer, Integer> p = b.build(b.step("wait").run(Task.blocking((Integer x) -> {
                try {
                    hold.await();
                } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                }
                return x;
            }), b.input()));
            CompletableFuture<Result<Integer>> one = p.submit(1);
            CompletableFuture<Result<Integer>> two = p.submit(2);
            OverloadedException e = assertInstanceOf(OverloadedException.class, failureOf(p.submit(3)));
            assertEquals(OverloadedException.Limit.IN_FLIGHT, e.limit());
            assertEquals("'bounded' is overloaded: it allows at most 2 requests in flight (maxInFlight) and has that "
                    + "many; the request was not started", e.getMessage(), "names the limit hit, not a queue");
            hold.countDown();
            one.get(10, TimeUnit.SECONDS);
            two.get(10, TimeUnit.SECONDS);
            assertEquals(4, p.submit(4).get(10, TimeUnit.SECONDS).value());
        }
    }

    @Nested
    class Deployments {
        @Test
        void aFanOutKeepsOrderAndSharesBatchesAndTheTraceSaysHow() throws Exception {
            Doubler model = new Doubler("doubler", 16, Duration.ofMillis(5));
            Pipeline.Builder<List<Integer>> b = Pipeline.builder("fan");
            Ref<List<Integer>> doubled = b.step("each").each(model.handle, b.input());
            Ref<Integer> sum = b.step("sum").apply((List<Integer> xs) -> xs.stream().mapToInt(x -> x).sum(), doubled);
            Pipeline<List<Integer>, Integer> p = b.build(sum);
            List<Integer> in = List.of(5, 1, 4, 2, 3);
            Result<Integer> r = p.submit(in).get(10, TimeUnit.SECONDS);
            assertEquals(30, r.value());
            Trace.Span each = r.trace().spansOf("each").get(0);
            assertEquals(5, each.elements());
            assertTrue(each.batchSize() > 1, "elements shared a batch: " + r.trace());
            assertEquals("doubler#1", each.replicas());
            assertTrue(each.queueWaitNanos() >= 0);
            Ref<List<Integer>> ordered;
            Pipeline.Builder<List<Integer>> b2 = Pipeline.builder("order");
            ordered = b2.step("each").each(model.handle, b2.input());
            assertEquals(List.of(10, 2, 8, 4, 6), b2.build(ordered).submit(in).get(10, TimeUnit.SECONDS).value());
        }

        @Test
        void aFanOutsTraceGivesTheBatchSizeEachElementJoinedAndTheLongestQueueWait() throws Exception {
            // eager: the batch sizes below are those of batches filled up to maxBatchSize
            Doubler model = new Doubler("doubler", 2, Duration.ZERO, BatchPolicy::eager);
            model.gate = new CountDownLatch(1);
            CompletableFuture<Integer> ahead = model.handle.submit(100);
            assertTrue(model.started.await(10, TimeUnit.SECONDS));
            Pipeline.Builder<List<Integer>> b = Pipeline.builder("fan");
            Pipeline<List<Integer>, List<Integer>> p = b.build(b.step("each").each(model.handle, b.input()));
            // All three queue behind the running batch, then run as [1, 2] and [3].
            CompletableFuture<Result<List<Integer>>> f = p.submit(List.of(1, 2, 3));
            model.gate.countDown();
            Trace trace = f.get(10, TimeUnit.SECONDS).trace();
            assertEquals(200, ahead.get(10, TimeUnit.SECONDS));

            Trace.Span each = trace.spansOf("each").get(0);
            assertEquals(List.of(2, 2, 1), each.batchSizes());
            assertTrue(trace.toString().matches("(?s).*\\n  each .* ok  x3, longest queue \\d+\\.\\d ms, "
                    + "batch sizes per element \\[2, 2, 1\\], doubler#1.*"), trace.toString());
            assertTrue(trace.toJson().contains("\"batchSize\":2,\"batchSizes\":[2,2,1],"), trace.toJson());
        }

        @Test
        void aRetriedFanOutResubmitsOnlyTheElementsThatFailed() throws Exception {
            AtomicInteger failuresLeft = new AtomicInteger(1);
            List<Integer> seen = Collections.synchronizedList(new ArrayList<>());
            DeploymentHandle<Integer, Integer> h = sluice.deploy(Deployment.<Integer, Integer>builder("picky",
                    ctx -> batch -> {
                        seen.addAll(batch);
                        if (batch.contains(3) && failuresLeft.getAndDecrement() > 0) {
                            throw new IllegalStateException("transient failure on 3");
                        }
                        return batch.stream().map(x -> x * 10).toList();
                    }).batching(c -> c.maxBatchSize(1)).build());
            Pipeline.Builder<List<Integer>> b = Pipeline.builder("fan");
            Ref<List<Integer>> out = b.step("each").retry(RetryPolicy.attempts(2).noBackoff()).each(h, b.input());
            Result<List<Integer>> r = b.build(out).submit(List.of(1, 2, 3, 4)).get(10, TimeUnit.SECONDS);
            assertEquals(List.of(10, 20, 30, 40), r.value());
            assertEquals(2, seen.stream().filter(x -> x == 3).count(), "3 ran twice");
            for (int x : List.of(1, 2, 4)) {
                assertEquals(1, seen.stream().filter(y -> y == x).count(), x + " ran once: " + seen);
            }
            assertEquals(List.of(Trace.Outcome.FAILED, Trace.Outcome.OK), r.trace().spansOf("each").stream().map(Trace.Span::outcome).toList());
            String error = r.trace().spansOf("each").get(0).error();
            assertTrue(error.startsWith(ModelException.class.getName()) && error.contains("transient failure on 3"), error);
        }
    }

    @Nested
    class Routing {
        @Test
        void aSwitchRunsOnlyTheChosenBranchAndTheTraceSaysWhy() throws Exception {
            Pipeline.Builder<String> b = Pipeline.builder("router");
            Ref<String> out = b.step("route").choose(b.input(), s -> s.startsWith("hola") ? "es" : "en",
                    Branch.of("en", Task.of(counted("en", (String s) -> "EN:" + s))),
                    Branch.of("es", Task.of(counted("es", (String s) -> "ES:" + s))));
            Pipeline<String, String> p = b.build(out);
            Result<String> r = p.submit("hola mundo").get(10, TimeUnit.SECONDS);
            assertEquals("ES:hola mundo", r.value());
            assertEquals(0, calls("en"));
            assertEquals(1, calls("es"));
            assertEquals("branch 'es' (selector answered 'es')", r.trace().spansOf("route").get(0).note());
        }

        @Test
        void aSelectorNamingNoBranchFailsTheStepNamingTheBranches() {
            Pipeline.Builder<String> b = Pipeline.builder("router");
            Ref<String> out = b.step("route").choose(b.input(), s -> "fr", Branch.of("en", Task.of((String s) -> s)));
            PipelineStepException e = assertInstanceOf(PipelineStepException.class, failureOf(b.build(out).submit("x")));
            assertTrue(e.getCause().getMessage().contains("'fr', which names no branch; branches: [en]"),
                    e.getCause().getMessage());
        }

        @Test
        void aWeightedSplitSendsItsShareAndTheSameKeyAlwaysTheSameWay() throws Exception {
            Pipeline.Builder<String> b = Pipeline.builder("canary");
            Ref<String> out = b.step("model").split(b.input(), key -> key,
                    Branch.weighted("stable", 0.9, Task.of((String s) -> "stable")),
                    Branch.weighted("canary", 0.1, Task.of((String s) -> "canary")));
            Pipeline<String, String> p = b.build(out);
            int canary = 0;
            int n = 5000;
            for (int i = 0; i < n; i++) {
                if (p.submit("user-" + i).get(10, TimeUnit.SECONDS).value().equals("canary")) {
                    canary++;
                }
            }
            assertTrue(Math.abs(canary / (double) n - 0.1) < 0.02, "about 10% to the canary: " + canary);
            for (int i = 0; i < 50; i++) {
                String first = p.submit("user-" + i).get(10, TimeUnit.SECONDS).value();
                assertEquals(first, p.submit("user-" + i).get(10, TimeUnit.SECONDS).value(), "sticky per key");
            }
            String note = p.submit("user-1").get(10, TimeUnit.SECONDS).trace().spansOf("model").get(0).note();
            assertTrue(note.matches("branch '(stable|canary)' \\(weight 0\\.[19] of 1, key 'user-1'\\)"), note);
        }
    }

    @Nested
    class Traces {
        @Test
        void theTraceIsATimelineAndJson() throws Exception {
            Doubler model = new Doubler("doubler", 8, Duration.ZERO);
            Pipeline.Builder<Integer> b = Pipeline.builder("ocr");
            Ref<Integer> detected = b.step("detect").call(model.handle, b.input());
            Ref<String> text = b.step("format").apply((Integer x) -> "n=" + x, detected);
            Result<String> r = b.build(text).submit(21).get(10, TimeUnit.SECONDS);
            assertEquals("n=42", r.value());
            Trace t = r.trace();
            assertEquals(Trace.Outcome.OK, t.outcome());
            assertEquals(List.of("detect", "format"), t.spans().stream().map(Trace.Span::step).toList());
            String timeline = t.toString();
            assertTrue(timeline.startsWith("ocr "), timeline);
            assertTrue(timeline.matches("(?s).*\\n  detect +\\+\\d+\\.\\d ms +\\d+\\.\\d ms +ok  queue \\d+\\.\\d ms, batch 1( \\(policy's size \\d+\\))?, doubler#1.*"),
                    timeline);
            String json = t.toJson();
            assertTrue(json.matches("\\{\"pipeline\":\"ocr\",\"startedAt\":\"[0-9T:.Z-]+\",\"durationNanos\":\\d+,.*"), json);
            assertTrue(json.contains("\"step\":\"detect\",\"attempt\":1,"), json);
            assertTrue(json.contains("\"replicas\":\"doubler#1\""), json);
            assertTrue(json.contains("\"note\":null"), json);
            assertEquals(json.chars().filter(c -> c == '{').count(), json.chars().filter(c -> c == '}').count());
        }

        @Test
        void jsonEscapesWhatItQuotes() {
            assertEquals("\"a\\\"b\\\\c\\nd\\u0001\"", Trace.quote("a\"b\\c\nd\u0001"));
        }
    }

    /** Runs scheduled tasks only when the test says so; records the delays asked for. */
    static final class ManualScheduler implements Scheduler {
        private final List<Runnable> tasks = new ArrayList<>();
        private final List<Long> delays = new ArrayList<>();

        @Override
        public synchronized Runnable schedule(Runnable task, long delayNanos) {
            tasks.add(task);
            delays.add(delayNanos);
            return () -> {
                synchronized (this) {
                    tasks.remove(task);
                }
            };
        }

        synchronized List<Long> delays() {
            return List.copyOf(delays);
        }

        void runAll() {
            List<Runnable> due;
            synchronized (this) {
                due = new ArrayList<>(tasks);
                tasks.clear();
            }
            due.forEach(Runnable::run);
        }
    }

    @Test
    void aStepThatIsNotAFunctionOfItsInputStillStartsOnlyWhenTheInputIsReady() throws Exception {
        CompletableFuture<Integer> gate = new CompletableFuture<>();
        Pipeline.Builder<Integer> b = Pipeline.builder("p");
        Ref<Integer> slow = b.step("slow").run(Task.async((Integer x) -> gate), b.input());
        Ref<Integer> after = b.step("after").apply(counted("after", (Integer x) -> x + 1), slow);
        CompletableFuture<Result<Integer>> f = b.build(after).submit(0);
        assertFalse(f.isDone());
        assertEquals(0, calls("after"));
        gate.complete(41);
        assertEquals(42, f.get(10, TimeUnit.SECONDS).value());
    }
}
