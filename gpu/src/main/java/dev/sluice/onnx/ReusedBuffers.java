package dev.sluice.onnx;

import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A replica's native memory for its batches: the direct buffers ONNX Runtime reads a batch's inputs from and
 * writes its outputs into, one per input and output ("slot"), kept from batch to batch instead of allocated for
 * each. A direct buffer is native memory that only a garbage collection frees, and a collection comes when the
 * Java heap fills, not the native memory, so buffers allocated per batch pile up under load (issue 13: RSS from
 * 0.3 to 5 GB). Kept buffers grow to the largest batch seen, up to {@code retainBytes} in all; a batch that needs
 * more gets buffers of its own for that call, freed at once when it ends. So a replica's batch buffers never
 * hold more than {@code retainBytes} between calls, nor more than that plus the running batch's needs during one.
 *
 * <p>Use: {@link #acquire} at the start of a call (one call at a time holds the kept buffers; a concurrent call on
 * the same model gets a {@link Lease} of call-only buffers), {@link Lease#take} per slot, {@link Lease#close} at
 * the end. Nothing taken may be seen after {@code close}: the model copies every output out first
 * ({@code TensorBatch.splitCopies}), and closes the native tensors over the inputs. Thread-safe.
 */
final class ReusedBuffers {
    /** Kept buffers of one replica, in all, at most: 64 MiB (see the class comment). */
    static final long DEFAULT_RETAIN_BYTES = 64L << 20;

    private final long retainBytes;
    private final AtomicBoolean inUse = new AtomicBoolean();
    /** Guarded by {@link #inUse}: only the holder of the kept lease reads or changes these. */
    private final Map<String, ByteBuffer> kept = new HashMap<>();
    private long keptBytes;

    ReusedBuffers(long retainBytes) {
        if (retainBytes < 0) {
            throw new IllegalArgumentException("retainBytes must not be negative, was " + retainBytes);
        }
        this.retainBytes = retainBytes;
    }

    /** The buffers for one call: the kept ones if no other call holds them, otherwise buffers of its own. */
    Lease acquire() {
        return new Lease(inUse.compareAndSet(false, true));
    }

    /** Bytes kept between calls now (what this replica's batch buffers hold while idle). */
    long keptBytes() {
        if (!inUse.compareAndSet(false, true)) {
            return -1; // a call holds them: not read while it changes them
        }
        try {
            return keptBytes;
        } finally {
            inUse.set(false);
        }
    }

    /** One call's buffers. Not thread-safe: the calling thread only. */
    final class Lease implements AutoCloseable {
        private final boolean owner;
        /** Buffers of this call only, freed at its end; null until there is one (most calls have none). */
        private List<ByteBuffer> callOnly;
        /**
         * Slots taken in this call: a second take of one gets a buffer of its own, never the first one again. A
         * model has a handful of slots, so a list scan, made only by the holder of the kept buffers.
         */
        private final List<String> taken;
        private boolean closed;

        private Lease(boolean owner) {
            this.owner = owner;
            this.taken = owner ? new ArrayList<>(4) : null;
        }

        /**
         * A direct buffer in native order of {@code bytes}, positioned at 0 with that limit, of any contents,
         * for {@code slot} (an input or output name) during this call only.
         */
        ByteBuffer take(String slot, int bytes) {
            if (closed) {
                throw new IllegalStateException("the lease is closed");
            }
            if (owner && !taken.contains(slot)) {
                taken.add(slot);
                ByteBuffer b = kept.get(slot);
                if (b != null && b.capacity() >= bytes) {
                    return b.clear().limit(bytes);
                }
                long without = keptBytes - (b == null ? 0 : b.capacity());
                if (without + bytes <= retainBytes) {
                    ByteBuffer grown = ByteBuffer.allocateDirect(bytes).order(ByteOrder.nativeOrder());
                    kept.put(slot, grown);
                    keptBytes = without + bytes;
                    if (b != null) {
                        callOnly(b); // no one reads it now: freed with the call's own
                    }
                    return grown;
                }
            }
            ByteBuffer own = ByteBuffer.allocateDirect(bytes).order(ByteOrder.nativeOrder());
            callOnly(own);
            return own;
        }

        private void callOnly(ByteBuffer b) {
            if (callOnly == null) {
                callOnly = new ArrayList<>(2);
            }
            callOnly.add(b);
        }

        /** Ends the call: frees the buffers of this call only, and lets the next call have the kept ones. */
        @Override
        public void close() {
            if (closed) {
                return;
            }
            closed = true;
            if (callOnly != null) {
                callOnly.forEach(ReusedBuffers::free);
                callOnly = null;
            }
            if (owner) {
                inUse.set(false);
            }
        }
    }

    private static final Method INVOKE_CLEANER;
    private static final Object UNSAFE;

    static {
        Method m = null;
        Object u = null;
        // From JDK 24 on, calling it prints a warning that it will be removed (JEP 498) on the user's console:
        // there the call-only buffers are left to the garbage collector, as where it is missing.
        if (Runtime.version().feature() < 24) {
            try {
                Class<?> c = Class.forName("sun.misc.Unsafe");
                Field f = c.getDeclaredField("theUnsafe");
                f.setAccessible(true);
                u = f.get(null);
                m = c.getMethod("invokeCleaner", ByteBuffer.class);
            } catch (ReflectiveOperationException | RuntimeException e) {
                m = null; // left to the garbage collector
                u = null;
            }
        }
        INVOKE_CLEANER = m;
        UNSAFE = u;
    }

    /**
     * Frees a direct buffer's native memory now (through {@code sun.misc.Unsafe.invokeCleaner}, in the
     * {@code jdk.unsupported} module of every JDK since 9, used on JDKs before 24, which do not warn about it), or
     * leaves it to the garbage collector where that is not available. Only for a buffer that nothing reads any more.
     */
    static boolean free(ByteBuffer direct) {
        if (INVOKE_CLEANER == null || !direct.isDirect()) {
            return false;
        }
        try {
            INVOKE_CLEANER.invoke(UNSAFE, direct);
            return true;
        } catch (ReflectiveOperationException | RuntimeException e) {
            return false;
        }
    }

    /** Whether {@link #free} frees at once on this JVM. */
    static boolean freesAtOnce() {
        return INVOKE_CLEANER != null;
    }
}
