package dev.sluice.grpc;

import dev.sluice.AutoscalerAction;
import dev.sluice.Deployment;
import dev.sluice.DeploymentHandle;
import dev.sluice.DeploymentState;
import dev.sluice.ModelFactory;
import dev.sluice.ReplicaState;
import dev.sluice.SluiceStatus;
import dev.sluice.batching.CostCurve;
import dev.sluice.batching.DeadlineExceededException;
import dev.sluice.batching.InvalidInputException;
import dev.sluice.batching.QueueDelayStatus;
import dev.sluice.batching.ShutdownException;
import dev.sluice.batching.Ticker;
import dev.sluice.grpc.proto.ModelInferRequest;
import dev.sluice.tensor.Tensor;
import dev.sluice.tensor.TensorSignature;
import io.grpc.ChannelCredentials;
import io.grpc.ConnectivityState;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;

/**
 * A deployment whose replicas are servers of the Open Inference Protocol over gRPC (other Sluice services
 * through {@link SluiceGrpcServer}, Triton, KServe), used wherever a local {@link DeploymentHandle} is:
 * {@code submit}, and a pipeline's {@code call} and {@code each}, so one pipeline mixes local and remote steps and
 * runs the independent remote steps of one request on different servers at once.
 *
 * <pre>{@code
 * try (RemoteDeployment rec = RemoteDeployment.builder("recognizer")
 *         .target("dns:///rec-workers.ns.svc.cluster.local:8081") // or .addresses("10.0.0.7:8081", ...)
 *         .timeout(Duration.ofSeconds(2))
 *         .build()) {
 *     Map<String, Tensor> y = rec.submit(Map.of("x", x)).join();
 * }
 * }</pre>
 *
 * <p><b>Routing.</b> One grpc-java channel resolves the target (its DNS resolver resolves a name again when a
 * connection closes or fails, so servers added behind a headless Service get traffic; servers should set a
 * {@linkplain SluiceGrpcServer.Builder#maxConnectionAge maximum connection age} so that happens regularly) and
 * keeps a connection to each server; each request goes to the less loaded of two servers drawn at random, by
 * this client's calls in flight to each and the load each reports with its answers ({@link LoadReport}). A
 * server whose health service says the model is not SERVING gets no calls ({@link Builder#healthCheck}), nor, for a
 * while, one that failed several calls in a row ({@link Builder#outlierEjection}).
 *
 * <p><b>Deadlines, cancellation, failover.</b> A request's timeout ({@link #submit(Map, Duration)}, or
 * {@link Builder#timeout} for {@link #submit(Map)}) is its gRPC deadline, so a Sluice server's batcher drops it
 * unrun once it passes; cancelling the returned future cancels the call, which withdraws the request from the
 * server's queue. A request refused (RESOURCE_EXHAUSTED), sent to a server that is unavailable, or whose server
 * dies mid-call is sent again to another server within its deadline, at most {@link Builder#maxAttempts} times
 * in all; a deployment marked {@linkplain Builder#idempotent not idempotent} retries only requests that surely
 * never reached a model (see {@link RemoteCall} for how that is known).
 *
 * <p><b>Failures</b>, as {@link DeploymentHandle} promises, each message naming the deployment and the server:
 * {@link InvalidInputException} (a null or empty input, a tensor the protocol cannot carry, or the server said
 * INVALID_ARGUMENT), {@link dev.sluice.batching.OverloadedException} (every attempt refused: RESOURCE_EXHAUSTED),
 * {@link dev.sluice.batching.DeadlineExceededException} (the deadline passed, here or on the server),
 * {@link dev.sluice.batching.ModelException} (the model failed on the server, INTERNAL; no server reachable or all
 * attempts lost their server, UNAVAILABLE; the server has no such model, NOT_FOUND; an unreadable answer),
 * {@link ShutdownException} (this handle was closed), or cancelled by the caller.
 *
 * <p><b>What the handle says of itself.</b> {@link #deployment()} is a {@link Deployment} carrying this one's
 * name, signature (when the builder gave one) and idempotence; its model factory refuses to make models (the
 * servers hold the model) and its batching, replica and resource settings are the defaults and mean nothing
 * here. {@link #serving()} is version 1 of that, always. {@link #status()} is
 * {@link DeploymentState#SCALED_TO_ZERO} while grpc-java's channel is idle (no calls for its idle timeout, 30 min
 * by default: it closed its connections and reconnects for the next request), and lists one replica per server
 * known now: its id {@code <name>@<address>}, state {@link ReplicaState#RUNNING} while connected,
 * {@link ReplicaState#STARTING} while connecting, {@link ReplicaState#PENDING} while unreachable, not
 * healthy or ejected (the reason in {@code pendingReason}), this client's calls in flight to it, and the calls it answered
 * as {@code batches} (mean batch size 1: the server's own batching is not visible from here); the queue depth is
 * the sum of the servers' recent reports; the replica bounds are the number of servers; no autoscaler runs here
 * (the servers' platform scales them). A pipeline's trace names the server that answered a remote step in its span's
 * {@code replicas}. {@link #update} is not supported: a remote model is changed on its servers.
 *
 * <p>Thread-safe; {@code submit} never blocks. Futures complete on grpc-java's executor threads: keep dependent
 * stages short or use the {@code *Async} variants. Close it to release its connections.
 */
