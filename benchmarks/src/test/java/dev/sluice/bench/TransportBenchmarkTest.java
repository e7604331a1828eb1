package dev.sluice.bench;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.tensor.Tensor;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.HdrHistogram.Histogram;
import org.junit.jupiter.api.Test;

class TransportBenchmarkTest {

    @Test
    void theDefaultsAreTheDocumentedOnesAndTakeAboutNineMinutes() {
        TransportBenchmark.Options o = TransportBenchmark.Options.parse(new String[0]);
        assertEquals(List.of("rec", "small"), o.requests);
        assertArrayEquals(new int[] {1, 4, 16}, o.clients);
        assertEquals(5, o.rounds);
        assertEquals(2, o.replicas);
        assertEquals(2_000_000, o.maxDelay().toNanos());
        double seconds = o.rounds * o.requests.size() * o.clients.length * 3 * (o.warmupS + o.durationS);
        assertEquals(540, seconds, 1e-9);
    }

    @Test
    void listsAreReadTrimmedAndClientCountsSortedOnce() {
        TransportBenchmark.Options o = TransportBenchmark.Options.parse(new String[] {
            "--requests", "small", "--clients", "16, 1,4,1", "--timeout-s", "2.5"});
        assertEquals(List.of("small"), o.requests);
        assertArrayEquals(new int[] {1, 4, 16}, o.clients);
        assertEquals(2_500_000_000L, o.timeout().toNanos());
    }

