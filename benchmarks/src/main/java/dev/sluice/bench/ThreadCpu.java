package dev.sluice.bench;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * CPU time of this JVM's threads, by group of thread names, from {@code /proc/self/task/<tid>/} (Linux; on other
 * systems a snapshot is empty): what a benchmark side spends per page, and on which threads (model replicas,
 * pipeline workers, the JIT compiler, GC), so that two sides' throughput can be told apart by work done rather
 * than only by pages counted; and how long those threads were ready to run but waited for a core (the run queue),
 * which is what more busy threads than cores costs. A group is a name with its digits as {@code #} (the kernel
 * keeps the first 15 characters of a name). Times come from {@code schedstat} in nanoseconds where the kernel keeps
 * it, else from {@code stat}'s clock ticks of 10 ms (then no wait is known), so a window should span seconds. A
 * thread that ends between two snapshots takes its time with it: long-lived threads (replicas, pools) are what
 * this counts.
 */
final class ThreadCpu {
    /** Linux's USER_HZ: the unit of {@code utime} and {@code stime}. */
    static final long NANOS_PER_TICK = 10_000_000L;
    private static final Path TASKS = Path.of("/proc/self/task");

    private ThreadCpu() {}

    /**
     * A thread group's times so far.
     *
     * @param cpuNanos on a core (user + system)
     * @param waitNanos ready to run but waiting on the run queue for a core; -1 where the kernel does not say
     */
    record Times(long cpuNanos, long waitNanos) {
        Times plus(Times o) {
            return new Times(cpuNanos + o.cpuNanos, waitNanos < 0 || o.waitNanos < 0 ? -1 : waitNanos + o.waitNanos);
        }
    }

    /** The times of each group of this JVM's live threads now. */
    static Map<String, Times> snapshot() {
        Map<String, Times> byGroup = new TreeMap<>();
        if (!Files.isDirectory(TASKS)) {
            return byGroup;
        }
        try (DirectoryStream<Path> tasks = Files.newDirectoryStream(TASKS)) {
            for (Path task : tasks) {
                String stat;
                try {
                    stat = Files.readString(task.resolve("stat"));
                } catch (IOException ended) {
                    continue; // the thread ended while the directory was read
                }
                long[] ticks = new long[1];
                String name = parse(stat, ticks);
                if (name == null) {
                    continue;
                }
                Times times;
                try {
                    times = parseSchedstat(Files.readString(task.resolve("schedstat")));
                } catch (IOException noSchedstat) {
                    times = null;
                }
                if (times == null) {
                    times = new Times(ticks[0] * NANOS_PER_TICK, -1);
                }
                byGroup.merge(group(name), times, Times::plus);
            }
        } catch (IOException e) {
            return byGroup;
        }
        return byGroup;
    }

    /**
     * The thread's name from one {@code stat} line, and its user + system ticks in {@code ticks[0]}; null if the
     * line is not one. The name is in parentheses and may itself hold spaces and parentheses: the fields after
     * the last ')' are numbered from 3 (state), so utime and stime are its 12th and 13th.
     */
    static String parse(String stat, long[] ticks) {
        int open = stat.indexOf('(');
        int close = stat.lastIndexOf(')');
        if (open < 0 || close < open || close + 2 > stat.length()) {
            return null;
        }
        String[] f = stat.substring(close + 2).trim().split(" +");
        if (f.length < 13) {
            return null;
        }
        try {
            ticks[0] = Long.parseLong(f[11]) + Long.parseLong(f[12]);
        } catch (NumberFormatException e) {
            return null;
        }
        return stat.substring(open + 1, close);
    }

    /**
     * The times in one {@code schedstat} line ({@code "<ns on a core> <ns waiting on the run queue> <slices>"}),
     * or null if it is not one.
     */
    static Times parseSchedstat(String line) {
        String[] f = line.trim().split(" +");
        if (f.length < 2) {
            return null;
        }
        try {
            long cpu = Long.parseLong(f[0]);
            long wait = Long.parseLong(f[1]);
            return cpu < 0 || wait < 0 ? null : new Times(cpu, wait);
        } catch (NumberFormatException e) {
            return null;
        }
    }

