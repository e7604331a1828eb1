package dev.sluice.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import org.junit.jupiter.api.Test;

class RssSeriesTest {
    @Test
    void peakAndLastAreTakenPerRoundAndPhase() throws Exception {
        Deque<Long> readings = new ArrayDeque<>(List.of(300L, 900L, 1200L, 1000L, 700L, 650L, 2000L));
        long[] now = {0};
        RssSeries s = new RssSeries(() -> new ProcessMemory(readings.poll(), 2000), () -> now[0]);
        s.sample(); // 300, round 0 start
        s.phase(1, "load");
        now[0] = 250_000_000;
        s.sample(); // 900
        s.sample(); // 1200
        s.phase(1, "settle");
        s.sample(); // 1000
        s.sample(); // 700
        s.sample(); // 650
        s.phase(2, "load");
        s.sample(); // 2000
        assertEquals(1200, s.peakKb(1, "load"));
        assertEquals(1000, s.peakKb(1, "settle"));
        assertEquals(1200, s.peakKb(1, null));
        assertEquals(650, s.lastKb(1, "settle"));
        assertEquals(2000, s.peakKb(2, "load"));
        assertEquals(0, s.lastKb(2, "settle"));
        assertEquals(7, s.samples().size());
        assertEquals(250, s.samples().get(1).tMs());
    }

    @Test
    void theCsvHasAHeaderAndALinePerSampleInMegabytes() throws Exception {
        RssSeries s = new RssSeries(() -> new ProcessMemory(2048, 4096), () -> 0L);
        s.phase(1, "load");
        s.sample();
        String[] lines = s.csv("x").split("\n");
        assertEquals("label,t_ms,round,phase,rss_mb,hwm_mb", lines[0]);
        assertEquals("x,0,1,load,2.0,4.0", lines[1]);
        assertTrue(lines.length == 2);
    }
}
