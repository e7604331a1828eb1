package dev.sluice.examples.readme;

import dev.sluice.batching.DynamicBatcher;
import dev.sluice.testing.FakeModel;
import java.time.Duration;

public class FakeModelExample {
    public static void main(String[] args) {
        FakeModel<String, Integer> model = FakeModel.builder(String::length)
                .cost(Duration.ofMillis(2), Duration.ofNanos(50_000))  // SLEEP by default, or .wait(FakeModel.Wait.SPIN)
                .failOn(s -> s.isEmpty())                             // or .failEveryKthBatch(10), .hangOn(...)
                .build();

        try (DynamicBatcher<String, Integer> b = DynamicBatcher.builder(model::predict).build()) {
            System.out.println(b.submit("hello").join());             // 5
        }
        System.out.println(model.batchSizes());                       // what your traffic turned into: [1]
    }
}
