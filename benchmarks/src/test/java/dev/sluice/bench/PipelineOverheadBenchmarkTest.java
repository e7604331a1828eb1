package dev.sluice.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import dev.sluice.pipeline.Trace;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The pipelines and their hand-written twins compute the same thing (behaviour only; no timing). */
class PipelineOverheadBenchmarkTest {
    private final PipelineOverheadBenchmark bench = new PipelineOverheadBenchmark();

    @BeforeEach
    void build() {
        bench.build();
    }

    @Test
    void everyChainVariantAddsOneTenTimesLikeTheHandWrittenChain() {
        assertEquals(52, bench.chainByHand());
        assertEquals(52, bench.chainPipeline());
        assertEquals(52, bench.chainPipelineWithListener());
        assertEquals(52, bench.chainPipelineConstantClock());
        assertEquals(52, bench.chainPipelineWithDeadline());
    }

    @Test
    void everyFanOutVariantSumsThirtyTwoDifferentBranchesLikeTheHandWrittenOne() {
        int expected = 32 * 42 + (31 * 32) / 2; // the input in every branch, plus 0 + 1 + ... + 31
        assertEquals(expected, bench.fanOutByHand());
        assertEquals(expected, bench.fanOutPipeline());
        assertEquals(expected, bench.fanOutPipelineInOneStep());
    }

    @Test
    void thePipelinesHaveTheStepsTheSummaryDividesBy() {
        assertEquals(10, bench.chain.steps().size());
        assertEquals(33, bench.fanOut.steps().size());
        assertEquals(1, bench.fanOutInOneStep.steps().size());
    }

    @Test
    void theListenerVariantReceivesTheTraceOfEveryStep() {
        bench.chainPipelineWithListener();
        Trace trace = bench.lastTrace;
        assertNotNull(trace);
        assertEquals(10, trace.spans().size());
        assertEquals(List.of(Trace.Outcome.OK), trace.spans().stream().map(Trace.Span::outcome).distinct().toList());
    }
}
