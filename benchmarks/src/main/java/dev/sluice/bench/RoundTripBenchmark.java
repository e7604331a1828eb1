package dev.sluice.bench;

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
 * Idle round trip: one thread submits one request and joins it, again and again, so every request finds
 * the batcher idle (its threads parked). Sample-time mode gives the latency distribution (p50, p99...).
 * With the no-op function this is pure hand-off cost: for Sluice producer to batch former to worker and
 * back, for the baselines producer to worker and back, for {@code direct} none.
 */
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-Xms1g", "-Xmx1g"})
@Threads(1)
@State(Scope.Benchmark)
public class RoundTripBenchmark {

    @Param({"sluice", "lbq", "mpsc", "direct"})
    public String impl;

    private Target<Integer, Integer> target;

    @Setup(Level.Trial)
    public void start() {
        target = Target.create(impl, OverheadBenchmark.NO_OP, 32, 4096);
    }

    @TearDown(Level.Trial)
    public void stop() {
        target.close();
    }

    @Benchmark
    public Integer roundTrip() {
        return target.submit(OverheadBenchmark.INPUT).join();
    }
}
