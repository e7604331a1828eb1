package dev.sluice.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class SvgPlotTest {

    @Test
    void tickStepsAreRound() {
        assertEquals(5, SvgPlot.tickStep(45), 1e-9);
        assertEquals(1, SvgPlot.tickStep(10), 1e-9);
        assertEquals(0.2, SvgPlot.tickStep(2), 1e-9);
        assertEquals(10, SvgPlot.tickStep(100), 1e-9);
    }

    @Test
    void tickLabelsShowAsManyDecimalsAsTheValueNeeds() {
        assertEquals("3", SvgPlot.number(3));
        assertEquals("0.3", SvgPlot.number(0.1 + 0.2));
        assertEquals("0.25", SvgPlot.number(0.25));
        assertEquals("0.05", SvgPlot.number(0.05));
        assertEquals(List.of("0", "0.05", "0.1", "0.15", "0.2"),
                SvgPlot.linearTicks(0, 0.6).stream().map(SvgPlot.Tick::label).toList().subList(0, 5));
    }

    @Test
    void logTicksAreOneTwoFiveTimesPowersOfTenWithinTheRange() {
        assertEquals(List.of("2", "5", "10", "20", "50", "100", "200"),
                SvgPlot.logTicks(1.5, 300).stream().map(SvgPlot.Tick::label).toList());
        assertEquals(List.of("1", "10", "100", "1000", "10000"),
                SvgPlot.logTicks(1, 20_000).stream().map(SvgPlot.Tick::label).toList());
        assertThrows(IllegalArgumentException.class, () -> SvgPlot.logTicks(0, 10));
    }

    @Test
    void aLogScaleMapsEachDecadeToTheSameHeightAndUpIsSmallerY() {
        SvgPlot plot = new SvgPlot(400, 300, 50, 10, 40, 30, "t", "s");
        SvgPlot.Scale sy = plot.yLog(1, 1000);
        assertEquals(270, sy.map(1), 1e-9);
        assertEquals(40, sy.map(1000), 1e-9);
        assertEquals(sy.map(1) - sy.map(10), sy.map(100) - sy.map(1000), 1e-9);
        assertTrue(sy.map(500) < sy.map(5));
        assertThrows(IllegalArgumentException.class, () -> plot.yLog(0, 10));
    }
}
