package dev.sluice.bench;

import dev.sluice.batching.ShutdownException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.atomic.AtomicReference;

/**
 * What an application without a serving library writes around a model runtime: a fixed number of threads,
 * each owning a runner of its own (opened on that thread, closed by it; ONNX Runtime sessions, say), taking
 * one job at a time from one shared unbounded FIFO queue. The "no Sluice" side of the model benchmarks.
 * Thread-safe.
 *
 * @param <R> what each thread owns (not shared between threads)
 * @param <I> a job's input
 * @param <O> its output
 */
final class ThreadConfinedPool<R extends AutoCloseable, I, O> implements AutoCloseable {

    /** Runs one input on the calling thread's runner. */
    @FunctionalInterface
    interface Call<R, I, O> {
        O run(R runner, I input) throws Exception;
    }

    private record Job<I, O>(I input, CompletableFuture<O> result) {}

    private final Job<I, O> stop = new Job<>(null, null);
    private final BlockingQueue<Job<I, O>> queue = new LinkedBlockingQueue<>();
    private final List<Thread> threads = new ArrayList<>();
    private final String name;
    private volatile boolean closed;

    /**
     * Starts {@code threads} threads named {@code name-i} and waits until each has opened its runner.
     *
     * @throws Exception the first runner's failure to open (the pool is closed then)
     */
    ThreadConfinedPool(String name, int threads, Callable<? extends R> open, Call<? super R, ? super I, ? extends O> call)
            throws Exception {
        if (threads < 1) {
            throw new IllegalArgumentException("threads must be at least 1, was " + threads);
        }
        this.name = name;
        CountDownLatch opened = new CountDownLatch(threads);
        AtomicReference<Exception> failure = new AtomicReference<>();
        for (int i = 0; i < threads; i++) {
            Thread t = new Thread(() -> {
                R runner;
                try {
                    runner = open.call();
                } catch (Exception e) {
                    failure.compareAndSet(null, e);
                    return;
                } finally {
                    opened.countDown();
                }
                try (runner) {
                    serve(runner, call);
                } catch (Exception e) {
                    throw new IllegalStateException(name + ": closing a runner failed", e);
                }
            }, name + "-" + i);
            this.threads.add(t);
            t.start();
        }
        opened.await();
        if (failure.get() != null) {
            close();
            throw failure.get();
        }
    }

    private void serve(R runner, Call<? super R, ? super I, ? extends O> call) {
        while (true) {
            Job<I, O> job;
            try {
                job = queue.take();
            } catch (InterruptedException e) {
                return;
            }
            if (job == stop) {
                return;
            }
            try {
                job.result().complete(call.run(runner, job.input()));
            } catch (Exception e) {
                job.result().completeExceptionally(e);
            }
        }
    }

    /** Queues one input; never blocks. After {@link #close} the future fails with {@link ShutdownException}. */
    CompletableFuture<O> submit(I input) {
        CompletableFuture<O> f = new CompletableFuture<>();
        if (closed) {
            f.completeExceptionally(new ShutdownException(name + " is closed"));
            return f;
        }
        queue.add(new Job<>(input, f));
        return f;
    }

    /** Lets each thread finish the job it runs, fails what is still queued, and closes the runners. */
    @Override
    public void close() throws InterruptedException {
        closed = true;
        failQueued();
        for (int i = 0; i < threads.size(); i++) {
            queue.add(stop);
        }
        for (Thread t : threads) {
            t.join();
        }
        failQueued(); // a submit that raced with close may have queued behind the stops
    }

    private void failQueued() {
        List<Job<I, O>> left = new ArrayList<>();
        queue.drainTo(left);
        for (Job<I, O> j : left) {
            if (j != stop) {
                j.result().completeExceptionally(new ShutdownException(name + " closed"));
            }
        }
    }
}
