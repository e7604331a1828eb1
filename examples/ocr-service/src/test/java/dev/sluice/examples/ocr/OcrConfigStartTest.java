package dev.sluice.examples.ocr;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.diagnostics.FailureAnalysis;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * A configuration the service cannot run fails its start with what is wrong, before any model loads (each start
 * here takes no model), and Spring Boot prints it as the failure's description.
 */
class OcrConfigStartTest {
    private static Throwable start(String... args) {
        String[] all = new String[args.length + 2];
        all[0] = "--server.port=0";
        all[1] = "--server.address=127.0.0.1";
        System.arraycopy(args, 0, all, 2, args.length);
        RuntimeException e = assertThrows(RuntimeException.class, () -> {
            ConfigurableApplicationContext context = SpringApplication.run(OcrApplication.class, all);
            context.close(); // only if it started, which fails the test
        });
        Throwable t = e;
        while (t != null && !(t instanceof OcrConfigException)) {
            t = t.getCause();
        }
        assertNotNull(t, "not an OcrConfigException: " + e);
        return t;
    }

    @Test
    void aModelBothLocalAndRemoteFailsTheStartNamingIt() {
        Throwable e = start("--sluice.ocr.models=det,cls,rec", "--sluice.ocr.remote.rec=dns:///rec-workers:8081");
        assertTrue(e.getMessage().startsWith("model rec is both local and remote"), e.getMessage());
    }

    @Test
    void aModelNeitherLocalNorRemoteFailsTheStartNamingIt() {
        Throwable e = start("--sluice.ocr.models=", "--sluice.ocr.remote.det=dns:///det-workers:8081",
                "--sluice.ocr.remote.rec=dns:///rec-workers:8081");
        assertTrue(e.getMessage().startsWith("model cls is neither local nor remote"), e.getMessage());
    }

    @Test
    void aRemoteTargetThatIsNoTargetFailsTheStartNamingIt() {
        Throwable e = start("--sluice.ocr.models=", "--sluice.ocr.remote.det=127.0.2.19:1",
                "--sluice.ocr.remote.cls=127.0.2.19:1", "--sluice.ocr.remote.rec=no-port-here");
        assertTrue(e.getMessage().startsWith("sluice.ocr.remote.rec: 'no-port-here' is neither a gRPC target"),
                e.getMessage());
    }

    @Test
    void springBootDescribesTheFailureWithTheMessage() {
        OcrConfigException cause = new OcrConfigException("model rec is both local and remote: ...");
        FailureAnalysis a = new OcrConfigException.Analyzer().analyze(new IllegalStateException("wrapped", cause));
        assertNotNull(a);
        assertEquals("The OCR service's configuration is not one it can run: model rec is both local and remote: ...",
                a.getDescription());
        assertTrue(a.getAction().contains("sluice.ocr.models"), a.getAction());
        assertInstanceOf(OcrConfigException.class, a.getCause());
    }
}
