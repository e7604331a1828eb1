package dev.sluice.bench;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.openjdk.jmh.infra.BenchmarkParams;
import org.openjdk.jmh.infra.IterationParams;
import org.openjdk.jmh.profile.InternalProfiler;
import org.openjdk.jmh.results.AggregationPolicy;
import org.openjdk.jmh.results.IterationResult;
import org.openjdk.jmh.results.Result;
import org.openjdk.jmh.results.ScalarResult;

/**
 * JMH profiler ({@code -prof dev.sluice.bench.CpuProfiler}) that reports, per measured operation, the
 * process CPU time ({@code com.sun.management.OperatingSystemMXBean#getProcessCpuTime}: every thread of
 * the forked JVM, so producers, the batcher's threads, GC and JIT alike) and the context switches of all
 * its threads (from {@code /proc/self/task/<tid>/status}, Linux only; a wakeup count).
 *
 * <p>It samples both just before and just after each iteration and divides the difference by the
 * iteration's operation count, exactly as {@code -prof gc} normalises allocation. The JMH harness thread
 * in the fork is idle during an iteration, so its share is negligible.
 *
 * <ul>
 *   <li>{@code cpu.ns/op}: process CPU nanoseconds per operation;</li>
 *   <li>{@code cpu.cores}: average cores busy during the iteration (CPU time / wall time);</li>
 *   <li>{@code ctxsw/op}: voluntary plus involuntary context switches per operation;</li>
 *   <li>{@code ctxsw.vol/op}: voluntary ones only (a thread blocked: park, futex), i.e. wakeups;</li>
 *   <li>{@code ctxsw.vol.batcher/op}: voluntary ones of the batcher's own threads (named {@code sluice-*},
 *       {@code lbq-*}, {@code mpsc-*}): how often the batcher side went to sleep and had to be woken.</li>
 * </ul>
 */
public final class CpuProfiler implements InternalProfiler {
    private static final com.sun.management.OperatingSystemMXBean OS =
            (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();

    private long cpuStart;
    private long wallStart;
    private Map<String, long[]> switchesStart;

    @Override
    public String getDescription() {
        return "Process CPU time and context switches per operation";
    }

    @Override
    public void beforeIteration(BenchmarkParams benchmarkParams, IterationParams iterationParams) {
        switchesStart = contextSwitches();
        wallStart = System.nanoTime();
        cpuStart = OS.getProcessCpuTime();
    }

    @Override
    @SuppressWarnings("rawtypes") // the JMH interface declares the raw type
    public Collection<? extends Result> afterIteration(BenchmarkParams benchmarkParams,
            IterationParams iterationParams, IterationResult result) {
        long cpu = OS.getProcessCpuTime() - cpuStart;
        long wall = System.nanoTime() - wallStart;
        Map<String, long[]> switchesEnd = contextSwitches();
        long ops = result.getMetadata().getAllOps();
        List<ScalarResult> out = new ArrayList<>();
        if (ops > 0 && cpu >= 0) {
            out.add(new ScalarResult("cpu.ns/op", (double) cpu / ops, "ns/op", AggregationPolicy.AVG));
        }
        out.add(new ScalarResult("cpu.cores", (double) cpu / wall, "cores", AggregationPolicy.AVG));
        if (ops > 0 && switchesEnd != null && switchesStart != null) {
            long[] switches = difference(switchesStart, switchesEnd);
            long vol = switches[0];
            long invol = switches[1];
            out.add(new ScalarResult("ctxsw/op", (double) (vol + invol) / ops, "#/op", AggregationPolicy.AVG));
            out.add(new ScalarResult("ctxsw.vol/op", (double) vol / ops, "#/op", AggregationPolicy.AVG));
            out.add(new ScalarResult("ctxsw.vol.batcher/op", (double) switches[2] / ops, "#/op", AggregationPolicy.AVG));
        }
        return out;
    }

    /**
     * For each live thread of this process (by Linux thread id), {voluntary, involuntary, is-batcher-thread}
     * context switches; null where /proc is missing.
     */
    static Map<String, long[]> contextSwitches() {
        Path tasks = Paths.get("/proc/self/task");
        if (!Files.isDirectory(tasks)) {
            return null;
        }
        Map<String, long[]> out = new HashMap<>();
        try (DirectoryStream<Path> dirs = Files.newDirectoryStream(tasks)) {
            for (Path dir : dirs) {
                long[] counts = new long[3];
                try {
                    String comm = new String(Files.readAllBytes(dir.resolve("comm")), StandardCharsets.UTF_8).trim();
                    counts[2] = comm.startsWith("sluice-") || comm.startsWith("lbq-") || comm.startsWith("mpsc-") ? 1 : 0;
                } catch (IOException threadEnded) {
                    continue;
                }
                List<String> lines;
                try {
                    lines = Files.readAllLines(dir.resolve("status"));
                } catch (IOException threadEnded) {
                    continue;
                }
                for (String line : lines) {
                    if (line.startsWith("voluntary_ctxt_switches:")) {
                        counts[0] = Long.parseLong(line.substring(line.indexOf(':') + 1).trim());
                    } else if (line.startsWith("nonvoluntary_ctxt_switches:")) {
                        counts[1] = Long.parseLong(line.substring(line.indexOf(':') + 1).trim());
                    }
                }
                out.put(String.valueOf(dir.getFileName()), counts);
            }
        } catch (IOException e) {
            return null;
        }
        return out;
    }

    /**
     * Context switches between two snapshots: for threads in both, the difference; for threads only in
     * the second (started in between), all of theirs. Threads that ended in between are lost (their last
     * switches are not counted); the batchers' threads live across the whole trial.
     */
    static long[] difference(Map<String, long[]> before, Map<String, long[]> after) {
        long vol = 0;
        long invol = 0;
        long batcherVol = 0;
        for (Map.Entry<String, long[]> e : after.entrySet()) {
            long[] b = before.getOrDefault(e.getKey(), new long[3]);
            long[] a = e.getValue();
            vol += a[0] - b[0];
            invol += a[1] - b[1];
            if (a[2] == 1) {
                batcherVol += a[0] - b[0];
            }
        }
        return new long[] {vol, invol, batcherVol};
    }
}
