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
 * CPU time of this JVM's threads, by group of thread names, from {@code /proc/self/task/<tid>/stat} (Linux; on
 * other systems a snapshot is empty): what a benchmark side spends per page, and on which threads (model replicas,
 * pipeline workers, the JIT compiler, GC), so that two sides' throughput can be told apart by work done rather
 * than only by pages counted. A group is a name with its digits as {@code #} (the kernel keeps the first 15
 * characters of a name). The kernel counts in clock ticks of 10 ms, so a window should span seconds. A thread that
 * ends between two snapshots takes its time with it: long-lived threads (replicas, pools) are what this counts.
 */
final class ThreadCpu {
    /** Linux's USER_HZ: the unit of {@code utime} and {@code stime}. */
    static final long NANOS_PER_TICK = 10_000_000L;
    private static final Path TASKS = Path.of("/proc/self/task");

    private ThreadCpu() {}

    /** CPU nanoseconds (user + system) of each group of this JVM's live threads now. */
    static Map<String, Long> snapshot() {
        Map<String, Long> byGroup = new TreeMap<>();
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
                if (name != null) {
                    byGroup.merge(group(name), ticks[0] * NANOS_PER_TICK, Long::sum);
                }
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

    /** A thread name's group: its digits as {@code #}, so a pool's threads count together. */
    static String group(String name) {
        return name.replaceAll("[0-9]+", "#");
    }

    /**
     * What a window cost: the cores busy on average (all groups' CPU time over the wall time) and the CPU
     * milliseconds per unit of work done (a page), in all and by group, largest first.
     */
    record Usage(double cores, double msPerUnit, Map<String, Double> msPerUnitByGroup) {
        static final Usage NONE = new Usage(Double.NaN, Double.NaN, Map.of());

        static Usage between(Map<String, Long> before, Map<String, Long> after, long wallNanos, double units) {
            if (after.isEmpty() || wallNanos <= 0 || units <= 0) {
                return NONE;
            }
            long total = 0;
            List<Map.Entry<String, Long>> grew = new ArrayList<>();
            for (Map.Entry<String, Long> e : after.entrySet()) {
                long d = e.getValue() - before.getOrDefault(e.getKey(), 0L);
                if (d > 0) {
                    total += d;
                    grew.add(Map.entry(e.getKey(), d));
                }
            }
            grew.sort(Map.Entry.<String, Long>comparingByValue().reversed());
            Map<String, Double> byGroup = new LinkedHashMap<>();
            for (Map.Entry<String, Long> e : grew) {
                byGroup.put(e.getKey(), e.getValue() / 1e6 / units);
            }
            return new Usage(total / (double) wallNanos, total / 1e6 / units, byGroup);
        }

        /** "1.96 cores, 231 ms per page: seq-# 228, ..." with the {@code top} largest groups; "not measured" without data. */
        String text(int top) {
            if (Double.isNaN(cores)) {
                return "not measured";
            }
            List<String> parts = new ArrayList<>();
            for (Map.Entry<String, Double> e : msPerUnitByGroup.entrySet()) {
                if (parts.size() == top) {
                    break;
                }
                parts.add(String.format(Locale.ROOT, "%s %.1f", e.getKey(), e.getValue()));
            }
            return String.format(Locale.ROOT, "%.2f cores, %.1f ms per page: %s", cores, msPerUnit, String.join(", ", parts));
        }
    }
}
