package dev.sluice.bench;

import dev.sluice.pipeline.Pipeline;
import dev.sluice.pipeline.Ref;
import dev.sluice.pipeline.Task;
import dev.sluice.pipeline.Trace;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * What the pipeline executor costs per step, against hand-written {@link CompletableFuture} composition
 * doing the same no-op work (issue 4; target: within 1.5x of the hand-written composition per step).
 * One operation is one request: submit and join; the summary divides by the steps per request.
 *
 * <p>Shapes, each with its hand-written twin ({@code *ByHand}):
 * <ul>
 *   <li>chain: 10 steps, each {@code apply(x -> x + 1)} on the one before (inline {@link Task#of}), against
 *       {@code completedFuture(x).thenApply(...)} ten times;</li>
 *   <li>fan-out: 32 parallel steps {@code apply(x -> x + i)} on the input and a {@code join} step summing
 *       them (33 steps), against 32 {@code thenApply} on the input's future, {@code allOf} and a sum. This is
 *       how the pipeline API expresses 32 units of work running at once, each with its own retry, timeout
 *       and span, so it is the shape whose per-step cost matters;</li>
 *   <li>fan-out in one step: the same hand-written composition run as a single {@link Task#async} step, the
 *       way {@code each} fans a list out inside one step: what one step adds around 32 elements.</li>
 * </ul>
 *
 * <p>The input is a value, already there, so every variant runs start to end on the calling thread: this
 * measures the executor's own work. A future completed by another thread would add the same hand-off
 * (a wake-up, tens of microseconds on a busy machine) to both sides and hide the difference. The input and
 * every intermediate value are cached {@code Integer}s (42 to 73), so boxing allocates only the fan-out's
 * sum, on both sides alike.
 *
 * <p>Pipeline variants: the default (no trace listener; the trace is built all the same), with a trace
 * listener, with a constant clock (what the per-step clock reads cost: without a deadline they only time
 * the spans), and with a deadline (each step then arms and cancels a timer on the pipeline's scheduler).
 * No variant retries, times out or uses the executor.
 *
 * <p>The heap is small and pre-touched: on the 2-vCPU VM of RESULTS.md the first touch of a fresh heap page
 * is slow (a page fault, apparently one the host serves too), and one-second iterations that never wrap
 * around the young generation measured those faults: with a 1 GiB heap and no pre-touch {@code chainByHand}
 * took 575-800 ns instead of about 100, the pipeline chain 12-24 us instead of about 2.7. The live set is
 * a few kilobytes.
 *
 * <p>Run with {@code -prof gc} for bytes per request ({@code gc.alloc.rate.norm}).
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"-Xms256m", "-Xmx256m", "-XX:+AlwaysPreTouch"})
@Threads(1)
@State(Scope.Benchmark)
public class PipelineOverheadBenchmark {
    static final int CHAIN = 10;
    static final int FAN_OUT = 32;

    /** A cached Integer, as are all values derived from it but the fan-out's sum. */
    static final Integer INPUT = 42;

    static final Function<Integer, Integer> PLUS_ONE = x -> x + 1;

    /** {@code ADD.get(i)} adds i: the fan-out's branches differ, so a miswired branch changes the sum. */
    static final List<Function<Integer, Integer>> ADD = adders(FAN_OUT);

    /** Far beyond any run: it never expires, but it makes every step arm a timer. */
    static final Duration DEADLINE = Duration.ofSeconds(10);

    Pipeline<Integer, Integer> chain;
    Pipeline<Integer, Integer> chainWithListener;
    Pipeline<Integer, Integer> chainConstantClock;
    Pipeline<Integer, Integer> fanOut;
    Pipeline<Integer, Integer> fanOutInOneStep;

    /** Where the listener variant's listener puts each trace (read by the test). */
    volatile Trace lastTrace;

    @Setup(Level.Trial)
    public void build() {
        chain = chain(Pipeline.builder("chain"));
        chainWithListener = chain(Pipeline.<Integer>builder("chain").onTrace(t -> lastTrace = t));
        chainConstantClock = chain(Pipeline.<Integer>builder("chain").ticker(() -> 0L));
        fanOut = fanOut(Pipeline.builder("fan-out"));
        Pipeline.Builder<Integer> b = Pipeline.builder("fan-out-in-one-step");
        fanOutInOneStep = b.build(b.step("fan-out").run(Task.async(PipelineOverheadBenchmark::fanOutComposed), b.input()));
    }

    @Benchmark
    public Integer chainByHand() {
        CompletableFuture<Integer> f = CompletableFuture.completedFuture(INPUT);
        for (int i = 0; i < CHAIN; i++) {
            f = f.thenApply(PLUS_ONE);
        }
        return f.join();
    }

    @Benchmark
    public Integer chainPipeline() {
        return chain.submit(INPUT).join().value();
    }

    @Benchmark
    public Integer chainPipelineWithListener() {
        return chainWithListener.submit(INPUT).join().value();
    }

    @Benchmark
    public Integer chainPipelineConstantClock() {
        return chainConstantClock.submit(INPUT).join().value();
    }

    @Benchmark
    public Integer chainPipelineWithDeadline() {
        return chain.submit(INPUT, DEADLINE).join().value();
    }

    @Benchmark
    public Integer fanOutByHand() {
        return fanOutComposed(INPUT).join();
    }

    @Benchmark
    public Integer fanOutPipeline() {
        return fanOut.submit(INPUT).join().value();
    }

    @Benchmark
    public Integer fanOutPipelineInOneStep() {
        return fanOutInOneStep.submit(INPUT).join().value();
    }

    private static Pipeline<Integer, Integer> chain(Pipeline.Builder<Integer> b) {
        Ref<Integer> last = b.input();
        for (int i = 1; i <= CHAIN; i++) {
            last = b.step("add " + i).apply(PLUS_ONE, last);
        }
        return b.build(last);
    }

    private static Pipeline<Integer, Integer> fanOut(Pipeline.Builder<Integer> b) {
        List<Ref<Integer>> parts = new ArrayList<>(FAN_OUT);
        for (int i = 0; i < FAN_OUT; i++) {
            parts.add(b.step("add " + i).apply(ADD.get(i), b.input()));
        }
        Ref<Integer> sum = b.step("sum").join(in -> {
            int s = 0;
            for (Ref<Integer> part : parts) {
                s += in.get(part);
            }
            return s;
        }, parts.toArray(new Ref<?>[0]));
        return b.build(sum);
    }

    /** The hand-written fan-out: 32 functions of the input's future, and a join once all have completed. */
    static CompletableFuture<Integer> fanOutComposed(Integer x) {
        CompletableFuture<Integer> in = CompletableFuture.completedFuture(x);
        @SuppressWarnings("unchecked")
        CompletableFuture<Integer>[] parts = new CompletableFuture[FAN_OUT];
        for (int i = 0; i < FAN_OUT; i++) {
            parts[i] = in.thenApply(ADD.get(i));
        }
        return CompletableFuture.allOf(parts).thenApply(done -> {
            int s = 0;
            for (CompletableFuture<Integer> part : parts) {
                s += part.join();
            }
            return s;
        });
    }

    private static List<Function<Integer, Integer>> adders(int n) {
        List<Function<Integer, Integer>> adders = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            int k = i;
            adders.add(x -> x + k);
        }
        return List.copyOf(adders);
    }
}
