package dev.sluice.examples.ocr;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** What sluice.ocr.models and sluice.ocr.remote.* make of a process, and the configurations refused at start. */
class OcrLayoutTest {
    private static final String DET = "dns:///det-workers:8081";
    private static final String CLS = "dns:///cls-workers:8081";
    private static final String REC = "dns:///rec-workers:8081";

    private static Map<String, String> remote(String... nameTarget) {
        Map<String, String> m = new LinkedHashMap<>();
        for (int i = 0; i < nameTarget.length; i += 2) {
            m.put(nameTarget[i], nameTarget[i + 1]);
        }
        return m;
    }

    @Test
    void allThreeLocalIsTheWholeServiceInOneProcess() {
        OcrLayout l = OcrLayout.of("det,cls,rec", Map.of());
        assertEquals(List.of("det", "cls", "rec"), l.local());
        assertEquals(Map.of(), l.remote());
        assertTrue(l.pipeline());
    }

    @Test
    void someModelsAndNoRemoteOnesIsAWorkerWithoutThePipeline() {
        OcrLayout l = OcrLayout.of(" rec ", Map.of());
        assertEquals(List.of("rec"), l.local());
        assertFalse(l.pipeline());
        // In the pipeline's order, whatever the order given.
        assertEquals(List.of("det", "rec"), OcrLayout.of("rec,det", Map.of()).local());
    }

    @Test
    void noLocalModelsAndAllThreeRemoteIsAnEntry() {
        OcrLayout l = OcrLayout.of("", remote("rec", REC, "det", DET, "cls", " " + CLS + " "));
        assertEquals(List.of(), l.local());
        assertEquals(List.of("det", "cls", "rec"), List.copyOf(l.remote().keySet()));
        assertEquals(CLS, l.remote().get("cls"), "stripped");
        assertTrue(l.pipeline());
    }

    @Test
    void localAndRemoteModelsMix() {
        OcrLayout l = OcrLayout.of("det", remote("cls", CLS, "rec", REC, "det", " "));
        assertEquals(List.of("det"), l.local());
        assertEquals(List.of("cls", "rec"), List.copyOf(l.remote().keySet()), "a blank target is no target");
        assertTrue(l.pipeline());
    }

    @Test
    void aModelBothLocalAndRemoteIsRefusedByName() {
        OcrConfigException e = assertThrows(OcrConfigException.class,
                () -> OcrLayout.of("det,cls,rec", remote("rec", REC)));
        assertTrue(e.getMessage().startsWith("model rec is both local and remote"), e.getMessage());
        assertTrue(e.getMessage().contains("sluice.ocr.remote.rec") && e.getMessage().contains(REC), e.getMessage());
        assertTrue(e.getMessage().contains("drop it from sluice.ocr.models"), e.getMessage());

        OcrConfigException two = assertThrows(OcrConfigException.class,
                () -> OcrLayout.of("det,cls", remote("det", DET, "cls", CLS, "rec", REC)));
        assertTrue(two.getMessage().startsWith("models det, cls are both local and remote"), two.getMessage());
    }

    @Test
    void aModelNeitherLocalNorRemoteIsRefusedByNameWhenThePipelineNeedsIt() {
        OcrConfigException e = assertThrows(OcrConfigException.class,
                () -> OcrLayout.of("", remote("det", DET, "rec", REC)));
        assertTrue(e.getMessage().startsWith("model cls is neither local nor remote"), e.getMessage());
        assertTrue(e.getMessage().contains("add cls to sluice.ocr.models (now '') or set sluice.ocr.remote.cls"),
                e.getMessage());

        OcrConfigException two = assertThrows(OcrConfigException.class, () -> OcrLayout.of("", remote("det", DET)));
        assertTrue(two.getMessage().startsWith("models cls, rec are neither local nor remote"), two.getMessage());
    }

    @Test
    void aProcessWithNothingToServeIsRefused() {
        OcrConfigException e = assertThrows(OcrConfigException.class, () -> OcrLayout.of(" , ", Map.of()));
        assertTrue(e.getMessage().startsWith("nothing to serve: sluice.ocr.models is empty"), e.getMessage());
    }

    @Test
    void unknownModelNamesAreRefusedWithTheProperty() {
        OcrConfigException e = assertThrows(OcrConfigException.class, () -> OcrLayout.of("det,recognizer", Map.of()));
        assertEquals("sluice.ocr.models: 'recognizer' is not one of the OCR models det, cls, rec (was 'det,recognizer')",
                e.getMessage());
        OcrConfigException r = assertThrows(OcrConfigException.class,
                () -> OcrLayout.of("", remote("det", DET, "cls", CLS, "recognizer", REC)));
        assertTrue(r.getMessage().startsWith("sluice.ocr.remote.recognizer: 'recognizer' is not one of the OCR models"),
                r.getMessage());
    }
}
