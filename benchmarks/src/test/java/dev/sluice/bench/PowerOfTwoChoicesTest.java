package dev.sluice.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class PowerOfTwoChoicesTest {

    @Test
    void oneReplicaIsAlwaysChosen() {
        PowerOfTwoChoices c = new PowerOfTwoChoices(1, 1);
        for (int i = 0; i < 100; i++) {
            assertEquals(0, c.choose(r -> 1_000));
        }
    }

    @Test
    void ofTwoReplicasTheLessLoadedIsAlwaysChosen() {
        // Only possible if the two candidates always differ.
        PowerOfTwoChoices c = new PowerOfTwoChoices(2, 3);
        for (int i = 0; i < 10_000; i++) {
            assertEquals(1, c.choose(r -> r == 0 ? 5 : 4));
            assertEquals(0, c.choose(r -> r == 0 ? 0 : 1));
        }
    }

    @Test
    void theMostLoadedReplicaIsNeverChosenWhileAnotherHasFewer() {
        PowerOfTwoChoices c = new PowerOfTwoChoices(4, 5);
        int[] load = {9, 2, 2, 3};
        for (int i = 0; i < 100_000; i++) {
            assertNotEquals(0, c.choose(r -> load[r]));
        }
    }

    @Test
    void theLeastLoadedOfFourWinsHalfTheTime() {
        // It wins whenever it is one of the two candidates: 1 - C(3,2) / C(4,2) = 1/2.
        PowerOfTwoChoices c = new PowerOfTwoChoices(4, 7);
        int[] load = {3, 1, 2, 3};
        int n = 200_000;
        int[] chosen = new int[4];
        for (int i = 0; i < n; i++) {
            chosen[c.choose(r -> load[r])]++;
        }
        assertEquals(0.5, chosen[1] / (double) n, 0.01);
        // Replica 2 wins when paired with 0 or 3 (2 of the 6 pairs); 0 and 3 tie with each other (1 pair).
        assertEquals(1.0 / 3, chosen[2] / (double) n, 0.01);
        assertEquals(1.0 / 6, (chosen[0] + chosen[3]) / (double) n, 0.01);
    }

    @Test
    void equalLoadsSpreadEvenly() {
        PowerOfTwoChoices c = new PowerOfTwoChoices(4, 11);
        int n = 200_000;
        int[] chosen = new int[4];
        for (int i = 0; i < n; i++) {
            chosen[c.choose(r -> 0)]++;
        }
        for (int count : chosen) {
            assertEquals(0.25, count / (double) n, 0.01);
        }
    }

    @Test
    void sameSeedSamePicks() {
        PowerOfTwoChoices a = new PowerOfTwoChoices(4, 13);
        PowerOfTwoChoices b = new PowerOfTwoChoices(4, 13);
        for (int i = 0; i < 1_000; i++) {
            int[] load = {i % 3, i % 5, i % 7, i % 2};
            assertEquals(a.choose(r -> load[r]), b.choose(r -> load[r]));
        }
    }

    @Test
    void rejectsNoReplicas() {
        assertThrows(IllegalArgumentException.class, () -> new PowerOfTwoChoices(0, 1));
    }
}
