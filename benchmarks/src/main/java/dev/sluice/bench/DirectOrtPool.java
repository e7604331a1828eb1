package dev.sluice.bench;

import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.sluice.batching.ShutdownException;
import dev.sluice.tensor.Tensor;
import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The "no Sluice" side of {@link RecognizerBenchmark}: what an application without a serving library writes
 * around ONNX Runtime. A fixed number of threads, each with its own {@link OrtSession} (one intra-op and one
 * inter-op thread, as {@code OnnxModel} configures a replica with one CPU slot), take single images from one
 * shared unbounded FIFO queue and run them one at a time. Thread-safe.
 */
final class DirectOrtPool implements AutoCloseable {

    /**
     * One ONNX Runtime session used directly, one image per call. Not thread-safe: one thread owns it.
     * The input tensor wraps the image's direct buffer (no copy); the first output is copied once, into a heap
     * {@link FloatBuffer}, the least copying a Java caller gets the values with.
     */
    static final class Session implements AutoCloseable {
        private final OrtEnvironment env = OrtEnvironment.getEnvironment();
        private final OrtSession.SessionOptions options = new OrtSession.SessionOptions();
        private final OrtSession session;
        private final String input;

        Session(Path model, String input) throws OrtException {
            this.input = input;
            try {
                options.setIntraOpNumThreads(1);
                options.setInterOpNumThreads(1);
                this.session = env.createSession(model.toString(), options);
            } catch (OrtException | RuntimeException e) {
                options.close();
                throw e;
            }
        }

        /** Runs one image and returns the first output's values. */
        FloatBuffer run(Tensor image) throws OrtException {
            try (OnnxTensor in = OnnxTensor.createTensor(env, image.data(), image.shape(), OnnxJavaType.FLOAT);
                    OrtSession.Result result = session.run(Map.of(input, in))) {
                return ((OnnxTensor) result.get(0)).getFloatBuffer();
            }
        }

        @Override
        public void close() throws OrtException {
            try {
                session.close();
            } finally {
                options.close();
            }
        }
    }

    private record Job(Tensor image, CompletableFuture<FloatBuffer> result) {}

    private static final Job STOP = new Job(null, null);

    private final BlockingQueue<Job> queue = new LinkedBlockingQueue<>();
    private final List<Thread> threads = new ArrayList<>();
    private volatile boolean closed;

    /**
     * Starts {@code threads} threads and waits until each has opened its session.
     *
     * @throws OrtException if a session cannot be opened (the pool is closed then)
     */
    DirectOrtPool(Path model, String input, int threads) throws OrtException, InterruptedException {
        CountDownLatch opened = new CountDownLatch(threads);
        AtomicReference<OrtException> failure = new AtomicReference<>();
        for (int i = 0; i < threads; i++) {
            Thread t = new Thread(() -> {
                Session session;
                try {
                    session = new Session(model, input);
                } catch (OrtException e) {
                    failure.compareAndSet(null, e);
                    return;
                } finally {
                    opened.countDown();
                }
                try (session) {
                    serve(session);
                } catch (OrtException e) {
                    throw new IllegalStateException("closing a session failed", e);
                }
            }, "direct-ort-" + i);
            this.threads.add(t);
            t.start();
        }
        opened.await();
        if (failure.get() != null) {
            close();
            throw failure.get();
        }
    }

    private void serve(Session session) {
        while (true) {
            Job job;
            try {
                job = queue.take();
            } catch (InterruptedException e) {
                return;
            }
            if (job == STOP) {
                return;
            }
            try {
                job.result().complete(session.run(job.image()));
            } catch (OrtException | RuntimeException e) {
                job.result().completeExceptionally(e);
            }
        }
    }

    /** Queues one image; never blocks. After {@link #close} the future fails with {@link ShutdownException}. */
    CompletableFuture<FloatBuffer> submit(Tensor image) {
        CompletableFuture<FloatBuffer> f = new CompletableFuture<>();
        if (closed) {
            f.completeExceptionally(new ShutdownException("the direct ONNX Runtime pool is closed"));
            return f;
        }
        queue.add(new Job(image, f));
        return f;
    }

    /** Lets each thread finish the image it runs, fails what is still queued, and closes the sessions. */
    @Override
    public void close() throws InterruptedException {
        closed = true;
        failQueued();
        for (int i = 0; i < threads.size(); i++) {
            queue.add(STOP);
        }
        for (Thread t : threads) {
            t.join();
        }
        failQueued(); // a submit that raced with close may have queued behind the stops
    }

    private void failQueued() {
        List<Job> left = new ArrayList<>();
        queue.drainTo(left);
        for (Job j : left) {
            if (j != STOP) {
                j.result().completeExceptionally(new ShutdownException("the direct ONNX Runtime pool closed"));
            }
        }
    }
}
