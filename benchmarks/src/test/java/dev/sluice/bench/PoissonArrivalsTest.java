package dev.sluice.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class PoissonArrivalsTest {

    @Test
    void meanGapIsOneOverTheRate() {
        double rate = 11_077; // 90% of the analytic limit
        PoissonArrivals a = new PoissonArrivals(rate, 42);
        int n = 1_000_000;
        double sum = 0;
        double sumSq = 0;
        for (int i = 0; i < n; i++) {
            double g = a.nextGapNanos();
            assertTrue(g >= 0);
            sum += g;
            sumSq += g * g;
        }
        double mean = sum / n;
        double expected = 1e9 / rate;
        assertEquals(expected, mean, 0.01 * expected, "mean inter-arrival");
        // Exponential gaps: standard deviation equals the mean (coefficient of variation 1).
        double sd = Math.sqrt(sumSq / n - mean * mean);
        assertEquals(1.0, sd / mean, 0.02, "coefficient of variation");
    }

    @Test
    void arrivalTimesDoNotDriftFromTheRate() {
        double rate = 1_231; // 10% of the analytic limit
        PoissonArrivals a = new PoissonArrivals(rate, 7);
        int n = 200_000;
        long last = 0;
        for (int i = 0; i < n; i++) {
            long t = a.nextArrivalNanos();
            assertTrue(t >= last, "arrivals must not go backwards");
            last = t;
        }
        double achieved = n / (last / 1e9);
        assertEquals(rate, achieved, 0.01 * rate);
    }

    @Test
    void sameSeedSameSchedule() {
        PoissonArrivals a = new PoissonArrivals(5000, 3);
        PoissonArrivals b = new PoissonArrivals(5000, 3);
        for (int i = 0; i < 1000; i++) {
            assertEquals(a.nextArrivalNanos(), b.nextArrivalNanos());
        }
    }

    @Test
    void rejectsNonsenseRates() {
        assertThrows(IllegalArgumentException.class, () -> new PoissonArrivals(0, 1));
        assertThrows(IllegalArgumentException.class, () -> new PoissonArrivals(-1, 1));
        assertThrows(IllegalArgumentException.class, () -> new PoissonArrivals(Double.NaN, 1));
        assertThrows(IllegalArgumentException.class, () -> new PoissonArrivals(Double.POSITIVE_INFINITY, 1));
    }
}
