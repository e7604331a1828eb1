package dev.sluice.examples.ocr;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

class OcrResultTest {
    @Test
    void eachLineIsOneJsonObjectOnItsOwnLine() {
        OcrResult r = new OcrResult(List.of(
                new OcrResult.Line("say \"hi\"", 0.98765, new Box(10, 20, 100, 30, 0)),
                new OcrResult.Line("a\\b", 0.5, new Box(0, 0, 4, 2, 90))));
        assertEquals("""
                {"text":"say \\"hi\\"","confidence":0.9877,"box":{"x":10,"y":20,"width":100,"height":30,"angle":0.00,\
                "points":[[10,20],[110,20],[110,50],[10,50]]}}
                {"text":"a\\\\b","confidence":0.5000,"box":{"x":0,"y":0,"width":4,"height":2,"angle":90.00,\
                "points":[[3,-1],[3,3],[1,3],[1,-1]]}}
                """, r.toJsonLines());
        assertEquals("", new OcrResult(List.of()).toJsonLines());
    }

    @Test
    void theCornersOfATurnedBoxTurnAboutItsCentre() {
        assertArrayEquals(new int[] {3, -1, 3, 3, 1, 3, 1, -1}, new Box(0, 0, 4, 2, 90).points());
    }
}
