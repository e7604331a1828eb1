package dev.sluice.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ThreadCpuTest {
    @Test
    void aStatLineGivesTheNameEvenWithSpacesAndParenthesesAndTheUserPlusSystemTicks() {
        long[] ticks = new long[1];
        // pid (comm) state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime ...
        String stat = "4242 (C2 Compiler(x) 1) S 1 1 1 0 -1 4194368 10 0 0 0 123 45 0 0 20 0 30 0 100 0 0";
        assertEquals("C2 Compiler(x) 1", ThreadCpu.parse(stat, ticks));
        assertEquals(168, ticks[0]);
        assertNull(ThreadCpu.parse("not a stat line", ticks));
        assertNull(ThreadCpu.parse("1 (short) S 1 2 3", ticks));
    }

    @Test
    void aPoolsThreadsCountAsOneGroup() {
        assertEquals("sluice-rec-#", ThreadCpu.group("sluice-rec-12"));
        assertEquals("seq-#", ThreadCpu.group("seq-3"));
        assertEquals("C# CompilerThre", ThreadCpu.group("C2 CompilerThre"));
    }

    @Test
    void aWindowsUsageIsTheGrowthPerPageLargestGroupFirst() {
        Map<String, Long> before = Map.of("a", 100_000_000L, "b", 0L, "gone", 50_000_000L);
        Map<String, Long> after = Map.of("a", 300_000_000L, "b", 400_000_000L, "new", 100_000_000L);
        ThreadCpu.Usage u = ThreadCpu.Usage.between(before, after, 500_000_000L, 10);
        assertEquals(1.4, u.cores(), 1e-9, "700 ms of CPU in 500 ms of wall time");
        assertEquals(70, u.msPerUnit(), 1e-9);
        assertEquals(List.of("b", "a", "new"), List.copyOf(u.msPerUnitByGroup().keySet()));
        assertEquals(40, u.msPerUnitByGroup().get("b"), 1e-9);
        assertEquals("1.40 cores, 70.0 ms per page: b 40.0, a 20.0", u.text(2));
        assertEquals("not measured", ThreadCpu.Usage.between(before, Map.of(), 1, 1).text(3));
        assertEquals("not measured", ThreadCpu.Usage.between(before, after, 500_000_000L, 0).text(3));
    }

    @Test
    void onLinuxASnapshotSeesThisThreadsGroupGrowWhileItComputes() {
        assumeTrue(Files.isDirectory(Path.of("/proc/self/task")), "Linux only");
        String name = Thread.currentThread().getName();
        Thread.currentThread().setName("thread-cpu-test");
        try {
            ThreadMXBean threads = ManagementFactory.getThreadMXBean();
            Map<String, Long> before = ThreadCpu.snapshot();
            long cpuFrom = threads.getCurrentThreadCpuTime();
            long giveUp = System.nanoTime() + 10_000_000_000L;
            long x = 0;
            // Until this thread has had 100 ms of CPU (by the JVM's own count), however busy the machine is.
            while (threads.getCurrentThreadCpuTime() - cpuFrom < 100_000_000L && System.nanoTime() < giveUp) {
                x += Long.numberOfTrailingZeros(x + System.nanoTime());
            }
            Map<String, Long> after = ThreadCpu.snapshot();
            assertTrue(x >= 0);
            long grew = after.getOrDefault("thread-cpu-test", 0L) - before.getOrDefault("thread-cpu-test", 0L);
            // 100 ms of CPU is about ten 10 ms ticks; half of that leaves room for where the ticks fall.
            assertTrue(grew >= 5 * ThreadCpu.NANOS_PER_TICK, "grew by " + grew + " ns");
        } finally {
            Thread.currentThread().setName(name);
        }
    }
}
