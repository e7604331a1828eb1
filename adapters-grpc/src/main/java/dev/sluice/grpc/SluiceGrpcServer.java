package dev.sluice.grpc;

import dev.sluice.Sluice;
import io.grpc.InsecureServerCredentials;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Open Inference Protocol over gRPC ({@code inference.GRPCInferenceService}, KServe v2) for every tensor
 * deployment of a {@link Sluice} runtime, with the standard {@code grpc.health.v1.Health} service, on grpc-java's
 * Netty transport, without Spring:
 *
 * <pre>{@code
 * try (SluiceGrpcServer server = SluiceGrpcServer.builder(sluice)
 *         .address(new InetSocketAddress("127.0.0.1", 8081)).start()) {
 *     server.awaitTermination(); // or serve until the service shuts down, then close()
 * }
 * }</pre>
 *
 * <p>A deployment is a model of the protocol when it declares a {@code TensorSignature}, with the same names,
 * versions, metadata and readiness as over REST. Failures end a call with a status: INVALID_ARGUMENT (bad input,
 * a request message that is not valid protobuf among it, naming what was wrong), NOT_FOUND (no such model or
 * version), RESOURCE_EXHAUSTED (the deployment's queue is full: refused at once, so a client can go elsewhere;
 * also grpc-java's answer to a message over {@link Builder#maxInboundMessageSize}), DEADLINE_EXCEEDED (the call's
 * deadline, which is the request's deadline in the batcher, passed before a replica took it), UNAVAILABLE (the
 * server or the runtime is shutting down), INTERNAL (the model failed: the description has an error id, the log
 * has the failure; never a stack trace). A call the client cancels withdraws its request if it still waits.
 *
 * <p>Every {@code ModelInfer} answer carries the model's load in the trailer {@code sluice-load}, and a request
 * the server did not admit (queue full, or shutting down) is marked {@code sluice-refused}, so a client that
 * balances over many servers ({@link RemoteDeployment}) routes by load and knows what it may send elsewhere; see
 * {@link LoadReport} for the format. {@link Builder#maxConnectionAge} makes such clients look up a name's servers
 * again from time to time.
 *
 * <p>Closing turns the server unready ({@link #markNotServing}), keeps taking new calls for
 * {@link Builder#shutdownDelay} (none by default) while load balancers notice, then stops accepting calls, lets
 * the calls in flight finish (up to {@link Builder#shutdownGracePeriod}), then cancels what is left. It does not
 * close the runtime: close the server first, then the runtime. For a process that should end this way on SIGTERM,
 * {@link Builder#closeOnJvmShutdown} installs a shutdown hook that closes both, in that order:
 *
 * <pre>{@code
 * SluiceGrpcServer.builder(sluice).port(8081).shutdownDelay(Duration.ofSeconds(5)).closeOnJvmShutdown().start();
 * }</pre>
 *
 * <p>Thread-safe.
 */
public final class SluiceGrpcServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(SluiceGrpcServer.class);
    /** Default {@link Builder#maxInboundMessageSize}: 64 MiB. */
    public static final int DEFAULT_MAX_INBOUND_MESSAGE_SIZE = 64 * 1024 * 1024;
    /** How long the calls failed at the end of the grace period get to send their answers before they are cut. */
    private static final Duration LEFTOVER_WAIT = Duration.ofSeconds(2);

    private final Server server;
    private final InetSocketAddress address;
    private final HealthService health;
    private final ExecutorService executor;
    private final ScheduledExecutorService healthPoll;
    private final Duration grace;
    private final Duration delay;
    /** The shutdown hook of {@link Builder#closeOnJvmShutdown}, or null. */
    private final Thread hook;
    private final AtomicBoolean shuttingDown = new AtomicBoolean();

    private SluiceGrpcServer(Builder b) throws IOException {
        Models models = new Models(b.sluice::deployment, b.sluice::status);
        this.grace = b.shutdownGracePeriod;
        this.delay = b.shutdownDelay;
        this.executor = Executors.newCachedThreadPool(threads("sluice-grpc-"));
        this.health = new HealthService(models);
        InferenceService inference = new InferenceService(models, b.requestTimeout, executor);
        LoadReporter load = new LoadReporter(b.sluice::deployment);
        List<ServerInterceptor> interceptors = new ArrayList<>(b.interceptors);
        interceptors.add(0, this::refuseWhileShuttingDown);
        NettyServerBuilder nb = NettyServerBuilder.forAddress(b.address, InsecureServerCredentials.create())
                .executor(executor)
                .maxInboundMessageSize(b.maxInboundMessageSize);
        if (b.maxConnectionAge != null) {
            nb.maxConnectionAge(b.maxConnectionAge.toNanos(), TimeUnit.NANOSECONDS)
                    .maxConnectionAgeGrace(b.maxConnectionAgeGrace.toNanos(), TimeUnit.NANOSECONDS);
        }
        // The load report goes on the inference service only, next to it (so it sees what the service answered).
        services(ServerInterceptors.intercept(inference, load), health, interceptors).forEach(nb::addService);
        this.healthPoll = Executors.newSingleThreadScheduledExecutor(threads("sluice-grpc-health-"));
        try {
            this.server = nb.build().start();
        } catch (IOException | RuntimeException e) {
            executor.shutdownNow();
            healthPoll.shutdownNow();
            throw e;
        }
        this.address = (InetSocketAddress) server.getListenSockets().get(0);
        long poll = b.healthPollInterval.toNanos();
        healthPoll.scheduleWithFixedDelay(this::refreshHealth, poll, poll, TimeUnit.NANOSECONDS);
        if (b.closeOnJvmShutdown) {
            Sluice runtime = b.sluice;
            this.hook = new Thread(() -> closeInOrder(runtime), "sluice-grpc-shutdown-hook");
            Runtime.getRuntime().addShutdownHook(hook);
        } else {
            this.hook = null;
        }
        LOG.info("Open Inference Protocol over gRPC on {}", address);
    }

    /**
     * The two services as a transport serves them: each call passes {@code interceptors} (the first in the list
     * first), and a request message that is not valid protobuf ends with INVALID_ARGUMENT
     * ({@link MalformedMessages}). The tests serve the same definitions in-process.
     */
    static List<ServerServiceDefinition> services(ServerServiceDefinition inference, HealthService health,
            List<ServerInterceptor> interceptors) {
        List<ServerInterceptor> lastFirst = new ArrayList<>(interceptors);
        Collections.reverse(lastFirst); // ServerInterceptors runs the last one first
        return List.of(MalformedMessages.refused(ServerInterceptors.intercept(inference, lastFirst)),
                MalformedMessages.refused(ServerInterceptors.intercept(health, lastFirst)));
    }

    /** A builder for a server over {@code sluice}, which the caller keeps and closes. */
    public static Builder builder(Sluice sluice) {
        return new Builder(sluice);
    }

    /** The address the server listens on (with the port it was given when asked for port 0). */
    public InetSocketAddress address() {
        return address;
    }

    /** The port the server listens on. */
    public int port() {
        return address().getPort();
    }

    /**
     * Turns the server unready while it goes on serving: from now on its health service answers NOT_SERVING for
     * {@code ""}, for the inference service and for every model, and open health watches are told at once, so
     * load balancers, Kubernetes probes and health-checking clients ({@link RemoteDeployment}) stop sending it
     * calls; the calls that still arrive are served. The first step of {@link #close}. Irreversible; idempotent;
     * returns at once.
     */
    public void markNotServing() {
        health.notServing();
    }

    /**
     * Stops accepting calls (new calls fail with UNAVAILABLE, health watches end on NOT_SERVING); the calls in
     * flight go on. Returns at once; idempotent.
     */
    public void shutdown() {
        if (shuttingDown.compareAndSet(false, true)) {
            health.stop();
            server.shutdown();
            LOG.info("gRPC server on {} shutting down", address);
        }
    }

    /** Whether {@link #shutdown} (or {@link #close}) has been called. */
    public boolean isShutdown() {
        return shuttingDown.get();
    }

    /**
     * Waits until the server has stopped (after {@link #shutdown}, once the calls in flight have ended), at most
     * {@code timeout}; returns whether it has.
     *
     * @throws InterruptedException if the calling thread is interrupted while it waits
     */
    public boolean awaitTermination(Duration timeout) throws InterruptedException {
        boolean done = server.awaitTermination(timeout.toNanos(), TimeUnit.NANOSECONDS);
        if (done) {
            release();
        }
        return done;
    }

    /**
     * Waits until the server has stopped, however long that takes.
     *
     * @throws InterruptedException if the calling thread is interrupted while it waits
     */
    public void awaitTermination() throws InterruptedException {
        server.awaitTermination();
        release();
    }

    /**
     * Shuts down gracefully: turns unready ({@link #markNotServing}) and goes on taking new calls for the shutdown
     * delay, then stops accepting calls, waits up to the grace period for the calls in flight to end, then cancels
     * the rest (their requests are withdrawn if they still wait) and stops. Blocks until stopped. Idempotent (the
     * delay is skipped once the server is shut down). An interrupt cuts the delay and the wait short: the rest are
     * cancelled at once and the interrupt is kept. Removes the {@link Builder#closeOnJvmShutdown} hook, if any:
     * the runtime is then the caller's to close.
     */
    @Override
    public void close() {
        if (hook != null && Thread.currentThread() != hook) {
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException alreadyShuttingDown) {
                // the hook is running or about to: it closes the runtime after this server
            }
        }
        closeInOrder(null);
    }

    /**
     * The graceful shutdown; with {@code runtime} (the shutdown hook) it also closes the runtime, within the same
     * grace period: what the runtime still runs when the grace period ends fails with {@code ShutdownException}
     * first, so each such call ends with UNAVAILABLE saying why, and only what is left after that is cut.
     */
    private void closeInOrder(Sluice runtime) {
        markNotServing();
        boolean interrupted = false;
        if (!delay.isZero() && !isShutdown()) {
            LOG.info("gRPC server on {} is not serving; it takes new calls for {} more while clients notice",
                    address, delay);
            try {
                TimeUnit.NANOSECONDS.sleep(delay.toNanos());
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        shutdown();
        long deadline = System.nanoTime() + grace.toNanos();
        Thread runtimeClose = null;
        try {
            if (interrupted || !server.awaitTermination(grace.toNanos(), TimeUnit.NANOSECONDS)) {
                if (runtime != null && !interrupted) {
                    LOG.warn("gRPC calls still in flight after the grace period of {}: failing them", grace);
                    runtimeClose = closeAsync(runtime, Duration.ZERO);
                    server.awaitTermination(LEFTOVER_WAIT.toNanos(), TimeUnit.NANOSECONDS);
                }
                if (!server.isTerminated()) {
                    if (interrupted) {
                        LOG.warn("Interrupted while closing: cancelling the gRPC calls still in flight");
                    } else {
                        LOG.warn("gRPC calls still in flight after the grace period of {}: cancelling them", grace);
                    }
                    server.shutdownNow();
                    server.awaitTermination(10, TimeUnit.SECONDS);
                }
            }
        } catch (InterruptedException e) {
            server.shutdownNow();
            interrupted = true;
        } finally {
            release();
            if (runtime != null) {
                if (runtimeClose == null) {
                    runtimeClose = closeAsync(runtime, interrupted ? Duration.ZERO
                            : Duration.ofNanos(Math.max(0, deadline - System.nanoTime())));
                }
                interrupted |= !awaitRuntime(runtimeClose, interrupted ? 0 : deadline + LEFTOVER_WAIT.toNanos());
            }
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** Closes the runtime on a thread of its own: the process need not wait for a model that never returns. */
    private static Thread closeAsync(Sluice runtime, Duration grace) {
        Thread t = new Thread(() -> runtime.close(grace), "sluice-grpc-shutdown-runtime");
        t.setDaemon(true);
        t.start();
        return t;
    }

    /**
     * Waits for the runtime's close until {@code until} (System.nanoTime); returns false if interrupted. A close
     * still running then (a model still in the batch whose requests were failed) is left to the ending process.
     */
    private static boolean awaitRuntime(Thread close, long until) {
        try {
            close.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(until - System.nanoTime())));
        } catch (InterruptedException e) {
            return false;
        }
        if (close.isAlive()) {
            LOG.warn("The runtime was still closing {} after the grace period (a model still running the batch "
                    + "whose requests failed?); not waiting for it", LEFTOVER_WAIT);
        }
        return true;
    }

    /**
     * Ends a call with UNAVAILABLE once the server is shutting down. grpc-java refuses new connections then, but a
     * call that reaches a connection before the client has read the server's GOAWAY would otherwise be served.
     */
    private <Q, R> ServerCall.Listener<Q> refuseWhileShuttingDown(ServerCall<Q, R> call, Metadata headers,
            ServerCallHandler<Q, R> next) {
        if (shuttingDown.get()) {
            Metadata trailers = new Metadata();
            trailers.put(LoadReport.REFUSED, LoadReport.SHUTTING_DOWN);
            call.close(Status.UNAVAILABLE.withDescription("the server is shutting down"), trailers);
            return new ServerCall.Listener<>() {};
        }
        return next.startCall(call, headers);
    }

    private void release() {
        healthPoll.shutdownNow();
        executor.shutdown();
    }

    private void refreshHealth() {
        try {
            health.refresh();
        } catch (RuntimeException e) { // a failed pass must not end the polling
            LOG.warn("Health refresh failed", e);
        }
    }

    private static ThreadFactory threads(String prefix) {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, prefix + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }

    /** Settings of a {@link SluiceGrpcServer}; each setter checks its value and names it when refused. */
    public static final class Builder {
        private final Sluice sluice;
        private InetSocketAddress address = new InetSocketAddress(8081);
        private int maxInboundMessageSize = DEFAULT_MAX_INBOUND_MESSAGE_SIZE;
        private Duration requestTimeout;
        private Duration shutdownGracePeriod = Duration.ofSeconds(30);
        private Duration shutdownDelay = Duration.ZERO;
        private boolean closeOnJvmShutdown;
        private Duration healthPollInterval = Duration.ofSeconds(1);
        private Duration maxConnectionAge;
        private Duration maxConnectionAgeGrace;
        private final List<ServerInterceptor> interceptors = new ArrayList<>();

        private Builder(Sluice sluice) {
            this.sluice = Objects.requireNonNull(sluice, "sluice");
        }

        /** Where to listen; default: every interface, port 8081. Port 0 picks a free port (see {@link #port()}). */
        public Builder address(InetSocketAddress address) {
            this.address = Objects.requireNonNull(address, "address");
            return this;
        }

        /** Listens on every interface at {@code port} (0: a free port). */
        public Builder port(int port) {
            if (port < 0 || port > 65535) {
                throw new IllegalArgumentException("port must be from 0 to 65535, was " + port);
            }
            this.address = new InetSocketAddress(port);
            return this;
        }

        /**
         * The largest request message accepted, in bytes (default 64 MiB); a larger one ends with
         * RESOURCE_EXHAUSTED, whose description gives the limit and the message's size.
         */
        public Builder maxInboundMessageSize(int bytes) {
            if (bytes < 1) {
                throw new IllegalArgumentException("maxInboundMessageSize must be at least 1 byte, was " + bytes);
            }
            this.maxInboundMessageSize = bytes;
            return this;
        }

        /**
         * The longest any request may wait for a replica (DEADLINE_EXCEEDED after), beside the call's own
         * deadline and its {@code timeout_ms} parameter: the shortest applies. Default: none.
         */
        public Builder requestTimeout(Duration timeout) {
            this.requestTimeout = positive("requestTimeout", timeout);
            return this;
        }

        /** How long {@link #close()} lets the calls in flight finish before cancelling them (default 30 s). */
        public Builder shutdownGracePeriod(Duration grace) {
            Objects.requireNonNull(grace, "shutdownGracePeriod");
            if (grace.isNegative()) {
                throw new IllegalArgumentException("shutdownGracePeriod must not be negative, was " + grace);
            }
            this.shutdownGracePeriod = grace;
            return this;
        }

        /**
         * How long {@link #close()} goes on taking new calls after it turned the server unready (health NOT_SERVING),
         * before it stops accepting them (default: 0). Those who send calls learn of the change with a lag: on
         * Kubernetes, a terminating pod is removed from its Service's endpoints asynchronously (kube-proxy, ingress
         * controllers and DNS each catch up in their own time, usually within a few seconds), and clients watching
         * health get the change at once. A call sent in that lag to a server that already refuses would fail;
         * served, it succeeds. 5 s covers the usual lag. The grace period counts from the end of the delay.
         */
        public Builder shutdownDelay(Duration delay) {
            Objects.requireNonNull(delay, "shutdownDelay");
            if (delay.isNegative()) {
                throw new IllegalArgumentException("shutdownDelay must not be negative, was " + delay);
            }
            this.shutdownDelay = delay;
            return this;
        }

        /**
         * Installs a JVM shutdown hook (run on SIGTERM, SIGINT or {@code System.exit}) that closes the server as
         * {@link SluiceGrpcServer#close()} does (unready at once, new calls served for the shutdown delay, then
         * refused, the calls in flight finished within the grace period), and then closes the runtime given to
         * {@link SluiceGrpcServer#builder} with what is left of the grace period. What the runtime still runs when
         * the grace period ends fails with {@code ShutdownException} (the call ends with UNAVAILABLE), so the process
         * ends within the delay and the grace period and no call hangs. Closing the server yourself removes the hook.
         */
        public Builder closeOnJvmShutdown() {
            this.closeOnJvmShutdown = true;
            return this;
        }

        /** How often open health watches are told of changes in readiness (default 1 s). */
        public Builder healthPollInterval(Duration interval) {
            this.healthPollInterval = positive("healthPollInterval", interval);
            return this;
        }

        /**
         * Closes each client connection once it is {@code age} old (grpc-java varies it by up to 10% either way): the
         * server sends GOAWAY, new calls go to a new connection, and the calls in flight on the old one get up to
         * {@code grace} to finish before it is cut. Clients that balance over many servers (a
         * {@link RemoteDeployment} over {@code dns:///}) then resolve the name again, so servers added since
         * get traffic without a client restart. Default: connections live as long as both sides keep them.
         */
        public Builder maxConnectionAge(Duration age, Duration grace) {
            Duration a = positive("maxConnectionAge", age);
            Objects.requireNonNull(grace, "maxConnectionAgeGrace");
            if (grace.isNegative()) {
                throw new IllegalArgumentException("maxConnectionAgeGrace must not be negative, was " + grace);
            }
            this.maxConnectionAge = a;
            this.maxConnectionAgeGrace = grace;
            return this;
        }

        /** Runs {@code interceptor} on every call of both services (authentication, logging...), the first added first. */
        public Builder intercept(ServerInterceptor interceptor) {
            interceptors.add(Objects.requireNonNull(interceptor, "interceptor"));
            return this;
        }

        /**
         * Binds and starts the server.
         *
         * @throws IOException if it cannot bind its address
         */
        public SluiceGrpcServer start() throws IOException {
            return new SluiceGrpcServer(this);
        }

        private static Duration positive(String name, Duration d) {
            Objects.requireNonNull(d, name);
            if (d.isNegative() || d.isZero()) {
                throw new IllegalArgumentException(name + " must be positive, was " + d);
            }
            return d;
        }
    }
}
