package dev.sluice.spring.webmvc;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class QueryFlagsTest {
    @Test
    void aFlagIsSetByTrueOrByItsBareName() {
        assertTrue(QueryFlags.isSet("trace=true", "trace"));
        assertTrue(QueryFlags.isSet("a=1&trace=TRUE", "trace"));
        assertTrue(QueryFlags.isSet("trace", "trace"));
        assertTrue(QueryFlags.isSet("tr%61ce=tru%65", "trace"), "decoded");
        assertFalse(QueryFlags.isSet(null, "trace"));
        assertFalse(QueryFlags.isSet("trace=false", "trace"));
        assertFalse(QueryFlags.isSet("trace=yes", "trace"));
        assertFalse(QueryFlags.isSet("tracer=true", "trace"));
        assertFalse(QueryFlags.isSet("", "trace"));
    }
}
