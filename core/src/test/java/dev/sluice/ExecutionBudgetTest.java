package dev.sluice;

import static dev.sluice.batching.Eventually.eventually;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.batching.ManualTicker;
import dev.sluice.batching.internal.ExecutionGate;
import dev.sluice.internal.CpuMeter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The execution budget on its own: who goes next, what a waiter that does not fit does, and its counters. */
class ExecutionBudgetTest {
    private final ManualTicker ticker = new ManualTicker();
    private final List<Thread> threads = new ArrayList<>();
    /** The keys of the calls let through, in the order they were. */
    private final List<Long> order = new CopyOnWriteArrayList<>();

    @AfterEach
    void tearDown() throws InterruptedException {
        for (Thread t : threads) {
            t.interrupt();
            t.join(10_000);
        }
    }

    /**
     * A call on a thread of its own: waits for {@code tokens} with {@code key}, notes its key, and holds the
     * tokens until {@code done} completes. The returned future completes with the permit once let through.
     */
    private CompletableFuture<ExecutionGate.Permit> call(ExecutionBudget budget, int tokens, long key) {
        return call(budget, tokens, key, Long.MAX_VALUE);
    }

    /** {@link #call} that gives up at {@code deadline} (the future then completes with null). */
    private CompletableFuture<ExecutionGate.Permit> call(ExecutionBudget budget, int tokens, long key, long deadline) {
        CompletableFuture<ExecutionGate.Permit> through = new CompletableFuture<>();
        Thread t = new Thread(() -> {
            try {
                ExecutionGate.Permit p = budget.gate(tokens).acquire(key, deadline);
                if (p != null) {
                    order.add(key);
                }
                through.complete(p);
            } catch (Throwable e) {
                through.completeExceptionally(e);
            }
        }, "call-" + key);
        t.setDaemon(true);
        threads.add(t);
        t.start();
        return through;
    }

    private static void awaitWaiting(ExecutionBudget budget, int n) throws InterruptedException {
        eventually(n + " waiting", () -> budget.waiting() == n);
    }

    @Test
    void aCallThatFitsGoesAtOnceAndTheBudgetCountsWhatItHolds() throws Exception {
        ExecutionBudget budget = new ExecutionBudget(4, ticker);
        ExecutionGate.Permit p = budget.gate(3).acquire(0);
        assertEquals(3, budget.inUse());
        p.release();
        p.release();
        assertEquals(0, budget.inUse(), "releasing twice gives back once");
    }

    @Test
    void waitersGoInTheOrderOfTheirKeysNotOfTheirArrival() throws Exception {
        ExecutionBudget budget = new ExecutionBudget(1, ticker);
        ExecutionGate.Permit held = budget.gate(1).acquire(0);
        CompletableFuture<ExecutionGate.Permit> newer = call(budget, 1, 300);
        awaitWaiting(budget, 1);
        CompletableFuture<ExecutionGate.Permit> older = call(budget, 1, 100);
        awaitWaiting(budget, 2);
        CompletableFuture<ExecutionGate.Permit> sameAsOlder = call(budget, 1, 100);
        awaitWaiting(budget, 3);

        held.release();
        older.get(10, TimeUnit.SECONDS).release();
        sameAsOlder.get(10, TimeUnit.SECONDS).release();
        newer.get(10, TimeUnit.SECONDS).release();
        assertEquals(List.of(100L, 100L, 300L), order, "smallest key first; the tie in arrival order");
        assertEquals(0, budget.inUse());
        assertEquals(0, budget.waiting());
    }

    @Test
    void aWaiterThatDoesNotFitBlocksThoseBehindItSoABigCallIsNeverStarved() throws Exception {
        ExecutionBudget budget = new ExecutionBudget(2, ticker);
        ExecutionGate.Permit held = budget.gate(1).acquire(0);
        CompletableFuture<ExecutionGate.Permit> big = call(budget, 2, 10);
        awaitWaiting(budget, 1);
        CompletableFuture<ExecutionGate.Permit> small = call(budget, 1, 20);
        awaitWaiting(budget, 2);
        assertEquals(1, budget.inUse(), "one CPU is free, but the small call waits behind the big one");
        assertFalse(small.isDone());

        held.release();
        ExecutionGate.Permit bigPermit = big.get(10, TimeUnit.SECONDS);
        assertEquals(2, budget.inUse());
        assertFalse(small.isDone());
        bigPermit.release();
        small.get(10, TimeUnit.SECONDS).release();
        assertEquals(List.of(10L, 20L), order);
    }

