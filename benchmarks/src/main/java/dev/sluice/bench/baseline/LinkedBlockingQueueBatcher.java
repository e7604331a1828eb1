package dev.sluice.bench.baseline;

import dev.sluice.batching.BatchFunction;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;

/**
 * Baseline (i): a bounded {@link LinkedBlockingQueue} and one worker that {@code take()}s a request, then
 * {@code drainTo}s up to {@code maxBatchSize - 1} more and runs them as one batch. Eager: it never waits
 * for company.
 *
 * <p>Close: a poison request is queued behind everything admitted, so the worker finishes what was
 * admitted and then ends. A producer that raced with close re-checks {@code closed} after its offer and
 * takes its own request back out of the queue if it can; if it cannot, the worker already took it and
 * runs it (the worker drains the queue empty after the poison before it ends).
 */
public final class LinkedBlockingQueueBatcher<I, O> implements SimpleBatcher<I, O> {
    @SuppressWarnings("rawtypes")
    private static final Request POISON = new Request<>(null);

    private final BatchFunction<I, O> function;
    private final int maxBatchSize;
    private final int capacity;
    private final LinkedBlockingQueue<Request<I, O>> queue;
    private final Thread worker;
    private volatile boolean closed;

    public LinkedBlockingQueueBatcher(BatchFunction<I, O> function, int maxBatchSize, int capacity) {
        Batches.requireSizes(maxBatchSize, capacity);
        this.function = Objects.requireNonNull(function, "function");
        this.maxBatchSize = maxBatchSize;
        this.capacity = capacity;
        this.queue = new LinkedBlockingQueue<>(capacity);
        this.worker = Batches.daemon(this::work, "lbq-batcher-worker");
        worker.start();
    }

    @Override
    public CompletableFuture<O> submit(I input) {
        Objects.requireNonNull(input, "input");
        if (closed) {
            return Batches.closed();
        }
        Request<I, O> r = new Request<>(input);
        if (!queue.offer(r)) {
            return Batches.full(capacity);
        }
        // Raced with close(): either our request is ahead of the poison (the worker runs it), or we see
        // `closed` here (the offer came after close's put) and take it back unless the worker already has it.
        if (closed && queue.remove(r)) {
            return Batches.closed();
        }
        return r;
    }

    @SuppressWarnings("unchecked")
    private void work() {
        List<Request<I, O>> batch = new ArrayList<>(maxBatchSize);
        boolean stopping = false;
        while (true) {
            if (!stopping) {
                Request<I, O> first;
                try {
                    first = queue.take();
                } catch (InterruptedException e) {
                    stopping = true; // only close() would interrupt us; finish what is queued
                    continue;
                }
                batch.add(first);
                queue.drainTo(batch, maxBatchSize - 1);
            } else if (queue.drainTo(batch, maxBatchSize) == 0) {
                return; // stopping and empty: producers racing with close take their own requests back
            }
            // Take the poison (one per close() call) out of the batch and finish the rest.
            if (batch.removeIf(r -> r == POISON)) {
                stopping = true;
            }
            if (!batch.isEmpty()) {
                Batches.run(function, batch);
                batch.clear();
            }
        }
    }

    @Override
    @SuppressWarnings("unchecked")
    public void close() {
        if (closed) {
            joinWorker();
            return;
        }
        closed = true;
        // Blocks only while the queue is full; the worker keeps draining, so it gets in.
        boolean interrupted = false;
        while (true) {
            try {
                queue.put(POISON);
                break;
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        joinWorker();
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    private void joinWorker() {
        Batches.joinUninterruptibly(worker);
    }
}
