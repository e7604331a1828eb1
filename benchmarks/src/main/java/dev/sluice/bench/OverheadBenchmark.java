package dev.sluice.bench;

import dev.sluice.batching.BatchFunction;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Per-request overhead of the batcher with a no-op function (it returns its inputs): throughput with 1, 4
 * and 16 producer threads, each keeping at most {@code window} futures outstanding.
 *
 * <p>One operation is one submission. Each producer owns a ring of {@code window} futures; before it
 * submits into a slot it joins the future that was there, so it never has more than {@code window}
 * requests in flight (16 x 64 = 1024, well under the queue capacity: nothing is ever rejected, and a
 * rejection would fail the benchmark through {@code join}).
 *
 * <p>Run with {@code -prof gc} for bytes per request ({@code gc.alloc.rate.norm}, all threads, including
 * the batcher's) and {@code -prof dev.sluice.bench.CpuProfiler} for process CPU time per request.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-Xms1g", "-Xmx1g"})
public class OverheadBenchmark {

    /** A cached Integer: the input costs no allocation. */
    static final Integer INPUT = 42;

    /** The no-op model: returns the list it was given. */
    static final BatchFunction<Integer, Integer> NO_OP = batch -> batch;

    @State(Scope.Benchmark)
    public static class Shared {
        @Param({"sluice", "lbq", "mpsc", "direct"})
        public String impl;

        @Param("32")
        public int maxBatchSize;

        @Param("4096")
        public int queueCapacity;

        Target<Integer, Integer> target;

        @Setup(Level.Trial)
        public void start() {
            target = Target.create(impl, NO_OP, maxBatchSize, queueCapacity);
        }

        @TearDown(Level.Trial)
        public void stop() {
            target.close();
        }
    }

    @State(Scope.Thread)
    public static class Window {
        /** Futures each producer keeps outstanding; a power of two. */
        @Param("64")
        public int window;

        CompletableFuture<Integer>[] ring;
        int mask;
        int next;

        @Setup(Level.Iteration)
        @SuppressWarnings({"unchecked", "rawtypes"})
        public void init() {
            if (Integer.bitCount(window) != 1) {
                throw new IllegalArgumentException("window must be a power of two, was " + window);
            }
            ring = new CompletableFuture[window];
            mask = window - 1;
            next = 0;
        }

        /** Joins whatever is still outstanding, so no iteration leaves work for the next. */
        @TearDown(Level.Iteration)
        public void drain() {
            for (CompletableFuture<Integer> f : ring) {
                if (f != null) {
                    f.join();
                }
            }
        }

        Integer submit(Target<Integer, Integer> target) {
            int slot = next++ & mask;
            CompletableFuture<Integer> previous = ring[slot];
            Integer result = previous == null ? null : previous.join();
            ring[slot] = target.submit(INPUT);
            return result;
        }
    }

    @Benchmark
    @Threads(1)
    public Integer producers01(Shared shared, Window window) {
        return window.submit(shared.target);
    }

    @Benchmark
    @Threads(4)
    public Integer producers04(Shared shared, Window window) {
        return window.submit(shared.target);
    }

    @Benchmark
    @Threads(16)
    public Integer producers16(Shared shared, Window window) {
        return window.submit(shared.target);
    }
}
