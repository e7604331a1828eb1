package dev.sluice.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The benchmark's server in this module's class path: Spring Boot, the starter, Tomcat and sluice-grpc together,
 * every transport answering the small request as in-process does.
 */
class TransportServerTest {

    @Test
    void everyTransportAnswersTheSmallRequestAsInProcessDoesAndACellCountsItsAnswers() throws Exception {
        TransportBenchmark b = new TransportBenchmark(TransportBenchmark.Options.parse(new String[] {
            "--requests", "small", "--warmup-s", "0", "--duration-s", "0.5", "--timeout-s", "30"}));
        try (TransportServer server = new TransportServer(1)) {
            assertEquals("127.0.0.1", server.http().getHost());
            assertTrue(server.grpcTarget().startsWith("127.0.0.1:"), server.grpcTarget());
            List<TransportBenchmark.Request> requests = b.deploy(server.sluice());
            List<Transport> transports = b.transports(server);
            try {
                assertEquals(List.of("in-process", "rest-json", "rest-binary", "grpc"),
                        transports.stream().map(Transport::name).toList());
                String checked = TransportBenchmark.checkSameAnswers(transports, requests.get(0));
                assertEquals("FP32 [1, 3] in, FP32 [1, 3] out; the same from every transport", checked);

                TransportBenchmark.Cell c = b.measure(transports.get(3), requests.get(0), 2, 0);
                assertEquals(0, c.failed());
                assertTrue(c.completed() > 0 && c.completed() == c.latency().getTotalCount(), c.toString());

                // A request the server refuses is a failure saying why, not an answer.
                Exception refused = assertThrows(Exception.class,
                        () -> transports.get(1).infer("nope", requests.get(0).inputs().get(0)));
                assertTrue(refused.getMessage().contains("404"), refused.getMessage());
            } finally {
                transports.forEach(Transport::close);
            }
            // Not the OCR example's page, though its jar is on the class path.
            HttpResponse<String> root = HttpClient.newHttpClient().send(HttpRequest.newBuilder(server.http())
                    .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(404, root.statusCode());
        }
    }
}
