package dev.sluice.examples.demo;

import dev.sluice.AutoscalingPolicy;
import dev.sluice.Deployment;
import dev.sluice.DeploymentHandle;
import dev.sluice.GpuDevice;
import dev.sluice.Resources;
import dev.sluice.ReplicaState;
import dev.sluice.Sluice;
import dev.sluice.SluiceStatus;
import dev.sluice.testing.FakeModel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * Runs the Sluice runtime with fake models on a simulated GPU and prints what it does: replicas placed on
 * quarters of the GPU, the autoscaler following a load step up and back down, a hung replica replaced with
 * its request retried elsewhere, and a model swapped under load without a failed request.
 */
public final class RuntimeDemo {
    /** Per batch: 5 ms + 0.5 ms per item, so one replica serves about 1,500 requests/s at batch 32. */
    private static final Duration FIXED = Duration.ofMillis(5);
    private static final Duration PER_ITEM = Duration.ofNanos(500_000);

    public static void main(String[] args) throws Exception {
        run();
    }

    static void run() throws Exception {
        GpuDevice gpu = new GpuDevice(0, "GPU-demo-0", "Simulated GPU", 16L << 30);
        AtomicBoolean hangOnce = new AtomicBoolean(true);
        AtomicInteger modelsMade = new AtomicInteger();
        System.out.println("Sluice runtime demo: deployment 'recognizer' of fake models (5 ms + 0.5 ms per item, "
                + "batches up to 32), 1 to 4 replicas, each placed on a quarter of a simulated 16 GiB GPU, each call holding 1 of "
                + "the budget's 8 CPUs while it runs\n");
        try (Sluice sluice = Sluice.builder().resources(Resources.builder().cpus(8).gpu(gpu).build()).build()) {
            DeploymentHandle<String, String> rec = sluice.deploy(Deployment.<String, String>builder("recognizer", ctx -> {
                modelsMade.incrementAndGet();
                return FakeModel.<String, String>builder(s -> "v1:" + s.length())
                        .cost(FIXED, PER_ITEM)
                        .hangOn(s -> s.equals("stuck") && hangOnce.compareAndSet(true, false))
                        .build();
            })
                    .batching(b -> b.maxBatchSize(32).maxDelay(Duration.ofMillis(2)))
                    .replicas(1, 4)
                    .resources(r -> r.cpus(1).gpus(0.25))
                    .autoscaling(AutoscalingPolicy.builder().targetUtilization(0.6).lookBack(Duration.ofSeconds(1))
                            .upscaleDelay(Duration.ofMillis(500)).downscaleDelay(Duration.ofSeconds(2)).build())
                    .watchdog(Duration.ofMillis(500))
                    .idempotent(true)
                    .build());
            rec.awaitReady(Duration.ofSeconds(10));

            System.out.println("1) A load step: 100 requests/s for 2 s, 3,000/s for 4 s, then 100/s for 4 s");
            List<CompletableFuture<String>> sent = new ArrayList<>();
            long start = System.nanoTime();
            Thread sampler = sampler(sluice, start);
            sampler.start();
            send(rec, sent, 100, 2);
            send(rec, sent, 3000, 4);
            send(rec, sent, 100, 4);
            sampler.interrupt();
            sampler.join();
            System.out.println("   " + outcome(sent) + "\n");

            System.out.println("2) A replica hangs on its batch; the 500 ms watchdog replaces it and, the deployment "
                    + "being idempotent, its requests run again on another replica");
            long t0 = System.nanoTime();
            String answer = rec.submit("stuck").get(10, TimeUnit.SECONDS);
            System.out.printf(Locale.ROOT, "   'stuck' answered %s after %.0f ms; %d models made so far "
                    + "(replacements included)%n%n", answer, (System.nanoTime() - t0) / 1e6, modelsMade.get());

            System.out.println("3) Hot swap to v2 while 1,000 requests/s arrive");
            List<CompletableFuture<String>> duringSwap = new ArrayList<>();
            Thread load = new Thread(() -> send(rec, duringSwap, 1000, 3));
            load.start();
            Thread.sleep(1000);
            rec.update(ctx -> FakeModel.<String, String>builder(s -> "v2:" + s.length()).cost(FIXED, PER_ITEM).build())
                    .get(10, TimeUnit.SECONDS);
            load.join();
            long v1 = duringSwap.stream().filter(f -> f.join().startsWith("v1:")).count();
            System.out.printf("   %s; %d answered by v1, %d by v2%n%n", outcome(duringSwap), v1, duringSwap.size() - v1);

            System.out.println("4) The status snapshot (also what an HTTP status endpoint will serve):");
            for (String line : sluice.status().toString().split("\n")) {
                System.out.println("   " + line);
            }
        }
        System.out.println("\nClosed: queues drained, models closed, runtime threads ended.");
    }

    /** Open-loop sender: {@code rate} requests per second for {@code seconds}, each future kept. */
    private static void send(DeploymentHandle<String, String> rec, List<CompletableFuture<String>> sent, int rate,
            int seconds) {
        long interval = TimeUnit.SECONDS.toNanos(1) / rate;
        long next = System.nanoTime();
        for (int i = 0; i < rate * seconds; i++) {
            next += interval;
            long wait = next - System.nanoTime();
            if (wait > 0) {
                LockSupport.parkNanos(wait);
            }
            sent.add(rec.submit("request-" + i, Duration.ofSeconds(2)));
        }
    }

    private static String outcome(List<CompletableFuture<String>> sent) {
        int ok = 0;
        int failed = 0;
        for (CompletableFuture<String> f : sent) {
            try {
                f.join();
                ok++;
            } catch (CompletionException e) {
                failed++;
            }
        }
        return sent.size() + " requests: " + ok + " served, " + failed + " failed";
    }

    /** Prints the replica count and the autoscaler's reasoning twice a second. */
    private static Thread sampler(Sluice sluice, long start) {
        Thread t = new Thread(() -> {
            String last = "";
            while (!Thread.currentThread().isInterrupted()) {
                SluiceStatus.DeploymentStatus d = sluice.status().deployment("recognizer");
                String line = String.format(Locale.ROOT, "%d running, target %d, queue %d; %s", d.count(ReplicaState.RUNNING),
                        d.targetReplicas(), d.queueDepth(), d.autoscaler());
                if (!line.equals(last)) {
                    System.out.printf(Locale.ROOT, "   t=%4.1fs  %s (%s)%n", (System.nanoTime() - start) / 1e9, line,
                            d.autoscalerReason());
                    last = line;
                }
                try {
                    Thread.sleep(250);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }, "demo-sampler");
        t.setDaemon(true);
        return t;
    }

    private RuntimeDemo() {}
}
