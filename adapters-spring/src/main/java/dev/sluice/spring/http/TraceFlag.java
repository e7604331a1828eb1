package dev.sluice.spring.http;

import dev.sluice.batching.InvalidInputException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * The starter's one rule for the {@code trace} query parameter, the same on Spring MVC and WebFlux (and for an
 * application's own endpoints that offer a trace):
 *
 * <ul>
 *   <li>absent, {@code trace=false} or {@code trace=0}: no trace;
 *   <li>{@code trace} alone, {@code trace=} (empty), {@code trace=true} or {@code trace=1}: the trace;
 *   <li>anything else ({@code trace=yes}, the parameter given twice, a value that cannot be decoded):
 *       {@link InvalidInputException}, which {@link HttpErrors#response} answers with 400 naming the parameter.
 * </ul>
 *
 * {@code true} and {@code false} are read without regard to case; names and values are percent-decoded.
 *
 * <p>Reads the raw query string only: on the servlet stack, asking the request for a parameter would parse a
 * form-encoded body (what {@code curl -d} declares by default) as form fields, and consume it.
 *
 * <p>Threading: stateless, thread-safe.
 */
public final class TraceFlag {
    /** The parameter's name. */
    public static final String NAME = "trace";

    private TraceFlag() {}

    /**
     * Whether the request asks for its trace.
     *
     * @param rawQuery the request's query string as sent, still percent-encoded (servlet
     *     {@code getQueryString()}, reactive {@code getURI().getRawQuery()}), or null when there is none
     * @throws InvalidInputException if the parameter has a value other than those above, or is given twice
     */
    public static boolean isRequested(String rawQuery) {
        if (rawQuery == null || rawQuery.isEmpty()) {
            return false;
        }
        String value = null;
        for (String pair : rawQuery.split("&")) {
            int eq = pair.indexOf('=');
            if (!NAME.equals(decodeOrNull(eq < 0 ? pair : pair.substring(0, eq)))) {
                continue; // another parameter, even one that cannot be decoded, is not ours to judge
            }
            if (value != null) {
                throw invalid("is given more than once");
            }
            value = eq < 0 ? "" : decodeOrNull(pair.substring(eq + 1));
            if (value == null) {
                throw invalid("has a value that cannot be decoded: '" + pair.substring(eq + 1) + "'");
            }
        }
        if (value == null) {
            return false;
        }
        return switch (value.toLowerCase(Locale.ROOT)) {
            case "", "true", "1" -> true;
            case "false", "0" -> false;
            default -> throw invalid("must be true, false, 1, 0 or empty, was '" + value + "'");
        };
    }

    private static InvalidInputException invalid(String why) {
        return new InvalidInputException("query parameter \"" + NAME + "\" " + why);
    }

    private static String decodeOrNull(String s) {
        try {
            return URLDecoder.decode(s, StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            return null;
        }
    }
}
