package dev.sluice.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.HdrHistogram.Histogram;
import org.junit.jupiter.api.Test;

class LatencyLogTest {

    @Test
    void windowsSelectBySendTimeAndKeepEveryRequest() {
        LatencyLog log = new LatencyLog();
        int n = 200_000; // past the initial capacity
        for (int i = 0; i < n; i++) {
            log.completed(i, 1_000 + i % 10);
        }
        assertEquals(n, log.size());
        Histogram all = log.between(0, n);
        assertEquals(n, all.getTotalCount());
        Histogram some = log.between(100, 200);
        assertEquals(100, some.getTotalCount());
        assertEquals(1_000, some.getMinValue());
        assertEquals(1_009, some.getMaxValue());
        assertEquals(0, log.between(n, 2L * n).getTotalCount());
    }
}
