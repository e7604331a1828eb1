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
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * The "no Sluice" side of {@link RecognizerBenchmark}: what an application without a serving library writes
 * around ONNX Runtime. A fixed number of threads, each with its own {@link OrtSession} (one intra-op and one
 * inter-op thread, as {@code OnnxModel} configures a replica whose calls hold one CPU), take single images
 * from one shared unbounded FIFO queue and run them one at a time ({@link ThreadConfinedPool}). Thread-safe.
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
            try (OnnxTensor in = OnnxTensor.createTensor(env, SequentialOcr.direct(image.data()), image.shape(),
                    OnnxJavaType.FLOAT);
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

    private final ThreadConfinedPool<Session, Tensor, FloatBuffer> pool;

    /**
     * Starts {@code threads} threads and waits until each has opened its session.
     *
     * @throws OrtException if a session cannot be opened (the pool is closed then)
     */
    DirectOrtPool(Path model, String input, int threads) throws OrtException, InterruptedException {
        try {
            pool = new ThreadConfinedPool<>("direct-ort", threads, () -> new Session(model, input), Session::run);
        } catch (OrtException | InterruptedException | RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** Queues one image; never blocks. After {@link #close} the future fails with {@link ShutdownException}. */
    CompletableFuture<FloatBuffer> submit(Tensor image) {
        return pool.submit(image);
    }

    /** Lets each thread finish the image it runs, fails what is still queued, and closes the sessions. */
    @Override
    public void close() throws InterruptedException {
        pool.close();
    }
}
