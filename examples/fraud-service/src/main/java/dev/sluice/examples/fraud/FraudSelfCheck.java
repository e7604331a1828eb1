package dev.sluice.examples.fraud;

import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Locale;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The service's self-check ({@code --self-check}): sends a suspicious payment, an ordinary one and a malformed one to
 * the running service's {@code POST /sluice/fraud} over HTTP and prints the answers, the reasons and the trace.
 * Fails unless the suspicious payment is flagged, the ordinary one is not, and the malformed one is refused (400).
 */
final class FraudSelfCheck {
    /** A large foreign online payment at 3 a.m., far from home, at a risky merchant, from a new card in a burst. */
    static final String SUSPICIOUS = "{\"amount\": 1890.0, \"hour\": 3, \"distanceKm\": 4200.0, \"merchantRisk\": 0.92,"
            + " \"cardAgeDays\": 12, \"txLastHour\": 7, \"foreign\": true, \"online\": true}";
    /** A small purchase in a shop near home, in the afternoon, on an old card. */
    static final String ORDINARY = "{\"amount\": 23.5, \"hour\": 14, \"distanceKm\": 2.1, \"merchantRisk\": 0.05,"
            + " \"cardAgeDays\": 1400, \"txLastHour\": 0, \"foreign\": false, \"online\": false}";
    /** An hour that does not exist. */
    static final String MALFORMED = "{\"amount\": 10.0, \"hour\": 31}";

    private FraudSelfCheck() {}

    /** @return whether every answer was as expected */
    static boolean check(URI service, PrintStream out) throws IOException, InterruptedException {
        HttpClient http = HttpClient.newHttpClient();
        URI fraud = service.resolve("/sluice/fraud?trace=true");
        JsonMapper json = JsonMapper.builder().build();
        post(http, fraud, ORDINARY); // the first request warms the service up; its trace would show start-up
        boolean ok = true;
        for (String[] c : new String[][] {{"suspicious", SUSPICIOUS, "true"}, {"ordinary", ORDINARY, "false"}}) {
            HttpResponse<String> r = post(http, fraud, c[1]);
            out.println("self-check: " + c[0] + " payment " + c[1]);
            if (r.statusCode() != 200) {
                out.println("  FAILED: " + r.statusCode() + " " + r.body());
                ok = false;
                continue;
            }
            JsonNode answer = json.readTree(r.body());
            JsonNode result = answer.get("result");
            out.println(String.format(Locale.ROOT, "  score %.4f, flagged %s", result.get("score").asDouble(),
                    result.get("flagged").asBoolean()));
            for (JsonNode reason : result.get("reasons")) {
                out.println(String.format(Locale.ROOT, "    %-14s %-8s %+.3f", reason.get("feature").asString(),
                        reason.get("value"), reason.get("contribution").asDouble()));
            }
            out.print(trace(answer.get("trace")));
            if (result.get("flagged").asBoolean() != Boolean.parseBoolean(c[2])) {
                out.println("  FAILED: expected flagged " + c[2]);
                ok = false;
            }
        }
        HttpResponse<String> bad = post(http, fraud, MALFORMED);
        out.println("self-check: malformed payment " + MALFORMED + " -> " + bad.statusCode() + " " + bad.body());
        if (bad.statusCode() != 400) {
            out.println("  FAILED: expected 400");
            ok = false;
        }
        out.println(ok ? "self-check ok" : "self-check FAILED");
        return ok;
    }

    private static HttpResponse<String> post(HttpClient http, URI uri, String body) throws IOException, InterruptedException {
        return http.send(HttpRequest.newBuilder(uri).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    /** The trace as a line per step: its start, duration, outcome, and for the model call its batching. */
    static String trace(JsonNode t) {
        StringBuilder b = new StringBuilder(String.format(Locale.ROOT, "  trace: %s %.2f ms %s%n",
                t.get("pipeline").asString(), t.get("durationNanos").asLong() / 1e6, t.get("outcome").asString()));
        for (JsonNode s : t.get("spans")) {
            b.append(String.format(Locale.ROOT, "    %-9s +%6.2f ms %6.2f ms  %s", s.get("step").asString(),
                    s.get("startNanos").asLong() / 1e6, s.get("durationNanos").asLong() / 1e6, s.get("outcome").asString()));
            if (s.get("batchSize").asInt() > 0) {
                b.append(String.format(Locale.ROOT, "  queue %.2f ms, batch %d, %s", s.get("queueWaitNanos").asLong() / 1e6,
                        s.get("batchSize").asInt(), s.get("replicas").asString()));
            }
            b.append('\n');
        }
        return b.toString();
    }
}
