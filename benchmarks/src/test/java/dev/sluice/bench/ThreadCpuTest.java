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
    void aSchedstatLineGivesNanosecondsOnACoreAndWaitingForOne() {
        assertEquals(new ThreadCpu.Times(336_394_137L, 102_573_272L), ThreadCpu.parseSchedstat("336394137 102573272 120\n"));
        assertNull(ThreadCpu.parseSchedstat("336394137"));
        assertNull(ThreadCpu.parseSchedstat("x y z"));
        assertNull(ThreadCpu.parseSchedstat("-1 5 1"));
        assertEquals(new ThreadCpu.Times(3, -1), new ThreadCpu.Times(1, 2).plus(new ThreadCpu.Times(2, -1)),
                "a wait unknown for one thread is unknown for its group");
    }

    @Test
    void aPoolsThreadsCountAsOneGroup() {
        assertEquals("sluice-rec-#", ThreadCpu.group("sluice-rec-12"));
        assertEquals("seq-#", ThreadCpu.group("seq-3"));
        assertEquals("C# CompilerThre", ThreadCpu.group("C2 CompilerThre"));
    }

    @Test
    void aWindowsUsageIsTheGrowthPerPageLargestGroupFirst() {
        Map<String, ThreadCpu.Times> before = Map.of("a", times(100, 10), "b", times(0, 0), "gone", times(50, 50));
        Map<String, ThreadCpu.Times> after = Map.of("a", times(300, 60), "b", times(400, 0), "new", times(100, 20));
        ThreadCpu.Usage u = ThreadCpu.Usage.between(before, after, 500_000_000L, 10);
        assertEquals(1.4, u.cores(), 1e-9, "700 ms of CPU in 500 ms of wall time");
        assertEquals(70, u.msPerUnit(), 1e-9);
        assertEquals(List.of("b", "a", "new"), List.copyOf(u.msPerUnitByGroup().keySet()));
        assertEquals(40, u.msPerUnitByGroup().get("b"), 1e-9);
        assertEquals(7, u.waitMsPerUnit(), 1e-9, "50 + 20 ms waited for a core over 10 pages");
        assertEquals(List.of("a", "new"), List.copyOf(u.waitMsPerUnitByGroup().keySet()));
        assertEquals("1.40 cores, 70.0 ms per page: b 40.0, a 20.0; waiting for a core 7.0 ms per page: a 5.0, new 2.0",
                u.text(2));
        assertEquals("not measured", ThreadCpu.Usage.between(before, Map.of(), 1, 1).text(3));
        assertEquals("not measured", ThreadCpu.Usage.between(before, after, 500_000_000L, 0).text(3));
    }

    @Test
    void withoutSchedstatTheWaitIsNotMeasuredAndNotPrinted() {
        Map<String, ThreadCpu.Times> before = Map.of("a", new ThreadCpu.Times(0, -1));
        Map<String, ThreadCpu.Times> after = Map.of("a", new ThreadCpu.Times(200_000_000L, -1));
        ThreadCpu.Usage u = ThreadCpu.Usage.between(before, after, 100_000_000L, 2);
        assertTrue(Double.isNaN(u.waitMsPerUnit()));
        assertEquals("2.00 cores, 100.0 ms per page: a 100.0", u.text(3));
    }

    /** Times of milliseconds. */
    private static ThreadCpu.Times times(long cpuMs, long waitMs) {
        return new ThreadCpu.Times(cpuMs * 1_000_000L, waitMs * 1_000_000L);
    }

    @Test
    void onLinuxASnapshotSeesThisThreadsGroupGrowWhileItComputes() {
        assumeTrue(Files.isDirectory(Path.of("/proc/self/task")), "Linux only");
        String name = Thread.currentThread().getName();
        Thread.currentThread().setName("thread-cpu-test");
        try {
            ThreadMXBean threads = ManagementFactory.getThreadMXBean();
            Map<String, ThreadCpu.Times> before = ThreadCpu.snapshot();
            long cpuFrom = threads.getCurrentThreadCpuTime();
            long giveUp = System.nanoTime() + 10_000_000_000L;
            long x = 0;
            // Until this thread has had 100 ms of CPU (by the JVM's own count), however busy the machine is.
            while (threads.getCurrentThreadCpuTime() - cpuFrom < 100_000_000L && System.nanoTime() < giveUp) {
                x += Long.numberOfTrailingZeros(x + System.nanoTime());
            }
            Map<String, ThreadCpu.Times> after = ThreadCpu.snapshot();
            assertTrue(x >= 0);
            ThreadCpu.Times none = new ThreadCpu.Times(0, 0);
            long grew = after.getOrDefault("thread-cpu-test", none).cpuNanos()
                    - before.getOrDefault("thread-cpu-test", none).cpuNanos();
            // 100 ms of CPU is about ten 10 ms ticks; half of that leaves room for where the ticks fall.
            assertTrue(grew >= 5 * ThreadCpu.NANOS_PER_TICK, "grew by " + grew + " ns");
        } finally {
            Thread.currentThread().setName(name);
        }
    }
}
