package dev.sluice;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Fixtures shared by core's tests, in one place: public so the tests of every core package use these and
 * keep no copies of their own. How a test reads a future's failure or waits for a condition is common to
 * every module and lives in sluice-batching's test-jar ({@link dev.sluice.batching.TestFutures},
 * {@link dev.sluice.batching.Eventually}).
 */
public final class Fixtures {
    private Fixtures() {}

    public static Resources cpus(int n) {
        return Resources.builder().cpus(n).build();
    }

    /** A factory of models that double integers at once. */
    static ModelFactory<Integer, Integer> doubler() {
        return ctx -> new GatedModel(ctx.replicaId());
    }

    /** A model that doubles integers and blocks while its gate is closed. */
    static final class GatedModel implements Model<Integer, Integer> {
        final String replica;
        final List<List<Integer>> batches = java.util.Collections.synchronizedList(new ArrayList<>());
        volatile CountDownLatch gate = new CountDownLatch(0);
        final java.util.concurrent.Semaphore started = new java.util.concurrent.Semaphore(0);
        volatile boolean closed;

        GatedModel(String replica) {
            this.replica = replica;
        }

        GatedModel hold() {
            gate = new CountDownLatch(1);
            return this;
        }

        void release() {
            gate.countDown();
        }

        void awaitStarted() throws InterruptedException {
            if (!started.tryAcquire(10, TimeUnit.SECONDS)) {
                throw new AssertionError(replica + " never started a batch");
            }
        }

        @Override
        public List<Integer> predict(List<Integer> batch) throws Exception {
            batches.add(List.copyOf(batch));
            started.release();
            gate.await();
            List<Integer> out = new ArrayList<>();
            batch.forEach(x -> out.add(2 * x));
            return out;
        }

        @Override
        public void close() {
            closed = true;
        }
    }

    /** Hangs on 666, deaf to interruption (a stuck native call), until the test releases it. */
    static final class DeafModel implements Model<Integer, Integer> {
        final CountDownLatch entered = new CountDownLatch(1);
        final CountDownLatch release = new CountDownLatch(1);
        final CountDownLatch closed = new CountDownLatch(1);
        final AtomicBoolean running = new AtomicBoolean();
        final AtomicBoolean closedWhileRunning = new AtomicBoolean();

        @Override
        public List<Integer> predict(List<Integer> batch) {
            if (batch.contains(666)) {
                running.set(true);
                entered.countDown();
                boolean interrupted = false;
                while (release.getCount() > 0) {
                    try {
                        release.await();
                    } catch (InterruptedException e) {
                        interrupted = true;
                    }
                }
                running.set(false);
                if (interrupted) {
                    Thread.currentThread().interrupt();
                }
            }
            return batch.stream().map(x -> 2 * x).toList();
        }

        @Override
        public void close() {
            closedWhileRunning.compareAndSet(false, running.get());
            closed.countDown();
        }
    }
}
