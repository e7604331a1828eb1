package dev.sluice.bench;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.HdrHistogram.Histogram;
import org.junit.jupiter.api.Test;

class RecognizerBenchmarkTest {

    @Test
    void theCapacityIsImagesPerSecondAndEachLoadOffersThatFractionOfIt() {
        // 2 threads finishing 560 images in 5 s: 112 img/s.
        double capacity = RecognizerBenchmark.perSecond(560, 5_000_000_000L);
        assertEquals(112, capacity, 1e-9);
        assertEquals(56, RecognizerBenchmark.offeredRate(0.5, capacity), 1e-9);
        assertEquals(89.6, RecognizerBenchmark.offeredRate(0.8, capacity), 1e-9);
        assertEquals(224, RecognizerBenchmark.offeredRate(2.0, capacity), 1e-9);
    }

    @Test
    void aRateIsRefusedForACapacityOrLoadThatIsNotPositiveAndFinite() {
        assertThrows(IllegalArgumentException.class, () -> RecognizerBenchmark.perSecond(10, 0));
        assertThrows(IllegalArgumentException.class, () -> RecognizerBenchmark.offeredRate(0.5, 0));
        assertThrows(IllegalArgumentException.class, () -> RecognizerBenchmark.offeredRate(0.5, Double.NaN));
        assertThrows(IllegalArgumentException.class, () -> RecognizerBenchmark.offeredRate(0, 100));
        assertThrows(IllegalArgumentException.class, () -> RecognizerBenchmark.offeredRate(-1, 100));
        assertThrows(IllegalArgumentException.class,
                () -> RecognizerBenchmark.offeredRate(Double.POSITIVE_INFINITY, 100));
    }

    @Test
    void theRatioIsUndefinedWhenASideMeasuredNothing() {
        assertEquals(2.0, RecognizerBenchmark.ratio(20, 10), 1e-9);
        assertTrue(Double.isNaN(RecognizerBenchmark.ratio(-1, 10)));
        assertTrue(Double.isNaN(RecognizerBenchmark.ratio(10, -1)));
    }

    @Test
    void theDefaultsAreTheDocumentedOnesAndFinishInAboutTwoMinutesBeforeDrains() {
        RecognizerBenchmark.Options o = RecognizerBenchmark.Options.parse(new String[0]);
        assertArrayEquals(new int[] {320}, o.widths);
        assertArrayEquals(new double[] {0.5, 0.8, 1.2, 2.0}, o.loads, 1e-12);
        assertEquals(16, o.maxBatch);
        assertEquals(2_000_000, o.maxDelay().toNanos());
        double seconds = o.capacityWarmupS + o.capacityS + o.capacityWarmupS + o.adapterCapacityS
                + o.loads.length * 2 * (o.warmupS + o.durationS);
        assertTrue(seconds >= 60 && seconds <= 120, seconds + " s");
    }

    @Test
    void widthsAndLoadsAreReadAsListsAndLoadsSortedOnce() {
        RecognizerBenchmark.Options o = RecognizerBenchmark.Options.parse(new String[] {
            "--widths", "160, 320,480", "--loads", "2,0.5,1.2,0.5", "--capacity", "100"});
        assertArrayEquals(new int[] {160, 320, 480}, o.widths);
        assertArrayEquals(new double[] {0.5, 1.2, 2.0}, o.loads, 1e-12);
        assertEquals("160,320,480", o.widthsText());
        assertEquals(100, o.capacity, 1e-12);
    }

    @Test
    void badOptionsAreRefusedNamingTheOption() {
        for (String[] args : List.of(new String[] {"--widths", "0"}, new String[] {"--loads", "0.5,-1"},
                new String[] {"--max-batch", "0"}, new String[] {"--policy", "greedy"},
                new String[] {"--duration-s", "0"}, new String[] {"--capacity", "-3"},
                new String[] {"--capacity-s", "0"}, new String[] {"--bogus", "1"})) {
            assertThrows(IllegalArgumentException.class, () -> RecognizerBenchmark.Options.parse(args),
                    String.join(" ", args));
        }
        // A given capacity needs no measurement.
        RecognizerBenchmark.Options.parse(new String[] {"--capacity", "90", "--capacity-s", "0"});
    }

    @Test
    void theCsvHasOneRowPerLoadAndSideByLoadSluiceFirst() {
        List<RecognizerBenchmark.Point> points = List.of(point("direct", 1.2, 118, 600), point("sluice", 1.2, 90, 1500),
                point("sluice", 0.5, 60, 25), point("direct", 0.5, 60, 17), point("sluice", 2.0, 0, -1));
        String[] lines = RecognizerBenchmark.csv(points).split("\n");
        assertEquals("load,offered_img_s,side,throughput_img_s,p50_ms,p99_ms,p999_ms,mean_batch,completed,rejected,"
                + "failed,sender_lag_p99_ms", lines[0]);
        assertEquals(6, lines.length);
        assertTrue(lines[1].startsWith("0.500,50.00,sluice,60.00,25.0"), lines[1]);
        assertTrue(lines[2].startsWith("0.500,50.00,direct,"), lines[2]);
        assertTrue(lines[3].startsWith("1.200,120.00,sluice,"), lines[3]);
        assertTrue(lines[4].startsWith("1.200,120.00,direct,"), lines[4]);
        // Nothing measured: empty latency fields, not zero.
        assertEquals("2.000,200.00,sluice,0.00,,,,0.000,0,0,0,", lines[5]);
        for (String line : lines) {
            assertEquals(12, line.split(",", -1).length, line);
        }
    }

    @Test
    void pairsMatchEachSluicePointWithTheDirectOneAtItsLoad() {
        List<RecognizerBenchmark.Point> points = List.of(point("sluice", 0.5, 60, 25), point("direct", 0.5, 60, 17),
                point("direct", 0.8, 90, 20), point("sluice", 0.8, 70, 700));
        List<RecognizerBenchmark.Point[]> pairs = RecognizerBenchmark.pairs(points);
        assertEquals(2, pairs.size());
        for (RecognizerBenchmark.Point[] pair : pairs) {
            assertEquals("sluice", pair[0].side());
            assertEquals("direct", pair[1].side());
            assertEquals(pair[0].load(), pair[1].load());
        }
    }

    /** A point measured over 1 s at {@code load} of 100 img/s: every latency {@code ms} (none if negative). */
    private static RecognizerBenchmark.Point point(String side, double load, long completed, double ms) {
        Histogram h = new Histogram(3);
        if (ms >= 0) {
            for (long i = 0; i < completed; i++) {
                h.recordValue(Math.round(ms * 1e6));
            }
        }
        return new RecognizerBenchmark.Point(side, load, load * 100, 1.0, completed, 0, 0, completed == 0 ? 0 : completed,
                completed, h, new Histogram(3));
    }
}