    @Test
    void anInterruptedWaiterHoldsNothingAndNoLongerHoldsBackThoseBehindIt() throws Exception {
        ExecutionBudget budget = new ExecutionBudget(2, ticker);
        ExecutionGate.Permit held = budget.gate(1).acquire(0);
        CompletableFuture<ExecutionGate.Permit> big = call(budget, 2, 10);
        awaitWaiting(budget, 1);
        Thread bigThread = threads.get(0);
        CompletableFuture<ExecutionGate.Permit> small = call(budget, 1, 20);
        awaitWaiting(budget, 2);

        bigThread.interrupt();
        Throwable e = assertThrows(java.util.concurrent.ExecutionException.class, () -> big.get(10, TimeUnit.SECONDS));
        assertTrue(e.getCause() instanceof InterruptedException, e.toString());
        small.get(10, TimeUnit.SECONDS).release();
        held.release();
        assertEquals(0, budget.inUse());
        assertEquals(0, budget.waiting());
    }

    @Test
    void aWaiterPastItsDeadlineGivesUpHoldingNothingAndNoLongerHoldsBackThoseBehindIt() throws Exception {
        ExecutionBudget budget = new ExecutionBudget(2, ticker);
        ExecutionGate.Permit held = budget.gate(1).acquire(0);
        CompletableFuture<ExecutionGate.Permit> big = call(budget, 2, 10, ticker.read() + 1_000_000);
        awaitWaiting(budget, 1);
        CompletableFuture<ExecutionGate.Permit> small = call(budget, 1, 20, ticker.read() + 60_000_000_000L);
        awaitWaiting(budget, 2);
        assertFalse(big.isDone(), "its deadline has not passed on the budget's clock");

        ticker.advance(Duration.ofMillis(2));
        assertEquals(null, big.get(10, TimeUnit.SECONDS), "gave up: no permit");
        ExecutionGate.Permit smallPermit = small.get(10, TimeUnit.SECONDS);
        assertEquals(2, budget.inUse(), "the small call went once the big one stopped holding it back");
        smallPermit.release();
        held.release();
        assertEquals(0, budget.inUse());
        assertEquals(0, budget.waiting());
        assertEquals(List.of(20L), order);
    }

    @Test
    void aCallOfNoCpusNeverWaitsEvenWhenTheBudgetIsFull() throws Exception {
        ExecutionBudget budget = new ExecutionBudget(1, ticker);
        ExecutionGate.Permit held = budget.gate(1).acquire(0);
        CompletableFuture<ExecutionGate.Permit> waiting = call(budget, 1, 5);
        awaitWaiting(budget, 1);
        budget.gate(0).acquire(-1).release(); // returns at once on this thread
        assertEquals(1, budget.inUse());
        held.release();
        waiting.get(10, TimeUnit.SECONDS).release();
    }

