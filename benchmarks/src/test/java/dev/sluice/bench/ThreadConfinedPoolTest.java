package dev.sluice.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.batching.ShutdownException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class ThreadConfinedPoolTest {

    /** A runner that remembers the thread that opened it and fails if another thread uses it. */
    static final class Runner implements AutoCloseable {
        final Thread owner = Thread.currentThread();
        final AtomicInteger closed;

        Runner(AtomicInteger closed) {
            this.closed = closed;
        }

        String run(int x) {
            if (Thread.currentThread() != owner) {
                throw new IllegalStateException("used by another thread");
            }
            return owner.getName() + ":" + x;
        }

        @Override
        public void close() {
            closed.incrementAndGet();
        }
    }

    @Test
    void everyJobRunsOnTheRunnerOfTheThreadThatTookItAndEveryRunnerIsClosed() throws Exception {
        AtomicInteger closed = new AtomicInteger();
        Set<String> threads = ConcurrentHashMap.newKeySet();
        List<CompletableFuture<String>> results = new ArrayList<>();
        try (ThreadConfinedPool<Runner, Integer, String> pool =
                new ThreadConfinedPool<>("t", 2, () -> new Runner(closed), Runner::run)) {
            for (int i = 0; i < 200; i++) {
                results.add(pool.submit(i));
            }
            for (int i = 0; i < 200; i++) {
                String r = results.get(i).get(10, TimeUnit.SECONDS);
                assertTrue(r.endsWith(":" + i), r);
                threads.add(r.substring(0, r.indexOf(':')));
            }
        }
        assertTrue(Set.of("t-0", "t-1").containsAll(threads), threads.toString());
        assertEquals(2, closed.get());
    }

    @Test
    void aFailedCallFailsItsJobAloneAndAJobAfterCloseFailsWithShutdown() throws Exception {
        ThreadConfinedPool<Runner, Integer, String> pool = new ThreadConfinedPool<>("t", 1,
                () -> new Runner(new AtomicInteger()), (r, x) -> {
                    if (x < 0) {
                        throw new IllegalArgumentException("negative");
                    }
                    return r.run(x);
                });
        ExecutionException e = assertThrows(ExecutionException.class, () -> pool.submit(-1).get(10, TimeUnit.SECONDS));
        assertInstanceOf(IllegalArgumentException.class, e.getCause());
        assertEquals("t-0:1", pool.submit(1).get(10, TimeUnit.SECONDS));
        pool.close();
        e = assertThrows(ExecutionException.class, () -> pool.submit(2).get(10, TimeUnit.SECONDS));
        assertInstanceOf(ShutdownException.class, e.getCause());
    }

    @Test
    void aRunnerThatCannotOpenFailsTheConstructorWithItsException() {
        IllegalStateException cause = new IllegalStateException("no model");
        Exception e = assertThrows(Exception.class, () -> new ThreadConfinedPool<Runner, Integer, String>("t", 2,
                () -> {
                    throw cause;
                }, Runner::run));
        assertSame(cause, e);
    }
}