    /** A thread name's group: its digits as {@code #}, so a pool's threads count together. */
    static String group(String name) {
        return name.replaceAll("[0-9]+", "#");
    }

    /**
     * What a window cost: the cores busy on average (all groups' CPU time over the wall time), the CPU milliseconds
     * per unit of work done (a page), in all and by group, largest first; and the milliseconds per unit that
     * threads waited for a core, in all and by group (NaN and empty where the kernel does not say).
     */
    record Usage(double cores, double msPerUnit, Map<String, Double> msPerUnitByGroup, double waitMsPerUnit,
            Map<String, Double> waitMsPerUnitByGroup) {
        static final Usage NONE = new Usage(Double.NaN, Double.NaN, Map.of(), Double.NaN, Map.of());

        static Usage between(Map<String, Times> before, Map<String, Times> after, long wallNanos, double units) {
            if (after.isEmpty() || wallNanos <= 0 || units <= 0) {
                return NONE;
            }
            Map<String, Long> cpu = new LinkedHashMap<>();
            Map<String, Long> wait = new LinkedHashMap<>();
            boolean waitKnown = true;
            for (Map.Entry<String, Times> e : after.entrySet()) {
                Times was = before.getOrDefault(e.getKey(), new Times(0, 0));
                Times now = e.getValue();
                cpu.put(e.getKey(), now.cpuNanos() - was.cpuNanos());
                if (now.waitNanos() < 0 || was.waitNanos() < 0) {
                    waitKnown = false;
                } else {
                    wait.put(e.getKey(), now.waitNanos() - was.waitNanos());
                }
            }
            long cpuTotal = positiveSum(cpu);
            return new Usage(cpuTotal / (double) wallNanos, cpuTotal / 1e6 / units, perUnit(cpu, units),
                    waitKnown ? positiveSum(wait) / 1e6 / units : Double.NaN,
                    waitKnown ? perUnit(wait, units) : Map.of());
        }

        private static long positiveSum(Map<String, Long> grew) {
            return grew.values().stream().mapToLong(d -> Math.max(0, d)).sum();
        }

        /** The groups that grew, in milliseconds per unit, largest first. */
        private static Map<String, Double> perUnit(Map<String, Long> grew, double units) {
            List<Map.Entry<String, Long>> positive = new ArrayList<>();
            for (Map.Entry<String, Long> e : grew.entrySet()) {
                if (e.getValue() > 0) {
                    positive.add(e);
                }
            }
            positive.sort(Map.Entry.<String, Long>comparingByValue().reversed());
            Map<String, Double> byGroup = new LinkedHashMap<>();
            for (Map.Entry<String, Long> e : positive) {
                byGroup.put(e.getKey(), e.getValue() / 1e6 / units);
            }
            return byGroup;
        }

        /**
         * "1.96 cores, 231.0 ms per page: seq-# 228.0, ...; waiting for a core 3.1 ms per page: seq-# 3.0, ..." with
         * the {@code top} largest groups of each; "not measured" without data.
         */
        String text(int top) {
            if (Double.isNaN(cores)) {
                return "not measured";
            }
            String used = String.format(Locale.ROOT, "%.2f cores, %.1f ms per page: %s", cores, msPerUnit,
                    largest(msPerUnitByGroup, top));
            return Double.isNaN(waitMsPerUnit) ? used : used + String.format(Locale.ROOT,
                    "; waiting for a core %.1f ms per page: %s", waitMsPerUnit, largest(waitMsPerUnitByGroup, top));
        }

        private static String largest(Map<String, Double> byGroup, int top) {
            List<String> parts = new ArrayList<>();
            for (Map.Entry<String, Double> e : byGroup.entrySet()) {
                if (parts.size() == top) {
                    break;
                }
                parts.add(String.format(Locale.ROOT, "%s %.1f", e.getKey(), e.getValue()));
            }
            return String.join(", ", parts);
        }
    }
}
