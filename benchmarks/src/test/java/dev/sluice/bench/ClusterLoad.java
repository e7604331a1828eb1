package dev.sluice.bench;

import dev.sluice.pipeline.Pipeline;
import dev.sluice.pipeline.Result;
import dev.sluice.tensor.Tensor;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.stream.IntStream;

/**
 * Steady open-loop load for {@link ClusterTest}: request {@code i} (from 0) is sent {@code i * every} after
 * {@link #start()}, whether or not the earlier ones have ended, through a pipeline whose step {@value #STEP}
 * calls a remote deployment, so that each request's trace names the worker that answered it. Request {@code i}
 * carries the marker {@code i + 1}, and its answer must carry it back. Records for each request how many
 * times its future completed, with what, after how long, and from which worker.
 *
 * <p>Thread-safe: one timer thread sends; completions are recorded on whichever thread completes them.
 */
final class ClusterLoad implements AutoCloseable {
    static final String STEP = "infer";

    private final Pipeline<Map<String, Tensor>, Map<String, Tensor>> pipeline;
    private final int size;
    private final Duration every;
    private final Duration deadline;
    private final AtomicReferenceArray<CompletableFuture<Result<Map<String, Tensor>>>> futures;
    private final AtomicIntegerArray completions;
    private final AtomicLongArray latencies;
    private final AtomicReferenceArray<String> servedBy;
    private final Queue<String> failures = new ConcurrentLinkedQueue<>();
    private final AtomicInteger sent = new AtomicInteger();
    private final AtomicInteger ended = new AtomicInteger();
    private final CompletableFuture<Void> sending = new CompletableFuture<>();
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "cluster-load");
        t.setDaemon(true);
        return t;
    });
    private boolean stopped; // on the timer thread only

    /**
     * @param size how many requests at most
     * @param every the time between two sends
     * @param deadline each request's deadline
     */
    ClusterLoad(Pipeline<Map<String, Tensor>, Map<String, Tensor>> pipeline, int size, Duration every,
            Duration deadline) {
        this.pipeline = pipeline;
        this.size = size;
        this.every = every;
        this.deadline = deadline;
        this.futures = new AtomicReferenceArray<>(size);
        this.completions = new AtomicIntegerArray(size);
        this.latencies = new AtomicLongArray(size);
        this.servedBy = new AtomicReferenceArray<>(size);
    }

    /** An FP32 [1, 4] input whose first element is {@code marker}. */
    static Map<String, Tensor> input(float marker) {
        return Map.of("x", Tensor.ofFloats("x", new long[] {1, 4}, marker, 1, 2, 3));
    }

    /** The first element of the worker's answer: the marker of its input. */
    static float marker(Map<String, Tensor> output) {
        return output.get("y").toFloatArray()[0];
    }

    void start() {
        timer.scheduleAtFixedRate(this::sendOne, 0, every.toNanos(), TimeUnit.NANOSECONDS);
    }

    private void sendOne() {
        int i = sent.get();
        if (stopped || i == size) {
            sending.complete(null);
            return;
        }
        long start = System.nanoTime();
        CompletableFuture<Result<Map<String, Tensor>>> f = pipeline.submit(input(i + 1), deadline);
        // Kept is the stage that records: awaitEnded waits for it, not for f, whose later dependents may run first.
        futures.set(i, f.whenComplete((r, e) -> {
            latencies.set(i, System.nanoTime() - start);
            if (completions.incrementAndGet(i) > 1) {
                failures.add("request " + i + " completed twice");
            }
            if (e != null) {
                failures.add("request " + i + ": " + e);
            } else if (marker(r.value()) != i + 1) {
                failures.add("request " + i + " got the answer of " + marker(r.value()));
            } else {
                servedBy.set(i, r.trace().spansOf(STEP).get(0).replicas());
            }
            ended.incrementAndGet();
        }));
        sent.set(i + 1);
    }

    /** Sends no more requests. */
    void stop() {
        timer.execute(() -> {
            stopped = true;
            sending.complete(null);
        });
    }

    int size() {
        return size;
    }

    /** Requests sent so far. */
    int sent() {
        return sent.get();
    }

    /** Requests ended so far. */
    int ended() {
        return ended.get();
    }

    /**
     * Waits until every request has been sent (or sending was stopped) and every one sent has ended.
     *
     * @throws AssertionError if that takes longer than {@code timeout}
     */
    void awaitEnded(Duration timeout) throws InterruptedException {
        long until = System.nanoTime() + timeout.toNanos();
        try {
            sending.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
            CompletableFuture<?>[] all = IntStream.range(0, sent.get()).mapToObj(futures::get)
                    .map(f -> f.handle((r, e) -> null)).toArray(CompletableFuture[]::new);
            CompletableFuture.allOf(all).get(Math.max(0, until - System.nanoTime()), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            throw new AssertionError("the load did not end within " + timeout + ": " + summary(), e);
        } catch (ExecutionException e) {
            throw new AssertionError(e);
        }
    }

    /** Every request sent completed once, with its own answer. */
    void assertEveryRequestSucceededOnce() {
        int n = sent.get();
        StringBuilder wrong = new StringBuilder();
        failures.stream().limit(10).forEach(f -> wrong.append("\n  ").append(f));
        for (int i = 0; i < n; i++) {
            if (completions.get(i) != 1) {
                wrong.append("\n  request ").append(i).append(" completed ").append(completions.get(i)).append(" times");
            }
        }
        if (wrong.length() > 0 || ended.get() != n) {
            throw new AssertionError(summary() + wrong);
        }
    }

    /** How many of the requests {@code from} (inclusive) to {@code to} each worker answered, by address. */
    Map<String, Long> servedBy(int from, int to) {
        Map<String, Long> counts = new LinkedHashMap<>();
        for (int i = from; i < to; i++) {
            String s = servedBy.get(i);
            if (s != null) {
                counts.merge(s, 1L, Long::sum);
            }
        }
        return counts;
    }

    /** The {@code p}-th percentile of the latencies of the requests that ended, in nanoseconds. */
    long latencyPercentile(double p) {
        long[] done = IntStream.range(0, sent.get()).filter(i -> completions.get(i) > 0)
                .mapToLong(latencies::get).sorted().toArray();
        if (done.length == 0) {
            return 0;
        }
        return done[(int) Math.min(done.length - 1, Math.ceil(p / 100 * done.length) - 1)];
    }

    String summary() {
        List<String> firstFailures = failures.stream().limit(3).toList();
        return String.format("%d of %d sent, %d ended, %d failures %s; latency p50 %.1f ms, p99 %.1f ms, max %.1f ms;"
                        + " served by %s", sent.get(), size, ended.get(), failures.size(), firstFailures,
                latencyPercentile(50) / 1e6, latencyPercentile(99) / 1e6, latencyPercentile(100) / 1e6,
                servedBy(0, sent.get()));
    }

    /** Stops sending; the requests in flight are left to the deployment (closed after this). */
    @Override
    public void close() {
        timer.shutdownNow();
    }

    @Override
    public String toString() {
        return "ClusterLoad[" + summary() + "]";
    }
}