public final class RemoteDeployment implements DeploymentHandle<Map<String, Tensor>, Map<String, Tensor>>,
        AutoCloseable {
    /** For {@link Builder#healthCheck}: the health service named as the model the servers are asked for. */
    private static final String HEALTH_OF_MODEL = "\0model";
    private final String name;
    private final String model;
    private final String version;
    private final String target;
    private final Duration timeout;
    private final int maxAttempts;
    private final Duration retryBackoff;
    private final boolean idempotent;
    private final TensorSignature signature;
    private final Deployment<Map<String, Tensor>, Map<String, Tensor>> deployment;
    private final ManagedChannel channel;
    private final LeastLoadedBalancer.ServerList servers;
    private final Ticker ticker;
    private final ScheduledExecutorService retries;
    private final Set<Runnable> waitingRetries = ConcurrentHashMap.newKeySet();
    private volatile boolean closed;

    private RemoteDeployment(Builder b) {
        this.name = b.name;
        this.model = b.model != null ? b.model : b.name;
        this.version = b.version;
        this.timeout = b.timeout;
        this.maxAttempts = b.maxAttempts;
        this.retryBackoff = b.retryBackoff;
        this.idempotent = b.idempotent;
        this.signature = b.signature;
        this.ticker = b.ticker;
        this.servers = new LeastLoadedBalancer.ServerList(new OutlierEjection(b.ejectAfterFailures, b.ejection, b.ticker));
        LeastLoadedBalancer.register();
        String channelTarget;
        ManagedChannelBuilder<?> cb;
        if (b.addresses != null) {
            StaticAddresses.register();
            channelTarget = StaticAddresses.SCHEME + ":///" + name;
            this.target = String.join(",", b.addresses);
            cb = Grpc.newChannelBuilder(channelTarget, b.credentials)
                    .setNameResolverArg(StaticAddresses.ADDRESSES, b.addresses);
        } else {
            this.target = b.target;
            cb = Grpc.newChannelBuilder(b.target, b.credentials);
        }
        b.channelSettings.accept(cb);
        Map<String, Object> serviceConfig = new LinkedHashMap<>();
        serviceConfig.put("loadBalancingConfig", List.of(Map.of(LeastLoadedBalancer.POLICY, Map.of())));
        if (b.healthService != null) {
            serviceConfig.put("healthCheckConfig", Map.of("serviceName",
                    b.healthService.equals(HEALTH_OF_MODEL) ? model : b.healthService));
        }
        this.channel = cb.maxInboundMessageSize(b.maxInboundMessageSize)
                .defaultLoadBalancingPolicy(LeastLoadedBalancer.POLICY)
                .defaultServiceConfig(serviceConfig)
                .disableServiceConfigLookUp() // the policy is this handle's, not a DNS TXT record's
                .setNameResolverArg(LeastLoadedBalancer.SERVERS, servers)
                .build();
        this.retries = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "sluice-remote-" + name + "-retries");
            t.setDaemon(true);
            return t;
        });
        ModelFactory<Map<String, Tensor>, Map<String, Tensor>> noModels = ctx -> {
            throw new UnsupportedOperationException("'" + name + "' is a remote deployment: its model runs on the "
                    + "servers of " + target + ", not here");
        };
        Deployment.Builder<Map<String, Tensor>, Map<String, Tensor>> d = Deployment.builder(name, noModels)
                .idempotent(idempotent);
        if (signature != null) {
            d.signature(signature);
        }
        this.deployment = d.build();
        channel.getState(true); // resolve and connect now, not at the first request
    }

    /**
     * A builder for a remote deployment named {@code name} (how traces and errors call it; by default also the
     * model it asks the servers for).
     */
    public static Builder builder(String name) {
        return new Builder(name);
    }

    @Override
    public String name() {
        return name;
    }

    /** The servers' address: the gRPC target, or the static addresses joined by commas. */
    public String target() {
        return target;
    }

    /** The model the servers are asked for, and its version ("" for the one each serves). */
    public String model() {
        return model + (version.isEmpty() ? "" : " v" + version);
    }

    @Override
    public CompletableFuture<Map<String, Tensor>> submit(Map<String, Tensor> input) {
        return submit(input, timeout);
    }

    /**
     * Sends one input to a server, with {@code timeout} as the call's deadline (retries included). Never blocks
     * and never throws for bad input: the future fails instead, as a local deployment's does (a timeout that is not
     * positive with {@link DeadlineExceededException}, and nothing is sent).
     *
     * @throws NullPointerException if {@code timeout} is null
     */
    @Override
    public CompletableFuture<Map<String, Tensor>> submit(Map<String, Tensor> input, Duration timeout) {
        Objects.requireNonNull(timeout, "timeout");
        if (timeout.isNegative() || timeout.isZero()) {
            return CompletableFuture.failedFuture(new DeadlineExceededException(name, timeout,
                    "before it was sent (timeout was not positive)"));
        }
        if (closed) {
            return CompletableFuture.failedFuture(new ShutdownException("'" + name + "' is closed"));
        }
        ModelInferRequest message;
        try {
            message = message(input);
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e instanceof InvalidInputException ? e
                    : new InvalidInputException("'" + name + "': " + e.getMessage(), e));
        }
        RemoteCall call = new RemoteCall(this, message, timeout);
        call.start();
        return call;
    }

    private ModelInferRequest message(Map<String, Tensor> input) {
        if (input == null) {
            throw new InvalidInputException("'" + name + "' takes a map from input name to Tensor, got null");
        }
        if (input.isEmpty()) {
            throw new InvalidInputException("'" + name + "' got a request without inputs");
        }
        if (signature != null) {
            signature.validate(input);
        }
        InferRequest.Builder r = InferRequest.builder(model).version(version);
        for (Map.Entry<String, Tensor> e : input.entrySet()) {
            Tensor t = e.getValue();
            if (e.getKey() == null || t == null) {
                throw new InvalidInputException("'" + name + "': input '" + e.getKey() + "' is null");
            }
            r.input(t.name().equals(e.getKey()) ? t : t.withName(e.getKey()));
        }
        return r.build().toMessage();
    }

    /**
     * Not supported: a remote deployment's model is changed on its servers.
     *
     * @throws UnsupportedOperationException always
     */
    @Override
    public CompletableFuture<Void> update(ModelFactory<Map<String, Tensor>, Map<String, Tensor>> factory) {
        throw notManagedHere();
    }

    /**
     * Not supported: a remote deployment's model and settings are changed on its servers.
     *
     * @throws UnsupportedOperationException always
     */
    @Override
    public CompletableFuture<Void> update(Deployment<Map<String, Tensor>, Map<String, Tensor>> deployment) {
        throw notManagedHere();
    }

    private UnsupportedOperationException notManagedHere() {
        return new UnsupportedOperationException("'" + name + "' is a remote deployment (" + target + "): update "
                + "its model on its servers, not through this handle");
    }

    /** See the class documentation: name, signature and idempotence are this deployment's; nothing else applies. */
    @Override
    public Deployment<Map<String, Tensor>, Map<String, Tensor>> deployment() {
        return deployment;
    }

    /** Version 1 of {@link #deployment()}, always: the servers' versions are theirs. */
    @Override
    public Serving<Map<String, Tensor>, Map<String, Tensor>> serving() {
        return new Serving<>(1, deployment);
    }

    /** The servers as replicas; see the class documentation for what each field means here. */
    @Override
    public SluiceStatus.DeploymentStatus status() {
        List<RemoteServer> list = servers.get();
        long now = System.nanoTime();
        List<SluiceStatus.ReplicaStatus> replicas = new ArrayList<>(list.size());
        int connected = 0;
        int connecting = 0;
        int queue = 0;
        long tick = ticker.read();
        for (RemoteServer s : list) {
            String ejected = s.ejection(tick);
            ReplicaState state = switch (s.state()) {
                case READY -> ejected == null ? ReplicaState.RUNNING : ReplicaState.PENDING;
                case TRANSIENT_FAILURE -> ReplicaState.PENDING;
                default -> ReplicaState.STARTING;
            };
            connected += state == ReplicaState.RUNNING ? 1 : 0;
            connecting += state == ReplicaState.STARTING ? 1 : 0;
            LoadReport r = s.report(now);
            queue += r == null ? 0 : r.queueDepth();
            String error = s.lastError() == null ? null : s.lastError().getCode() + " " + s.lastError().getDescription();
            long answered = s.answered();
            String pending = state != ReplicaState.PENDING ? null : "takes no calls: " + (ejected != null ? ejected : error);
            replicas.add(new SluiceStatus.ReplicaStatus(name + "@" + s.address, 1, state, s.address,
                    pending, s.inFlight(), answered,
                    answered > 0 ? 1.0 : 0.0, error));
        }
        boolean idle = list.isEmpty() && !closed && channel.getState(false) == ConnectivityState.IDLE;
        DeploymentState state = closed ? DeploymentState.CLOSED
                : connected > 0 ? DeploymentState.SERVING
                : idle ? DeploymentState.SCALED_TO_ZERO
                : list.isEmpty() || connecting > 0 ? DeploymentState.STARTING
                : DeploymentState.NOT_STARTING;
        String detail = closed ? "closed"
                : idle ? "remote: no connections to " + target + " after a while without calls; the next request "
                        + "connects again"
                : "remote: " + connected + " of " + list.size() + " server(s) of " + target + " connected, model '"
                        + model() + "'";
        int n = list.size();
        return new SluiceStatus.DeploymentStatus(name, 1, state, null, detail, n, n, n, queue, AutoscalerAction.NONE,
                "a remote deployment: its servers' platform scales them", replicas, null, new CostCurve(List.of(), 1),
                new QueueDelayStatus(false, -1, -1, 0));
    }

    /**
     * Waits until at least one server is connected.
     *
     * @throws TimeoutException if none is within {@code timeout} (the message says what each server's connection
     *     is doing)
     * @throws ShutdownException if the handle is closed meanwhile
     * @throws InterruptedException if the calling thread is interrupted while it waits
     */
    @Override
    public void awaitReady(Duration timeout) throws InterruptedException, TimeoutException {
        Objects.requireNonNull(timeout, "timeout");
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            if (closed) {
                throw new ShutdownException("'" + name + "' was closed before it was ready");
            }
            ConnectivityState s = channel.getState(true);
            if (s == ConnectivityState.READY) {
                return;
            }
            CountDownLatch changed = new CountDownLatch(1);
            channel.notifyWhenStateChanged(s, changed::countDown);
            long left = deadline - System.nanoTime();
            if ((left <= 0 || !changed.await(left, TimeUnit.NANOSECONDS))
                    && channel.getState(false) != ConnectivityState.READY) {
                throw new TimeoutException("no server of '" + name + "' (" + target + ") connected within "
                        + timeout + "; servers: " + servers.get());
            }
        }
    }

    /**
     * Stops taking requests (new ones fail with {@link ShutdownException}), lets the calls in flight end for up to
     * 5 s, then cancels the rest and releases the connections; a request that has not ended by then (its call
     * cancelled, or waiting to be retried) fails with {@link ShutdownException}.
     * Idempotent. An interrupt cuts the wait short and is kept.
     */
    @Override
    public void close() {
        closed = true;
        channel.shutdown();
        try {
            if (!channel.awaitTermination(5, TimeUnit.SECONDS)) {
                channel.shutdownNow();
            }
        } catch (InterruptedException e) {
            channel.shutdownNow();
            Thread.currentThread().interrupt();
        } finally {
            retries.shutdownNow();
            for (Runnable waiting : List.copyOf(waitingRetries)) {
                waiting.run(); // a retry that waited for its backoff: its request now fails as closed
            }
        }
    }

    @Override
    public String toString() {
        return "RemoteDeployment[" + name + ", model " + model() + ", " + target + "]";
    }

    // ---------------------------------------------------------------- for RemoteCall

    ManagedChannel channel() {
        return channel;
    }

    List<RemoteServer> servers() {
        return servers.get();
    }

    boolean idempotent() {
        return idempotent;
    }

    boolean isClosed() {
        return closed;
    }

    int maxAttempts() {
        return maxAttempts;
    }

    Duration retryBackoff() {
        return retryBackoff;
    }

    /**
     * Runs {@code retry} once, after {@code nanos}, or at once when the handle closes first (the retry then ends
     * its request as closed): no request is left waiting for a retry that never comes.
     */
    void schedule(Runnable retry, long nanos) {
        Runnable once = new Runnable() {
            @Override
            public void run() {
                if (waitingRetries.remove(this)) {
                    retry.run();
                }
            }
        };
        waitingRetries.add(once);
        try {
            retries.schedule(once, nanos, TimeUnit.NANOSECONDS);
        } catch (RejectedExecutionException e) { // closed
            once.run();
        }
    }

    /** Settings of a {@link RemoteDeployment}; each setter checks its value and names it when refused. */
    public static final class Builder {
        private final String name;
        private String model;
        private String version = "";
        private String target;
        private List<String> addresses;
        private Duration timeout = Duration.ofSeconds(30);
        private int maxAttempts = 3;
        private Duration retryBackoff = Duration.ofMillis(20);
        private boolean idempotent = true;
        private TensorSignature signature;
        private ChannelCredentials credentials = InsecureChannelCredentials.create();
        private int maxInboundMessageSize = OipGrpcClient.DEFAULT_MAX_INBOUND_MESSAGE_SIZE;
        private Consumer<ManagedChannelBuilder<?>> channelSettings = c -> {};
        private String healthService = HEALTH_OF_MODEL;
        private int ejectAfterFailures = 5;
        private Duration ejection = Duration.ofSeconds(10);
        private Ticker ticker = Ticker.system();

        private Builder(String name) {
            if (name == null || name.isBlank()) {
                throw new IllegalArgumentException("name must be a non-blank deployment name, was " + name);
            }
            this.name = name;
        }

        /** The model the servers are asked for (default: the deployment's name), in the version each serves. */
        public Builder model(String model) {
            return model(model, "");
        }

        /** The model the servers are asked for, and its version ("" for the one each serves). */
        public Builder model(String model, String version) {
            if (model == null || model.isEmpty()) {
                throw new IllegalArgumentException("model must be a non-empty name, was " + model);
            }
            this.model = model;
            this.version = Objects.requireNonNull(version, "version");
            return this;
        }

        /**
         * The servers as a gRPC target that grpc-java resolves, e.g. {@code dns:///rec-workers.ns.svc:8081} (every
         * address the name has, resolved again when a connection closes) or {@code 10.0.0.7:8081}. Replaces
         * {@link #addresses}.
         */
        public Builder target(String target) {
            if (target == null || target.isBlank()) {
                throw new IllegalArgumentException("target must be a gRPC target such as dns:///name:port, was "
                        + target);
            }
            this.target = target;
            this.addresses = null;
            return this;
        }

        /** The servers as a fixed list of {@code host:port} ({@code [v6]:port}). Replaces {@link #target}. */
        public Builder addresses(String... addresses) {
            return addresses(List.of(addresses));
        }

        /** The servers as a fixed list of {@code host:port} ({@code [v6]:port}). Replaces {@link #target}. */
        public Builder addresses(List<String> addresses) {
            Objects.requireNonNull(addresses, "addresses");
            if (addresses.isEmpty()) {
                throw new IllegalArgumentException("addresses must name at least one server");
            }
            for (String a : addresses) {
                StaticAddresses.socketAddress(Objects.requireNonNull(a, "an address")); // checks its form
            }
            this.addresses = List.copyOf(addresses);
            this.target = null;
            return this;
        }

        /** The deadline of {@link #submit(Map)}'s requests, retries included (default 30 s). */
        public Builder timeout(Duration timeout) {
            Objects.requireNonNull(timeout, "timeout");
            if (timeout.isNegative() || timeout.isZero()) {
                throw new IllegalArgumentException("timeout must be positive, was " + timeout);
            }
            this.timeout = timeout;
            return this;
        }

        /** How many calls one request may make in all, the first included (default 3; 1: no retries). */
        public Builder maxAttempts(int attempts) {
            if (attempts < 1 || attempts > 100) {
                throw new IllegalArgumentException("maxAttempts must be from 1 to 100, was " + attempts);
            }
            this.maxAttempts = attempts;
            return this;
        }

        /**
         * The first wait before a retry once a request has tried every connected server (default 20 ms); it
         * doubles with each attempt, up to 1 s, with jitter. A retry to a server not yet tried goes at once.
         */
        public Builder retryBackoff(Duration backoff) {
            Objects.requireNonNull(backoff, "retryBackoff");
            if (backoff.isNegative() || backoff.isZero()) {
                throw new IllegalArgumentException("retryBackoff must be positive, was " + backoff);
            }
            this.retryBackoff = backoff;
            return this;
        }

        /**
         * Whether a request may run twice (default true: inference is). When false, a request is retried only
         * when it surely never reached a model: it was never sent, or the server said it refused it.
         */
        public Builder idempotent(boolean idempotent) {
            this.idempotent = idempotent;
            return this;
        }

        /**
         * Outlier ejection (default 5 failures, 10 s): a server that fails {@code consecutiveFailures} calls in a
         * row (INTERNAL, UNKNOWN, DATA_LOSS, UNIMPLEMENTED: not bad requests, overload or deadlines) gets no calls
         * for {@code ejection}, longer each time it is ejected again (up to 10 times {@code ejection}); at most half
         * of the servers are ejected at once. {@code consecutiveFailures} 0 turns it off. See
         * {@link OutlierEjection}.
         */
        public Builder outlierEjection(int consecutiveFailures, Duration ejection) {
            Objects.requireNonNull(ejection, "ejection");
            if (consecutiveFailures < 0) {
                throw new IllegalArgumentException("consecutiveFailures must not be negative (0: no ejection), was "
                        + consecutiveFailures);
            }
            if (consecutiveFailures > 0 && (ejection.isNegative() || ejection.isZero()
                    || ejection.compareTo(Duration.ofDays(1)) > 0)) {
                throw new IllegalArgumentException("ejection must be positive and at most a day, was " + ejection);
            }
            this.ejectAfterFailures = consecutiveFailures;
            this.ejection = ejection;
            return this;
        }

        /** The clock of outlier ejection (tests move a manual one). */
        Builder ticker(Ticker ticker) {
            this.ticker = Objects.requireNonNull(ticker, "ticker");
            return this;
        }

        /** The model's inputs and outputs: requests are checked against them before they are sent. */
        public Builder signature(TensorSignature signature) {
            this.signature = Objects.requireNonNull(signature, "signature");
            return this;
        }

        /**
         * Which service of each server's {@code grpc.health.v1.Health} says whether it takes calls, through
         * grpc-java's client-side health checking: a server gets no calls while that service is not SERVING.
         * Default: the model's name, which a {@link SluiceGrpcServer} reports SERVING while the model is ready
         * and NOT_SERVING once the server shuts down. {@code ""} is the whole server; null turns health checking
         * off (a server without the health service is taken as healthy either way).
         */
        public Builder healthCheck(String service) {
            this.healthService = service;
            return this;
        }

        /** The channel's credentials (default: plaintext). */
        public Builder credentials(ChannelCredentials credentials) {
            this.credentials = Objects.requireNonNull(credentials, "credentials");
            return this;
        }

        /** The largest response accepted, in bytes (default 64 MiB). */
        public Builder maxInboundMessageSize(int bytes) {
            if (bytes < 1) {
                throw new IllegalArgumentException("maxInboundMessageSize must be at least 1 byte, was " + bytes);
            }
            this.maxInboundMessageSize = bytes;
            return this;
        }

        /**
         * Further channel settings (keepalive, interceptors, executor...), applied before the handle's own: its
         * load-balancing policy, the name resolver's arguments and the message size limit are set after.
         */
        public Builder channel(Consumer<ManagedChannelBuilder<?>> settings) {
            this.channelSettings = Objects.requireNonNull(settings, "channel");
            return this;
        }

        /**
         * Makes the handle and starts connecting to the servers (it does not wait: see {@link #awaitReady}).
         *
         * @throws IllegalStateException if neither a target nor addresses were given
         */
        public RemoteDeployment build() {
            if (target == null && addresses == null) {
                throw new IllegalStateException("remote deployment '" + name + "' needs a target or addresses");
            }
            return new RemoteDeployment(this);
        }
    }

}
