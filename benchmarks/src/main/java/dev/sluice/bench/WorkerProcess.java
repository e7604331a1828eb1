package dev.sluice.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A {@link ClusterWorker} in a JVM of its own, started with this JVM's {@code java} and class path, and stopped by
 * its pid: {@link #kill()} is {@code kill -9} (SIGKILL), {@link #terminate()} is SIGTERM, {@link #close()} kills
 * it if it still runs. The worker also stops when this JVM dies, however it dies: its standard input is a pipe from
 * here ({@code --exit-on-stdin-eof}). Its output is read on a thread of its own: the serving line gives
 * {@link #awaitAddress}, the exit line {@link #awaitExit}, and the last lines go into failure messages.
 *
 * <p>Thread-safe.
 */
final class WorkerProcess implements AutoCloseable {
    private static final int TAIL_LINES = 40;

    private final String name;
    private final Process process;
    private final CompletableFuture<String> address = new CompletableFuture<>();
    private final CompletableFuture<ClusterWorker.ExitCounts> exit = new CompletableFuture<>();
    private final Deque<String> tail = new ArrayDeque<>();

    private WorkerProcess(String name, Process process) {
        this.name = name;
        this.process = process;
    }

    /**
     * Starts {@code java <jvmOptions> -cp <this class path> dev.sluice.bench.ClusterWorker <workerArgs>
     * --exit-on-stdin-eof}; does not wait for it to serve ({@link #awaitAddress}).
     *
     * @param name how messages call this worker
     * @throws IOException if the process cannot be started
     */
    static WorkerProcess start(String name, List<String> jvmOptions, List<String> workerArgs) throws IOException {
        return start(name, jvmOptions, workerArgs, null);
    }

    /**
     * As {@link #start(String, List, List)}, and copies everything the worker prints to {@code log} (replaced if
     * it exists; its folder is made) unless that is null.
     */
    static WorkerProcess start(String name, List<String> jvmOptions, List<String> workerArgs, Path log)
            throws IOException {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(jvmOptions);
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        command.add(ClusterWorker.class.getName());
        command.addAll(workerArgs);
        command.add("--exit-on-stdin-eof");
        Path folder = log == null ? null : log.toAbsolutePath().getParent();
        if (folder != null) {
            Files.createDirectories(folder);
        }
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        WorkerProcess w = new WorkerProcess(name, p);
        Thread reader = new Thread(() -> w.read(log), "worker-output-" + name);
        reader.setDaemon(true);
        reader.start();
        return w;
    }

    /** Reads its output to the end (so that it never blocks on a full pipe), copying it to {@code log} if any. */
    private void read(Path log) {
        Writer opened = null;
        if (log != null) {
            try {
                opened = Files.newBufferedWriter(log, StandardCharsets.UTF_8);
            } catch (IOException e) {
                System.err.println("worker " + name + ": cannot write its output to " + log + ": " + e);
            }
        }
        try (Writer copy = opened; BufferedReader in = new BufferedReader(new InputStreamReader(
                process.getInputStream(), StandardCharsets.UTF_8))) {
            for (String line; (line = in.readLine()) != null; ) {
                if (copy != null) {
                    copy.write(line);
                    copy.write('\n');
                    copy.flush();
                }
                synchronized (tail) {
                    tail.addLast(line);
                    if (tail.size() > TAIL_LINES) {
                        tail.removeFirst();
                    }
                }
                String a = ClusterWorker.servingAddress(line);
                if (a != null) {
                    address.complete(a);
                }
                ClusterWorker.ExitCounts c = ClusterWorker.ExitCounts.parse(line);
                if (c != null) {
                    exit.complete(c);
                }
            }
        } catch (IOException e) {
            // the process is gone: said below
        }
        IllegalStateException ended = new IllegalStateException("worker " + name + " (pid " + pid()
                + ") ended its output without that line; its last lines:\n" + tail());
        address.completeExceptionally(ended);
        exit.completeExceptionally(ended);
    }

    /** Its name, as given to {@link #start}. */
    String name() {
        return name;
    }

    long pid() {
        return process.pid();
    }

    boolean isAlive() {
        return process.isAlive();
    }

    /**
     * Waits until it serves and returns its {@code host:port}.
     *
     * @throws IllegalStateException if it did not serve within {@code timeout}, or ended first (with its last lines)
     */
    String awaitAddress(Duration timeout) throws InterruptedException {
        return await(address, timeout, "serve");
    }

    /** Its {@code host:port}, once it serves; null before. */
    String address() {
        return address.isDone() && !address.isCompletedExceptionally() ? address.join() : null;
    }

    /** SIGTERM: it stops gracefully and prints its counts ({@link #awaitExit}). */
    void terminate() {
        // Through the handle: Process.destroy() would also close the pipes, and the counts printed at exit be lost.
        process.toHandle().destroy();
    }

    /** SIGKILL ({@code kill -9}): it ends at once. */
    void kill() {
        process.toHandle().destroyForcibly();
    }

    /**
     * Waits until it has printed its counts and ended (after {@link #terminate()}), and returns the counts.
     *
     * @throws IllegalStateException if it did not within {@code timeout}, or ended without printing them
     */
    ClusterWorker.ExitCounts awaitExit(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        ClusterWorker.ExitCounts counts = await(exit, timeout, "print its counts");
        if (!process.waitFor(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS)) {
            throw new IllegalStateException("worker " + name + " (pid " + pid() + ") printed its counts but did not "
                    + "end within " + timeout);
        }
        return counts;
    }

    /** Waits up to {@code timeout} for the process to end; returns whether it has. */
    boolean awaitEnd(Duration timeout) throws InterruptedException {
        return process.waitFor(timeout.toNanos(), TimeUnit.NANOSECONDS);
    }

    private <T> T await(CompletableFuture<T> f, Duration timeout, String what) throws InterruptedException {
        try {
            return f.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            throw new IllegalStateException("worker " + name + " (pid " + pid() + ") did not " + what + " within "
                    + timeout + "; its last lines:\n" + tail(), e);
        } catch (ExecutionException e) {
            throw (RuntimeException) e.getCause();
        }
    }

    /** Its last lines of output. */
    String tail() {
        synchronized (tail) {
            return String.join("\n", tail);
        }
    }

    /** Kills it if it still runs, and waits (up to 10 s) for it to end. */
    @Override
    public void close() throws InterruptedException {
        if (process.isAlive()) {
            process.destroyForcibly();
        }
        process.waitFor(10, TimeUnit.SECONDS);
    }

    @Override
    public String toString() {
        return "worker " + name + " (pid " + pid() + ", " + (address() == null ? "not serving yet" : address()) + ")";
    }
}