    @Test
    void aCallOfMoreCpusThanTheBudgetHasIsRefusedNamingBoth() {
        ExecutionBudget budget = new ExecutionBudget(2, ticker);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> budget.gate(3));
        assertEquals("cpus: a call needs 3 CPUs, the execution budget has 2", e.getMessage());
    }

    @Test
    void theTimeCallsWaitedIsCountedOnTheTicker() throws Exception {
        ExecutionBudget budget = new ExecutionBudget(1, ticker);
        ExecutionGate.Permit held = budget.gate(1).acquire(0);
        CompletableFuture<ExecutionGate.Permit> waiting = call(budget, 1, 5);
        awaitWaiting(budget, 1);
        ticker.advance(Duration.ofMillis(7));
        held.release();
        waiting.get(10, TimeUnit.SECONDS).release();
        assertEquals(Duration.ofMillis(7).toNanos(), budget.waitedNanos());
        assertEquals("ExecutionBudget[0 of 1 CPUs in use, 0 waiting]", budget.toString());
    }

    // ---------------------------------------------------------------- borrowing idle CPUs (burstCpus)

    @Test
    void aCallAloneBorrowsTheIdleCpusUpToItsBurstAndGivesThemAllBack() throws Exception {
        ExecutionBudget budget = new ExecutionBudget(4, ticker);
        ExecutionGate.Permit p = budget.gate(1, 3).acquire(0);
        assertEquals(3, p.cpus(), "one of its own and two borrowed");
        assertEquals(3, budget.inUse());
        p.release();
        assertEquals(0, budget.inUse());
    }

    @Test
    void itBorrowsOnlyWhatIsIdle() throws Exception {
        ExecutionBudget budget = new ExecutionBudget(2, ticker);
        ExecutionGate.Permit other = budget.gate(1).acquire(0);
        ExecutionGate.Permit p = budget.gate(1, 2).acquire(1);
        assertEquals(1, p.cpus(), "the other CPU is in use");
        other.release();
        p.release();
        assertEquals(0, budget.inUse());
        assertEquals(2, budget.gate(1, 8).acquire(2).cpus(), "never more than the budget has");
    }

    @Test
    void aCallLetThroughWhileOthersStillWaitBorrowsNothingButTheLastOneBorrows() throws Exception {
        ExecutionBudget budget = new ExecutionBudget(3, ticker);
        ExecutionGate.Permit held = budget.gate(3).acquire(0);
        CompletableFuture<ExecutionGate.Permit> first = new CompletableFuture<>();
        CompletableFuture<ExecutionGate.Permit> second = new CompletableFuture<>();
        for (CompletableFuture<ExecutionGate.Permit> f : List.of(first, second)) {
            long key = f == first ? 1 : 2;
            Thread t = new Thread(() -> {
                try {
                    f.complete(budget.gate(1, 3).acquire(key));
                } catch (Throwable e) {
                    f.completeExceptionally(e);
                }
            });
            t.setDaemon(true);
            threads.add(t);
            t.start();
            awaitWaiting(budget, (int) key);
        }
        held.release();
        // Both are let through by one release, in key order: the first while the second still waits (so it
        // borrows nothing), the second last, borrowing the one CPU left.
        assertEquals(1, first.get(10, TimeUnit.SECONDS).cpus());
        assertEquals(2, second.get(10, TimeUnit.SECONDS).cpus());
        assertEquals(3, budget.inUse());
    }

    @Test
    void aBurstBelowItsCpusIsRefused() throws Exception {
        ExecutionBudget budget = new ExecutionBudget(4, ticker);
        assertThrows(IllegalArgumentException.class, () -> budget.gate(2, 1));
        assertEquals(1, budget.gate(0, 4).acquire(0).cpus(), "cpus(0) never waits nor borrows: an open gate");
        assertEquals(0, budget.inUse());
    }

    @Test
    void itIntegratesTheCpusHeldOverTimeSoAPipelineCanTellHowBusyTheyWere() throws Exception {
        ExecutionBudget budget = new ExecutionBudget(2, ticker);
        ticker.advance(Duration.ofMillis(7)); // idle time counts nothing
        CpuMeter.Reading start = budget.read();
        assertEquals(0, start.cpuNanosHeld());
        assertEquals(2, start.cpus());
        ExecutionGate.Permit first = budget.gate(1).acquire(0);
        ticker.advance(Duration.ofMillis(10));
        ExecutionGate.Permit second = budget.gate(1).acquire(1);
        ticker.advance(Duration.ofMillis(20));
        CpuMeter.Reading both = budget.read();
        assertEquals(TimeUnit.MILLISECONDS.toNanos(10 + 2 * 20), both.cpuNanosHeld(), "what is held now counts up to now");
        first.release();
        ticker.advance(Duration.ofMillis(5));
        second.release();
        ticker.advance(Duration.ofMillis(100));
        CpuMeter.Reading end = budget.read();
        assertEquals(TimeUnit.MILLISECONDS.toNanos(10 + 2 * 20 + 5), end.cpuNanosHeld());
        assertEquals(TimeUnit.MILLISECONDS.toNanos(135), end.at() - start.at());
        assertEquals(50.0 / (2 * 30), CpuMeter.utilization(start, both), 1e-12);
        assertEquals(55.0 / (2 * 135), CpuMeter.utilization(start, end), 1e-12);
        assertTrue(Double.isNaN(CpuMeter.utilization(end, end)), "no time between the readings");
    }

    @Test
    void borrowedCpusAndAWaitersTokensCountFromWhenTheyAreHeld() throws Exception {
        ExecutionBudget budget = new ExecutionBudget(2, ticker);
        CpuMeter.Reading start = budget.read();
        ExecutionGate.Permit wide = budget.gate(1, 2).acquire(0);
        assertEquals(2, wide.cpus(), "alone, it borrows the idle CPU");
        CompletableFuture<ExecutionGate.Permit> waiter = call(budget, 2, 1);
        awaitWaiting(budget, 1);
        ticker.advance(Duration.ofMillis(10));
        wide.release();
        ExecutionGate.Permit p = waiter.get(10, TimeUnit.SECONDS);
        ticker.advance(Duration.ofMillis(30));
        p.release();
        assertEquals(TimeUnit.MILLISECONDS.toNanos(2 * 10 + 2 * 30), budget.read().cpuNanosHeld(),
                "the waiter held nothing while it waited");
        assertEquals(1.0, CpuMeter.utilization(start, budget.read()), 1e-12);
    }
}
