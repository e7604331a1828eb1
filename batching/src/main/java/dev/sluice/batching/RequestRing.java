package dev.sluice.batching;

import com.lmax.disruptor.BusySpinWaitStrategy;
import com.lmax.disruptor.EventPoller;
import com.lmax.disruptor.InsufficientCapacityException;
import com.lmax.disruptor.RingBuffer;
import java.util.function.Consumer;

/**
 * The hand-off of submitted requests to the former: a multi-producer Disruptor ring. Producers
 * {@linkplain #publish publish} from any thread and never block; the holder of the former role
 * {@linkplain #poll polls}, and each request is copied out of its slot before the slot's sequence is
 * released, so a slot is reused only once its request has been taken.
 */
final class RequestRing<I, O> {
    private final RingBuffer<Slot<I, O>> ring;
    private final EventPoller<Slot<I, O>> poller;
    private final EventPoller.Handler<Slot<I, O>> copyOut;

    /** A ring for {@code capacity} admitted requests, whose polls hand each request to {@code sink}. */
    RequestRing(int capacity, Consumer<PendingRequest<I, O>> sink) {
        // The former never waits on the ring's wait strategy (it polls and parks itself), so pick one whose
        // publish-side signal is free: the blocking strategies take a lock on every publish.
        this.ring = RingBuffer.createMultiProducer(Slot::new, sizeFor(capacity), new BusySpinWaitStrategy());
        this.poller = ring.newPoller();
        ring.addGatingSequences(poller.getSequence());
        this.copyOut = (slot, sequence, endOfBatch) -> {
            PendingRequest<I, O> request = slot.request;
            slot.request = null;
            if (request != null) {
                sink.accept(request);
            }
            return true;
        };
    }

    static int sizeFor(int capacity) {
        // Twice the capacity: cancelled requests free capacity at once but their slots only when the
        // former next polls, so a ring of exactly the capacity could refuse an admissible request.
        int size = Integer.highestOneBit(Math.max(1, capacity - 1)) << 1;
        return size >= (1 << 30) ? size : size << 1;
    }

    /** Producer (any thread): publishes {@code request}; false if no slot is free. Never blocks. */
    boolean publish(PendingRequest<I, O> request) {
        long sequence;
        try {
            sequence = ring.tryNext();
        } catch (InsufficientCapacityException e) {
            return false;
        }
        ring.get(sequence).request = request;
        ring.publish(sequence);
        return true;
    }

    /** Former role: hands every request published since the last poll to the sink, in ring order. */
    void poll() {
        try {
            poller.poll(copyOut);
        } catch (Exception e) {
            throw new IllegalStateException("polling the batcher's ring failed", e);
        }
    }

    static final class Slot<I, O> {
        PendingRequest<I, O> request;
    }
}
