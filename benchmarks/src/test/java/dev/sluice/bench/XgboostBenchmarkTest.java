package dev.sluice.bench;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class XgboostBenchmarkTest {

    private static XgboostBenchmark.Options parse(String... args) {
        return XgboostBenchmark.Options.parse(args);
    }

    @Test
    void theDefaultsAreIssue14sModelAndTakeAboutThreeMinutes() {
        XgboostBenchmark.Options o = parse();
        assertNull(o.model);
        assertEquals(300, o.trees);
        assertEquals(6, o.depth);
        assertEquals(30, o.features);
        assertEquals(Runtime.getRuntime().availableProcessors(), o.threads);
        assertArrayEquals(new double[] {0.1, 0.25, 0.5, 0.9}, o.loads, 1e-12);
        double seconds = o.plannedSeconds();
        // 2 x 0.5 s picking the single-row path, 2 rounds x 2 sides x 5 s, 5 points x 2 sides x 10 s
        assertEquals(121, seconds, 1e-9);
    }

    @Test
    void optionsAreReadAndLoadsSortedOnce(@TempDir Path dir) throws Exception {
        Path model = Files.writeString(dir.resolve("m.json"), "{}");
        XgboostBenchmark.Options o = parse("--model", model.toString(), "--trees", "10", "--depth", "3", "--features",
                "4", "--threads", "3", "--loads", "0.9, 0.1,0.5,0.1", "--direct-max-load", "1.5", "--out", "/tmp/x");
        assertEquals(model, o.model);
        assertEquals(10, o.trees);
        assertEquals(3, o.depth);
        assertEquals(4, o.features);
        assertEquals(3, o.threads);
        assertArrayEquals(new double[] {0.1, 0.5, 0.9}, o.loads, 1e-12);
        assertEquals(1.5, o.directMaxLoad, 1e-12);
        assertEquals("/tmp/x", o.out);
    }

    @Test
    void badOptionsAreRefusedNamingTheOption(@TempDir Path dir) {
        assertTrue(assertThrows(IllegalArgumentException.class, () -> parse("--trees", "0")).getMessage()
                .contains("--trees"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> parse("--threads", "0")).getMessage()
                .contains("--threads"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> parse("--loads", "0.5,0")).getMessage()
                .contains("--loads"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> parse("--loads", "Infinity")).getMessage()
                .contains("--loads"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> parse("--rows", "63")).getMessage()
                .contains("--rows"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> parse("--duration-s", "0")).getMessage()
                .contains("--duration-s"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> parse("--direct-max-load", "0")).getMessage()
                .contains("--direct-max-load"));
        Path missing = dir.resolve("none.json");
        assertTrue(assertThrows(IllegalArgumentException.class, () -> parse("--model", missing.toString()))
                .getMessage().contains(missing.toString()));
        assertThrows(IllegalArgumentException.class, () -> parse("--no-such-option", "1"));
    }

    @Test
    void theTargetLinesSayMetWhenEachTargetIsReached() {
        String s = XgboostBenchmark.targets(5000, 1000, 2_000_000, 900_000, 1_000_000);
        assertTrue(s.contains("5.000x (5000.0 / 1000.0 rows/s): target met"), s);
        assertTrue(s.contains("<= 2.000 ms: 2.000 ms: target met"), s);
        assertTrue(s.contains("0.900 ms against 1.000 ms: target met"), s);
        assertEquals(3, s.lines().count());
    }

    @Test
    void theTargetLinesSayMissedWhenEachTargetIsNotReached() {
        String s = XgboostBenchmark.targets(4999, 1000, 2_000_001, 1_000_000, 1_000_000);
        assertTrue(s.contains("4.999x"), s); // not rounded up to a 5x that was missed
        assertEquals(3, s.split("target missed", -1).length - 1, s);
        assertTrue(!s.contains("target met"), s);
    }

    @Test
    void aTargetNotMeasuredIsSaidSoNotCountedAsMetOrMissed() {
        String s = XgboostBenchmark.targets(6000, 1000, -1, -1, 1_000_000);
        assertEquals(2, s.split("not checked", -1).length - 1, s);
        assertEquals(1, s.split("target met", -1).length - 1, s);
    }

    @Test
    void theRowsAreTheSameForTheSameSeedAndHaveSomeMissingValues() {
        float[] a = XgboostBenchmark.rows(200, 30, 5);
        assertArrayEquals(a, XgboostBenchmark.rows(200, 30, 5));
        long missing = 0;
        for (float v : a) {
            missing += Float.isNaN(v) ? 1 : 0;
        }
        assertTrue(missing > 0 && missing < a.length / 10, missing + " missing");
        assertArrayEquals(java.util.Arrays.copyOfRange(a, 60, 90), XgboostBenchmark.row(a, 30, 2));
    }
}
