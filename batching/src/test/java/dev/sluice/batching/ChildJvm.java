package dev.sluice.batching;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

/**
 * A test's child JVM: a {@code main} class of the test class path run in a process of its own, its standard output
 * and error read as lines, so a test can wait for what the child says (a port it bound, a batch its model began) and
 * send it signals. {@link #close} kills it ({@code kill -9}) if it is still running: call it in a {@code finally} or
 * {@code @AfterEach}. Thread-safe.
 */
public final class ChildJvm implements AutoCloseable {
    private static final Pattern STACK_FRAME = Pattern.compile("^\\s+at [\\w$.]+\\(.*\\)$");

    private final Process process;
    private final List<String> lines = new ArrayList<>();
    private final Thread reader;

    private ChildJvm(Process process) {
        this.process = process;
        this.reader = new Thread(this::read, "child-jvm-" + process.pid());
        reader.setDaemon(true);
        reader.start();
    }

    /**
     * Starts {@code main} with this JVM's class path, {@code jvmOptions} and {@code args}.
     *
     * @throws IOException if the process cannot start
     */
    public static ChildJvm start(Class<?> main, List<String> jvmOptions, String... args) throws IOException {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(jvmOptions);
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        command.add(main.getName());
        command.addAll(List.of(args));
        return new ChildJvm(new ProcessBuilder(command).redirectErrorStream(true).start());
    }

    private void read() {
        try (BufferedReader in = new BufferedReader(
                new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
            for (String line = in.readLine(); line != null; line = in.readLine()) {
                synchronized (lines) {
                    lines.add(line);
                    lines.notifyAll();
                }
            }
        } catch (IOException e) {
            // the process was killed: what it said so far stays
        } finally {
            synchronized (lines) {
                lines.add(null); // the end of the output
                lines.notifyAll();
            }
        }
    }

    /**
     * Waits for the first line, from the {@code from}-th on, that starts with {@code prefix}; returns its index.
     *
     * @throws AssertionError with the output so far, if no such line comes within {@code timeout} or the output
     *     ends first
     */
    public int awaitLine(String prefix, int from, Duration timeout) throws InterruptedException {
        long end = System.nanoTime() + timeout.toNanos();
        synchronized (lines) {
            for (int i = from; ; ) {
                for (; i < lines.size(); i++) {
                    String line = lines.get(i);
                    if (line == null) {
                        throw new AssertionError("the child ended without a line starting with '" + prefix
                                + "'; it said:\n" + output());
                    }
                    if (line.startsWith(prefix)) {
                        return i;
                    }
                }
                long left = end - System.nanoTime();
                if (left <= 0) {
                    throw new AssertionError("no line starting with '" + prefix + "' within " + timeout
                            + "; the child said:\n" + output());
                }
                TimeUnit.NANOSECONDS.timedWait(lines, left);
            }
        }
    }

    /** What follows {@code prefix} on the first line that starts with it; see {@link #awaitLine}. */
    public String awaitValue(String prefix, Duration timeout) throws InterruptedException {
        int i = awaitLine(prefix, 0, timeout);
        synchronized (lines) {
            return lines.get(i).substring(prefix.length()).trim();
        }
    }

    /**
     * Sends SIGTERM. Through the process's handle: {@link Process#destroy} sends it too, but closes the pipes, and
     * what the child says while it shuts down would be lost.
     */
    public void terminate() {
        process.toHandle().destroy();
    }

    /** Waits for the process to end and its output to be read; returns whether it ended within {@code timeout}. */
    public boolean awaitExit(Duration timeout) throws InterruptedException {
        if (!process.waitFor(timeout.toNanos(), TimeUnit.NANOSECONDS)) {
            return false;
        }
        reader.join(TimeUnit.SECONDS.toMillis(10));
        return true;
    }

    /** The exit code; the process must have ended. */
    public int exitCode() {
        return process.exitValue();
    }

    public long pid() {
        return process.pid();
    }

    /** Everything the child said so far, one line each. */
    public String output() {
        synchronized (lines) {
            StringBuilder b = new StringBuilder();
            for (String line : lines) {
                if (line != null) {
                    b.append(line).append('\n');
                }
            }
            return b.toString();
        }
    }

    /** The lines of the output that are frames of a stack trace, or that say an exception went uncaught. */
    public List<String> stackTraceLines() {
        List<String> found = new ArrayList<>();
        synchronized (lines) {
            for (String line : lines) {
                if (line != null && (STACK_FRAME.matcher(line).matches() || line.startsWith("Exception in thread"))) {
                    found.add(line);
                }
            }
        }
        return found;
    }

    /** Kills the process ({@code kill -9}) if it still runs, and waits for it. */
    @Override
    public void close() throws InterruptedException {
        if (process.isAlive()) {
            process.destroyForcibly();
            process.waitFor(30, TimeUnit.SECONDS);
        }
    }
}