    @Test
    void badOptionsAreRefusedNamingTheOption() {
        for (String[] args : List.of(new String[] {"--requests", "big"}, new String[] {"--requests", ""},
                new String[] {"--clients", "0,4"}, new String[] {"--rounds", "0"}, new String[] {"--duration-s", "0"},
                new String[] {"--warmup-s", "-1"}, new String[] {"--timeout-s", "0"}, new String[] {"--images", "0"},
                new String[] {"--bogus", "1"}, new String[] {"--rounds"})) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> TransportBenchmark.Options.parse(args), String.join(" ", args));
            assertTrue(e.getMessage().contains(args[0]), e.getMessage());
        }
    }

    @Test
    void theOrderTurnsByOneEachRoundSoEachTransportRunsInEachPlace() {
        List<String> t = List.of("in-process", "rest-json", "grpc");
        assertEquals(t, TransportBenchmark.order(t, 0));
        assertEquals(List.of("rest-json", "grpc", "in-process"), TransportBenchmark.order(t, 1));
        assertEquals(List.of("grpc", "in-process", "rest-json"), TransportBenchmark.order(t, 2));
        assertEquals(t, TransportBenchmark.order(t, 3));
        for (int place = 0; place < t.size(); place++) {
            Set<String> there = new HashSet<>();
            for (int round = 0; round < t.size(); round++) {
                there.add(TransportBenchmark.order(t, round).get(place));
            }
            assertEquals(Set.copyOf(t), there, "place " + place);
        }
    }

    @Test
    void theMedianIsTheMiddleValueOrTheMeanOfTheMiddleTwo() {
        assertEquals(3, TransportBenchmark.median(new double[] {9, 1, 3}), 1e-12);
        assertEquals(2.5, TransportBenchmark.median(new double[] {4, 1, 2, 3}), 1e-12);
        assertTrue(Double.isNaN(TransportBenchmark.median(new double[0])));
    }

    @Test
    void theSummaryGivesMediansOverRoundsAndTheirRatiosToTheBaseline() {
        List<TransportBenchmark.Cell> cells = new ArrayList<>();
        // in-process: 100, 300, 200 req/s with latencies 1, 3, 2 ms; grpc: 50, 10, 40 req/s at 4, 8, 6 ms.
        double[][] inProcess = {{100, 1}, {300, 3}, {200, 2}};
        double[][] grpc = {{50, 4}, {10, 8}, {40, 6}};
        for (int round = 0; round < 3; round++) {
            cells.add(cell(round, "small", 4, "in-process", inProcess[round][0], inProcess[round][1]));
            cells.add(cell(round, "small", 4, "grpc", grpc[round][0], grpc[round][1]));
            cells.add(cell(round, "rec", 1, "grpc", 5, 100));
        }
        List<TransportBenchmark.Summary> s = TransportBenchmark.summarize(cells, "in-process");

        assertEquals(3, s.size());
        TransportBenchmark.Summary rec = s.get(0); // rec first
        assertEquals("rec", rec.request());
        assertTrue(Double.isNaN(rec.throughputRatio()), "no in-process cell for rec: no ratio");
        TransportBenchmark.Summary base = s.get(1);
        TransportBenchmark.Summary g = s.get(2);
        assertEquals("in-process", base.transport());
        assertEquals(200, base.throughput(), 1e-9);
        assertEquals(2, base.p50Ms(), 0.01);
        assertEquals(1, base.throughputRatio(), 1e-9);
        assertEquals("grpc", g.transport());
        assertEquals(3, g.rounds());
        assertEquals(40, g.throughput(), 1e-9);
        assertEquals(0.2, g.throughputRatio(), 1e-9);
        assertEquals(3, g.p50Ratio(), 0.01);
        assertEquals(3, g.p99Ratio(), 0.01);
    }

    @Test
    void theCsvsHaveAHeaderAndOneRowPerCellOrSummaryWithEveryField() {
        List<TransportBenchmark.Cell> cells = List.of(cell(0, "small", 1, "in-process", 100, 1),
                cell(0, "small", 1, "grpc", 0, -1));
        String[] rounds = TransportBenchmark.roundsCsv(cells).split("\n");
        assertEquals("round,request,clients,transport,seconds,completed,failed,throughput_rps,p50_ms,p99_ms", rounds[0]);
        assertEquals(3, rounds.length);
        assertTrue(rounds[1].startsWith("1,small,1,in-process,1.000,100,0,100.00,1.0"), rounds[1]);
        assertEquals("1,small,1,grpc,1.000,0,0,0.00,,", rounds[2], "nothing measured: empty latencies, not zero");

        String[] medians = TransportBenchmark.csv(TransportBenchmark.summarize(cells, "in-process")).split("\n");
        assertEquals("request,clients,transport,rounds,throughput_rps,p50_ms,p99_ms,failed,throughput_vs_in_process,"
                + "p50_vs_in_process,p99_vs_in_process", medians[0]);
        assertEquals(3, medians.length);
        for (String line : medians) {
            assertEquals(11, line.split(",", -1).length, line);
        }
        assertTrue(medians[2].startsWith("small,1,grpc,1,0.00,,,0,0.000,,"), medians[2]);
    }

    @Test
    void aDifferenceIsNamedAndEqualOutputsHaveNone() {
        Map<String, Tensor> a = Map.of("y", Tensor.ofFloats("y", new long[] {1, 3}, 1, 2, Float.NaN));
        assertNull(TransportBenchmark.difference(a, Map.of("y", Tensor.ofFloats("y", new long[] {1, 3}, 1, 2, Float.NaN))));
        assertTrue(TransportBenchmark.difference(a, Map.of("y", Tensor.ofFloats("y", new long[] {1, 3}, 1, 2, 3)))
                .contains("other values"));
        assertTrue(TransportBenchmark.difference(a, Map.of("y", Tensor.ofFloats("y", new long[] {3, 1}, 1, 2, 3)))
                .contains("[3, 1]"));
        assertTrue(TransportBenchmark.difference(a, Map.of("z", Tensor.ofFloats("z", new long[] {1, 3}, 1, 2, 3)))
                .contains("[z]"));
    }

    @Test
    void theJsonClientWritesEveryFloatSoItReadsBackToTheSameBits() {
        float[] values = {0.1f, -2f, Float.MIN_VALUE, 3.0e38f, -0.0f, Float.NaN};
        Tensor x = Tensor.ofFloats("x", new long[] {2, 3}, values);
        String request = new String(RestJsonTransport.request(List.of(x)), StandardCharsets.UTF_8);
        assertTrue(request.contains("\"datatype\":\"FP32\"") && request.contains("\"shape\":[2,3]"), request);
        assertTrue(request.contains(",NaN]"), "NaN as the literal: " + request);

        // The same tensor as the starter answers it: NaN as a string, among other fields.
        String response = "{\"model_name\":\"m\",\"outputs\":[{\"name\":\"x\",\"datatype\":\"FP32\",\"shape\":[2,3],"
                + "\"parameters\":{\"a\":[1]},\"data\":" + request.replaceAll("(?s).*\"data\":(\\[.*?\\]).*", "$1")
                        .replace("NaN", "\"NaN\"") + "}],\"id\":\"7\"}";
        Tensor back = RestJsonTransport.outputs(response.getBytes(StandardCharsets.UTF_8)).get("x");
        assertNull(TransportBenchmark.difference(Map.of("x", x), Map.of("x", back)), response);
    }

    @Test
    void theJsonClientReadsNestedDataAndRefusesOtherTypesByName() {
        Tensor y = RestJsonTransport.outputs(("{\"outputs\":[{\"name\":\"y\",\"shape\":[2,2],\"datatype\":\"FP32\","
                + "\"data\":[[1.5,2],[3,4]]}]}").getBytes(StandardCharsets.UTF_8)).get("y");
        assertArrayEquals(new float[] {1.5f, 2, 3, 4}, y.toFloatArray());
        assertArrayEquals(new long[] {2, 2}, y.shape());

        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> RestJsonTransport.outputs(
                "{\"outputs\":[{\"name\":\"n\",\"shape\":[1],\"datatype\":\"INT64\",\"data\":[1]}]}"
                        .getBytes(StandardCharsets.UTF_8)));
        assertTrue(e.getMessage().contains("output 'n' is INT64"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> RestJsonTransport.request(
                List.of(Tensor.ofLongs("n", new long[] {1}, 1))));
    }

    /** A cell measured over 1 s: {@code rps} answers, each {@code ms} long (none measured if negative). */
    private static TransportBenchmark.Cell cell(int round, String request, int clients, String transport, double rps,
            double ms) {
        Histogram h = new Histogram(3);
        if (ms >= 0) {
            for (int i = 0; i < rps; i++) {
                h.recordValue(Math.round(ms * 1e6));
            }
        }
        return new TransportBenchmark.Cell(round, request, clients, transport, 1.0, Math.round(rps), 0, h);
    }
}
