package dev.sluice.examples.fraud;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.batching.InvalidInputException;
import dev.sluice.xgboost.Features;
import org.junit.jupiter.api.Test;

/** A payment's row for the model: named features, booleans as 0 and 1, left-out fields missing, bad ranges refused. */
class TransactionTest {

    @Test
    void aFullPaymentGivesEveryFeature() {
        Features f = new Transaction(12.5, 3, 4.0, 0.5, 100, 2, true, false).features();
        assertArrayEquals(Transactions.FEATURES.toArray(String[]::new), f.names());
        assertArrayEquals(new float[] {12.5f, 3, 4, 0.5f, 100, 2, 1, 0}, f.values());
    }

    @Test
    void theValueShownForAFeatureIsTheOneInTheRow() {
        Transaction t = new Transaction(12.5, 3, null, 0.5, 100, 2, true, false);
        Features f = t.features();
        for (int i = 0; i < f.size(); i++) {
            assertEquals(f.values()[i], t.value(f.names()[i]).floatValue(), f.names()[i]);
        }
        assertEquals(null, t.value("distance_km"), "left out");
        assertThrows(IllegalArgumentException.class, () -> t.value("colour"));
    }

    @Test
    void fieldsLeftOutAreLeftOutOfTheRow() {
        Features f = new Transaction(12.5, null, null, null, null, null, null, true).features();
        assertArrayEquals(new String[] {"amount", "online"}, f.names());
    }

    @Test
    void outOfRangeValuesAreRefusedNamingTheField() {
        assertEquals("amount is required", assertThrows(InvalidInputException.class,
                () -> new Transaction(null, 3, null, null, null, null, null, null).features()).getMessage());
        String m = assertThrows(InvalidInputException.class,
                () -> new Transaction(1.0, 24, null, null, null, null, null, null).features()).getMessage();
        assertEquals("hour must be between 0 and 23, was 24", m);
        assertTrue(assertThrows(InvalidInputException.class,
                () -> new Transaction(Double.NaN, 1, null, null, null, null, null, null).features()).getMessage()
                .startsWith("amount must be between 0 and"));
    }

    @Test
    void theSameSeedDrawsTheSamePayments() {
        assertEquals(Transactions.draw(5, 50), Transactions.draw(5, 50));
    }
}
