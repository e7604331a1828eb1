package dev.sluice.examples.ocr;

import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import tools.jackson.databind.json.JsonMapper;

/** The self-check's trace table says what the models saw. */
class OcrSelfCheckTest {
    private static String table(String spans) {
        return OcrSelfCheck.trace(JsonMapper.builder().build().readTree(
                "{\"pipeline\":\"ocr\",\"durationNanos\":20000000,\"outcome\":\"OK\",\"spans\":[" + spans + "]}"));
    }

    @Test
    void aFanOutStepGivesTheBatchEachElementJoinedAndTheLongestWait() {
        String t = table("{\"step\":\"recognize\",\"startNanos\":0,\"durationNanos\":9000000,\"outcome\":\"OK\","
                + "\"batchSize\":2,\"batchSizes\":[1,2,2],\"queueWaitNanos\":9200000,\"elements\":3,"
                + "\"replicas\":\"rec#1,rec#2\"}");

        assertTrue(t.contains("x3, longest queue 9.2 ms, batch sizes per element [1,2,2], rec#1,rec#2"), t);
    }

    @Test
    void aSingleModelCallGivesItsBatch() {
        String t = table("{\"step\":\"detect\",\"startNanos\":0,\"durationNanos\":9000000,\"outcome\":\"OK\","
                + "\"batchSize\":1,\"batchSizes\":[],\"queueWaitNanos\":400000,\"elements\":0,\"replicas\":\"det#1\"}");

        assertTrue(t.contains("queue 0.4 ms, batch 1, det#1"), t);
        assertTrue(!t.contains("CPUs"), "one CPU and no wait for it: nothing to say; " + t);
    }

    @Test
    void aCallThatWaitedForCpusOrBorrowedOneSaysSo() {
        String t = table("{\"step\":\"detect\",\"startNanos\":0,\"durationNanos\":9000000,\"outcome\":\"OK\","
                + "\"batchSize\":1,\"batchSizes\":[],\"queueWaitNanos\":4000000,\"elements\":0,\"replicas\":\"det#1\","
                + "\"budgetWaitNanos\":3500000,\"cpus\":2}");

        assertTrue(t.contains("queue 4.0 ms, batch 1, det#1, 3.5 ms of the queue waiting for CPUs, 2 CPUs"), t);
    }

    @Test
    void aRemoteStepNamesTheServersThatAnsweredIt() {
        String t = table("{\"step\":\"recognize\",\"startNanos\":0,\"durationNanos\":9000000,\"outcome\":\"OK\","
                + "\"batchSize\":0,\"batchSizes\":[],\"queueWaitNanos\":0,\"elements\":3,"
                + "\"replicas\":\"127.0.0.4:8081\"},"
                + "{\"step\":\"detect\",\"startNanos\":0,\"durationNanos\":9000000,\"outcome\":\"OK\","
                + "\"batchSize\":0,\"batchSizes\":[],\"queueWaitNanos\":0,\"elements\":0,"
                + "\"replicas\":\"127.0.0.2:8081\"}");

        assertTrue(t.contains("x3, served by 127.0.0.4:8081"), t);
        assertTrue(t.contains("OK  served by 127.0.0.2:8081"), t);
    }

    @Test
    void aRemoteStepWhoseServerSaidHowItBatchedShowsThatAndTheServer() {
        String t = table("{\"step\":\"recognize\",\"startNanos\":0,\"durationNanos\":9000000,\"outcome\":\"OK\","
                + "\"batchSize\":2,\"batchSizes\":[2,2,1],\"queueWaitNanos\":1500000,\"elements\":3,"
                + "\"replicas\":\"127.0.0.4:8081\"},"
                + "{\"step\":\"detect\",\"startNanos\":0,\"durationNanos\":9000000,\"outcome\":\"OK\","
                + "\"batchSize\":1,\"batchSizes\":[],\"queueWaitNanos\":200000,\"elements\":0,"
                + "\"replicas\":\"det#1\"}");

        assertTrue(t.contains("x3, longest queue 1.5 ms, batch sizes per element [2,2,1], served by 127.0.0.4:8081"), t);
        assertTrue(t.contains("queue 0.2 ms, batch 1, det#1"), t);
    }
}
