package dev.sluice.spring.webmvc;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;

/**
 * Reads a boolean flag such as {@code trace=true} from a raw query string. On the servlet stack, asking the request
 * for a parameter parses a form-encoded body as form fields (and consumes it); a controller that reads the body
 * itself must look at the query string only.
 */
public final class QueryFlags {
    private QueryFlags() {}

    /** True when the query has {@code name=true} (or {@code name} alone); false when absent or any other value. */
    public static boolean isSet(String query, String name) {
        if (query == null) {
            return false;
        }
        for (String pair : query.split("&")) {
            int eq = pair.indexOf('=');
            String key = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
            if (key.equals(name)) {
                String value = eq < 0 ? "true" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
                return value.equalsIgnoreCase("true");
            }
        }
        return false;
    }
}
