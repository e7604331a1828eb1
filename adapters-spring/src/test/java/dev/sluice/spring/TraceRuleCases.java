package dev.sluice.spring;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.stream.Stream;
import org.junit.jupiter.params.provider.Arguments;

/**
 * The starter's one rule for {@code ?trace}, as cases that each web stack's test runs against its own typed
 * endpoint: absent, {@code false} or {@code 0} is off; bare, empty, {@code true} (any case) or {@code 1} is on;
 * anything else, or the parameter twice, is a 400 naming it.
 */
final class TraceRuleCases {
    private TraceRuleCases() {}

    /** A query string (empty: none) and what it must give: {@code on}, {@code off} or {@code 400}. */
    static Stream<Arguments> cases() {
        return Stream.of(
                Arguments.of("", "off"),
                Arguments.of("trace", "on"),
                Arguments.of("trace=", "on"),
                Arguments.of("trace=true", "on"),
                Arguments.of("trace=TRUE", "on"),
                Arguments.of("trace=1", "on"),
                Arguments.of("tr%61ce=tru%65", "on"),
                Arguments.of("trace=false", "off"),
                Arguments.of("trace=0", "off"),
                Arguments.of("tracer=true", "off"),
                Arguments.of("trace=yes", "400"),
                Arguments.of("trace=on", "400"),
                Arguments.of("trace=true&trace=true", "400"));
    }

    /** Posts {@code body} to the typed endpoint {@code target} with {@code query} and checks the answer. */
    static void check(Http http, String target, String body, String query, String expected) throws Exception {
        Http.Reply r = http.post("/sluice/%s%s".formatted(target, query.isEmpty() ? "" : "?" + query), body);
        if (expected.equals("400")) {
            assertEquals(400, r.status(), r.body());
            assertTrue(r.error().contains("\"trace\""), "names the parameter: " + r.error());
            return;
        }
        assertEquals(200, r.status(), r.body());
        assertEquals(expected.equals("on"), r.json().has("trace"), r.body());
    }
}
