package dev.sluice.bench.baseline;

import dev.sluice.batching.BatchFunction;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.locks.LockSupport;
import org.jctools.queues.MessagePassingQueue;
import org.jctools.queues.MpscArrayQueue;

/**
 * Baseline (ii): a JCTools {@link MpscArrayQueue} and one worker that drains up to {@code maxBatchSize}
 * requests at a time and runs them as one batch. Eager: it never waits for company.
 *
 * <p>Wakeups: the worker parks when the queue is empty, and a producer unparks it only when it is parked.
 * Both sides use the Dekker pattern: the worker stores {@code parked = true}, fences, then looks at the
 * queue; a producer stores its element (offer), fences, then reads {@code parked}. At least one of them
 * sees the other's store, so a request is never left behind a parked worker.
 *
 * <p>Close: the worker runs everything queued, then marks itself {@code terminated}, fences and sweeps the
 * queue once more. A producer that raced with close stores, fences and reads {@code terminated}; if set,
 * it sweeps too. Sweeps (single consumer at a time, guarded by a CAS) fail what they find, so no request
 * is stranded. The capacity is rounded up to a power of two by JCTools.
 */
public final class MpscArrayQueueBatcher<I, O> implements SimpleBatcher<I, O> {
    private static final VarHandle SWEEPING;

    static {
        try {
            SWEEPING = MethodHandles.lookup().findVarHandle(MpscArrayQueueBatcher.class, "sweeping", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final BatchFunction<I, O> function;
    private final int maxBatchSize;
    private final int capacity;
    private final MpscArrayQueue<Request<I, O>> queue;
    private final Thread worker;
    private volatile boolean parked;
    private volatile boolean closed;
    private volatile boolean terminated;
    @SuppressWarnings("unused") // through SWEEPING
    private volatile int sweeping;

    public MpscArrayQueueBatcher(BatchFunction<I, O> function, int maxBatchSize, int capacity) {
        Batches.requireSizes(maxBatchSize, capacity);
        this.function = Objects.requireNonNull(function, "function");
        this.maxBatchSize = maxBatchSize;
        this.capacity = capacity;
        this.queue = new MpscArrayQueue<>(capacity);
        this.worker = Batches.daemon(this::work, "mpsc-batcher-worker");
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
        // The element store above is a release store: without this fence the read of `parked` could be
        // satisfied before it is visible, and a worker that just found the queue empty would sleep on it.
        VarHandle.fullFence();
        if (parked) {
            LockSupport.unpark(worker);
        }
        if (terminated) {
            sweep();
        }
        return r;
    }

    private void work() {
        List<Request<I, O>> batch = new ArrayList<>(maxBatchSize);
        MessagePassingQueue.Consumer<Request<I, O>> into = batch::add;
        while (true) {
            if (queue.drain(into, maxBatchSize) > 0) {
                Batches.run(function, batch);
                batch.clear();
                continue;
            }
            if (closed && queue.isEmpty()) {
                break;
            }
            parked = true;
            VarHandle.fullFence();
            // isEmpty() compares indices, so it also sees an element that a producer has claimed but not
            // yet stored: then we spin round once more instead of parking.
            if (queue.isEmpty() && !closed) {
                LockSupport.park(this);
            }
            parked = false;
        }
        terminated = true;
        VarHandle.fullFence();
        sweep();
    }

    /** Fails whatever is still queued after the worker ended; one sweeper at a time (single consumer). */
    private void sweep() {
        while (!queue.isEmpty()) {
            if (SWEEPING.compareAndSet(this, 0, 1)) {
                try {
                    Request<I, O> r;
                    while ((r = queue.relaxedPoll()) != null) {
                        r.completeExceptionally(new RejectedExecutionException("batcher is closed"));
                    }
                } finally {
                    SWEEPING.setVolatile(this, 0);
                }
            }
            Thread.onSpinWait();
        }
    }

    @Override
    public void close() {
        closed = true;
        LockSupport.unpark(worker);
        Batches.joinUninterruptibly(worker);
    }
}
