package dev.sluice.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class PhasedArrivalsTest {

    private static final long SECOND = 1_000_000_000L;

    @Test
    void onePhaseIsThePoissonScheduleCutAtItsEnd() {
        PhasedArrivals phased = PhasedArrivals.constant(2_000, 3 * SECOND, 11);
        PoissonArrivals plain = new PoissonArrivals(2_000, 11);
        long t;
        int n = 0;
        while ((t = plain.nextArrivalNanos()) < 3 * SECOND) {
            assertEquals(t, phased.nextArrivalNanos());
            n++;
        }
        assertEquals(PhasedArrivals.END, phased.nextArrivalNanos());
        assertEquals(PhasedArrivals.END, phased.nextArrivalNanos(), "stays at the end");
        assertTrue(n > 5_000, "about 6000 arrivals, got " + n);
    }

    @Test
    void eachPhaseHasItsOwnRate() {
        PhasedArrivals a = new PhasedArrivals(List.of(
                new PhasedArrivals.Phase(500, 20 * SECOND),
                new PhasedArrivals.Phase(4_000, 10 * SECOND),
                new PhasedArrivals.Phase(500, 20 * SECOND)), 3);
        int[] counts = new int[3];
        long last = 0;
        long t;
        while ((t = a.nextArrivalNanos()) != PhasedArrivals.END) {
            assertTrue(t >= last, "arrivals must not go backwards");
            last = t;
            counts[t < 20 * SECOND ? 0 : t < 30 * SECOND ? 1 : 2]++;
        }
        assertTrue(last < 50 * SECOND);
        assertEquals(10_000, counts[0], 300);
        assertEquals(40_000, counts[1], 800);
        assertEquals(10_000, counts[2], 300);
    }

    @Test
    void aSilentPhaseHasNoArrivals() {
        PhasedArrivals a = new PhasedArrivals(List.of(
                new PhasedArrivals.Phase(1_000, SECOND),
                new PhasedArrivals.Phase(0, SECOND),
                new PhasedArrivals.Phase(1_000, SECOND)), 5);
        long t;
        int later = 0;
        while ((t = a.nextArrivalNanos()) != PhasedArrivals.END) {
            assertTrue(t < SECOND || t >= 2 * SECOND, "arrival at " + t + " ns, inside the silent phase");
            if (t >= 2 * SECOND) {
                later++;
            }
        }
        assertTrue(later > 800, "the phase after the silent one has arrivals: " + later);
    }

    @Test
    void phaseStartsAddUpTheDurations() {
        PhasedArrivals a = new PhasedArrivals(List.of(
                new PhasedArrivals.Phase(1, 7), new PhasedArrivals.Phase(1, 5), new PhasedArrivals.Phase(1, 3)), 1);
        assertEquals(0, a.phaseStartNanos(0));
        assertEquals(7, a.phaseStartNanos(1));
        assertEquals(12, a.phaseStartNanos(2));
        assertEquals(15, a.totalNanos());
    }

    @Test
    void rejectsNonsensePhases() {
        assertThrows(IllegalArgumentException.class, () -> new PhasedArrivals.Phase(-1, SECOND));
        assertThrows(IllegalArgumentException.class, () -> new PhasedArrivals.Phase(Double.NaN, SECOND));
        assertThrows(IllegalArgumentException.class, () -> new PhasedArrivals.Phase(1, 0));
        assertThrows(IllegalArgumentException.class, () -> new PhasedArrivals(List.of(), 1));
    }
}
