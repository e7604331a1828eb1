package dev.sluice.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class OcrOverloadTest {

    @Test
    void theDefaultsAreTheDocumentedOnes() {
        OcrOverload.Options o = OcrOverload.Options.parse(new String[0]);
        assertEquals(48, o.clients);
        assertEquals(45, o.durationS);
        assertEquals(15, o.settleS);
        assertEquals(1, o.rounds);
        assertFalse(o.openLoop());
        assertEquals(Path.of("examples/ocr-service/target/ocr-service-exec.jar"), o.jar);
        assertEquals(60, o.plannedSeconds(), 1e-9);
    }

    @Test
    void jvmArgumentsAndEnvironmentRepeatAndGoBeforeTheJarOnLoopback() {
        OcrOverload.Options o = OcrOverload.Options.parse(new String[] {"--jvm-arg", "-Xmx1g", "--jvm-arg",
            "-XX:MaxDirectMemorySize=512m", "--env", "MALLOC_ARENA_MAX=2", "--env", "A=b=c", "--jar", "/tmp/x.jar",
            "--nmt", "--rounds", "3", "--rate", "4.5", "--label", "before"});
        List<String> c = o.command();
        assertTrue(c.get(0).endsWith("/bin/java"), c.get(0));
        assertEquals(List.of("-XX:NativeMemoryTracking=summary", "-Xmx1g", "-XX:MaxDirectMemorySize=512m", "-jar",
                "/tmp/x.jar", "--server.port=0", "--server.address=127.0.0.1"), c.subList(1, c.size()));
        assertEquals(Map.of("MALLOC_ARENA_MAX", "2", "A", "b=c"), o.env);
        assertTrue(o.openLoop());
        assertEquals(3 * 60, o.plannedSeconds(), 1e-9);
    }

    @Test
    void politeClientsWaitTheRetryAfterTheyAreGivenInWholeSeconds() {
        assertFalse(OcrOverload.Options.parse(new String[0]).polite);
        assertTrue(OcrOverload.Options.parse(new String[] {"--polite"}).polite);
        assertEquals(2_000_000_000L, OcrOverload.retryAfterNanos("2"));
        assertEquals(1_000_000_000L, OcrOverload.retryAfterNanos(" 1 "));
        assertEquals(0, OcrOverload.retryAfterNanos(null));
        assertEquals(0, OcrOverload.retryAfterNanos("Wed, 21 Oct 2026 07:28:00 GMT")); // an HTTP date: not sent by Sluice
        assertEquals(0, OcrOverload.retryAfterNanos("-1"));
        assertEquals(0, OcrOverload.retryAfterNanos("99999999999"));
    }

    @Test
    void nonsenseIsRefusedNamingTheOption() {
        assertThrows(IllegalArgumentException.class, () -> OcrOverload.Options.parse(new String[] {"--clients", "0"}));
        assertThrows(IllegalArgumentException.class, () -> OcrOverload.Options.parse(new String[] {"--rate", "-1"}));
        IllegalArgumentException env = assertThrows(IllegalArgumentException.class,
                () -> OcrOverload.Options.parse(new String[] {"--env", "NOVALUE"}));
        assertTrue(env.getMessage().contains("--env"), env.getMessage());
        assertThrows(IllegalArgumentException.class, () -> OcrOverload.Options.parse(new String[] {"--label", "a/b"}));
        assertThrows(IllegalArgumentException.class, () -> OcrOverload.Options.parse(new String[] {"--frobnicate", "1"}));
    }

    @Test
    void thePortIsReadFromTheLineTheServicePrintsWhenItServes() {
        assertEquals(41234, OcrOverload.Child.servingPort(
                "OCR service at http://localhost:41234/  (POST /ocr with an image; GET / for a page to try it)"));
        assertNull(OcrOverload.Child.servingPort("  curl -s -X POST http://localhost:41234/ocr -H 'Content-Type: image/png'"));
        assertNull(OcrOverload.Child.servingPort("Started OcrApplication in 4.2 seconds"));
    }

    @Test
    void theTallyCountsByStatusAndTakesLatencyOfTheOkAnswersOnly() {
        OcrOverload.Tally t = new OcrOverload.Tally();
        for (int i = 1; i <= 100; i++) {
            t.record(200, i * 1_000_000L); // 1..100 ms
        }
        t.record(429, 1_000_000_000L);
        t.record(429, 1_000L);
        t.record(500, 5L);
        t.record(0, 5L);
        assertEquals(100, t.ok.sum());
        assertEquals(2, t.refused.sum());
        assertEquals(2, t.other.sum());
        assertEquals(50, t.okMs(50), 0.1);
        assertEquals(99, t.okMs(99), 0.1);
        assertEquals(0, new OcrOverload.Tally().okMs(50));
    }

    @Test
    void aRoundIsWrittenAsOneCsvLineWithPagesPerSecondOverTheLoad() {
        OcrOverload.Options o = OcrOverload.Options.parse(new String[] {"--clients", "8"});
        OcrOverload.Tally t = new OcrOverload.Tally();
        for (int i = 0; i < 60; i++) {
            t.record(200, 2_000_000L);
        }
        t.record(429, 1L);
        OcrOverload.Round r = OcrOverload.Round.of(2, o, t, 30.0, 340 * 1024, 2048 * 1024, 700 * 1024, 2100 * 1024);
        assertEquals(2.0, r.pagesPerS(), 1e-9);
        assertEquals(OcrOverload.ROUNDS_HEADER.split(",").length, r.csv("x").split(",").length);
        assertEquals("x,2,closed,8,0.000,30.000,60,1,0,2.0,2.0,2.000,340.0,2048.0,700.0,2100.0", r.csv("x"));
        assertTrue(r.markdown().startsWith("| 2 | 60 | 1 | 0 | 2 | 2 | 2.00 | 340.0 | 2048.0 | 700.0 |"), r.markdown());
    }
}
