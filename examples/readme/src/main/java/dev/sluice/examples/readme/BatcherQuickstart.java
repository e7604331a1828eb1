package dev.sluice.examples.readme;

import dev.sluice.batching.BatchFunction;
import dev.sluice.batching.BatchPolicy;
import dev.sluice.batching.DynamicBatcher;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

public class BatcherQuickstart {
    public static void main(String[] args) {
        // One call per batch: return exactly one output per input, in order.
        BatchFunction<float[], Float> score = (List<float[]> batch) -> scoreAll(batch);

        try (DynamicBatcher<float[], Float> scorer = DynamicBatcher.builder(score)
                .name("scorer")
                .maxBatchSize(32)                  // at most 32 inputs per call
                .maxDelay(Duration.ofMillis(2))    // a free worker waits at most 2 ms for company
                .queueCapacity(4096)               // beyond this, submit fails at once (OverloadedException)
                .maxQueueDelay(Duration.ofMillis(100)) // or a wait expected past this (default: measured)
                .maxConcurrentBatches(1)           // calls running at once
                .policy(BatchPolicy.eager())       // never waits; the default is adaptive(), or fixed()
                .build()) {

            float[] features = {0.5f, 1.5f, 2.0f};
            CompletableFuture<Float> y = scorer.submit(features);                          // never blocks
            CompletableFuture<Float> z = scorer.submit(features, Duration.ofMillis(50));   // with a deadline
            System.out.println("score " + y.join());                                       // score 4.0
            z.thenAccept(s -> System.out.println("score " + s));                           // or when it is done
        }   // close(): stop admitting, finish what was admitted, end the threads
    }

    /** Stands for your model: one score per input, here the sum of its features. */
    static List<Float> scoreAll(List<float[]> batch) {
        List<Float> scores = new ArrayList<>(batch.size());
        for (float[] features : batch) {
            float sum = 0;
            for (float f : features) {
                sum += f;
            }
            scores.add(sum);
        }
        return scores;
    }
}
