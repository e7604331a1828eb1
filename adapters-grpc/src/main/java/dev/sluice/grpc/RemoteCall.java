package dev.sluice.grpc;

import dev.sluice.batching.DeadlineExceededException;
import dev.sluice.batching.Dispatch;
import dev.sluice.batching.InvalidInputException;
import dev.sluice.batching.ModelException;
import dev.sluice.batching.OverloadedException;
import dev.sluice.batching.ShutdownException;
import dev.sluice.batching.internal.DispatchSource;
import dev.sluice.grpc.proto.GRPCInferenceServiceGrpc;
import dev.sluice.grpc.proto.ModelInferRequest;
import dev.sluice.grpc.proto.ModelInferResponse;
import dev.sluice.tensor.Tensor;
import io.grpc.CallOptions;
import io.grpc.ClientCall;
import io.grpc.ConnectivityState;
import io.grpc.Metadata;
import io.grpc.Status;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * One request of a {@link RemoteDeployment}, and the future its caller holds: it sends the request to a server
 * (one gRPC call per attempt, each with what is left of the request's deadline), retries a refusal or a lost
 * server on another one, and completes once, with the outputs or with the typed failure of
 * {@link dev.sluice.DeploymentHandle}'s contract. Cancelling it cancels the call in flight (a Sluice server then
 * withdraws the request if it still waits) and starts no other.
 *
 * <p>When a failed attempt is retried: its status is RESOURCE_EXHAUSTED or UNAVAILABLE, or CANCELLED when this
 * side did not cancel (a server that dies or is stopped mid-call cancels its streams); attempts are left
 * ({@link RemoteDeployment.Builder#maxAttempts}); the deadline has not passed; and either the deployment is
 * idempotent, or the request surely never reached a model: no stream of the attempt was ever made on a
 * connection (grpc-java creates the tracer of a stream as it makes it, so an attempt without one sent nothing),
 * or the server said it refused it ({@link LoadReport#REFUSED_TRAILER}). grpc-java's own transparent retry
 * covers a stream the server never processed (refused at the HTTP/2 level, or after its GOAWAY). A retry goes
 * to a server the request has not tried while one is connected, at once; once it has tried them all, after a
 * backoff that doubles from {@link RemoteDeployment.Builder#retryBackoff} (with jitter, within the deadline).
 *
 * <p>Thread-safe: attempts run one at a time; their callbacks run on grpc-java's executor.
 */
final class RemoteCall extends CompletableFuture<Map<String, Tensor>> implements DispatchSource {
    /** The attempt a call belongs to, for the balancer and the stream tracers. */
    static final CallOptions.Key<Attempt> KEY = CallOptions.Key.create("sluice-remote-attempt");
    private static final long MAX_BACKOFF_NANOS = TimeUnit.SECONDS.toNanos(1);

    private final RemoteDeployment owner;
    private final ModelInferRequest message;
    private final long deadline;
    private final Duration timeout;
    /** Servers any attempt made a stream to. */
    private final Set<RemoteServer> tried = ConcurrentHashMap.newKeySet();
    private int attempts; // guarded by this
    private ClientCall<ModelInferRequest, ModelInferResponse> current; // guarded by this
    /** The server that answered, for traces; written before the future completes with the outputs. */
    private volatile Dispatch dispatch;

    RemoteCall(RemoteDeployment owner, ModelInferRequest message, Duration timeout) {
        this.owner = owner;
        this.message = message;
        this.timeout = timeout;
        this.deadline = System.nanoTime() + timeout.toNanos();
    }

    /**
     * What the server that answered did with the request, as a pipeline's trace shows it: its address as the worker
     * ({@code replicas}), and the queue wait, batch size, budget wait and CPUs it reported ({@link DispatchReport});
     * those unknown (-1, 0) when the server did not say. Null unless the request completed with outputs.
     */
    @Override
    public Dispatch dispatch() {
        return dispatch;
    }

    /** Sends the first attempt. */
    void start() {
        attempt();
    }

    @Override
    public boolean cancel(boolean mayInterruptIfRunning) {
        boolean cancelled = super.cancel(mayInterruptIfRunning);
        if (cancelled) {
            ClientCall<?, ?> c;
            synchronized (this) {
                c = current;
            }
            if (c != null) {
                c.cancel("the caller cancelled the request", null);
            }
        }
        return cancelled;
    }

    private void attempt() {
        Attempt attempt;
        synchronized (this) {
            if (isDone()) {
                return;
            }
            attempts++;
            attempt = new Attempt(attempts);
        }
        if (owner.isClosed()) {
            completeExceptionally(new ShutdownException("'" + owner.name() + "' was closed before attempt "
                    + attempt.number + " of the request could be sent"));
            return;
        }
        long left = deadline - System.nanoTime();
        if (left <= 0) {
            completeExceptionally(new DeadlineExceededException(owner.name(), timeout, "before attempt " + attempt.number
                    + " could be sent to " + owner.target()));
            return;
        }
        ClientCall<ModelInferRequest, ModelInferResponse> call = owner.channel().newCall(
                GRPCInferenceServiceGrpc.getModelInferMethod(),
                CallOptions.DEFAULT.withDeadlineAfter(left, TimeUnit.NANOSECONDS).withOption(KEY, attempt));
        call.start(new Listener(attempt), new Metadata());
        call.sendMessage(message);
        call.halfClose();
        call.request(1);
        boolean done;
        synchronized (this) {
            current = call;
            done = isDone();
        }
        if (done && isCancelled()) { // cancelled before the call was registered to be cancelled
            call.cancel("the caller cancelled the request", null);
        }
    }

    /** The attempt's call ended with {@code status} (and no usable response). */
    private void failed(Attempt attempt, Status status, Metadata trailers) {
        if (isDone()) {
            return;
        }
        Status.Code code = status.getCode();
        boolean retryable = code == Status.Code.RESOURCE_EXHAUSTED || code == Status.Code.UNAVAILABLE
                || code == Status.Code.CANCELLED;
        boolean safe = owner.idempotent() || attempt.server == null || LoadReport.refused(trailers);
        long left = deadline - System.nanoTime();
        int made;
        synchronized (this) {
            made = attempts;
        }
        if (retryable && safe && !owner.isClosed() && made < owner.maxAttempts() && left > 0) {
            if (untriedServerReady()) {
                attempt();
            } else {
                long backoff = Math.min(MAX_BACKOFF_NANOS, owner.retryBackoff().toNanos() << Math.min(20, made - 1));
                long wait = Math.min(left, backoff / 2 + ThreadLocalRandom.current().nextLong(backoff / 2 + 1));
                owner.schedule(this::attempt, wait);
            }
            return;
        }
        completeExceptionally(failure(attempt, status, made));
    }

    private boolean untriedServerReady() {
        for (RemoteServer s : owner.servers()) {
            if (s.state() == ConnectivityState.READY && !tried.contains(s)) {
                return true;
            }
        }
        return false;
    }

    /** The typed failure of the request, after {@code made} attempts, the last ending with {@code status}. */
    private RuntimeException failure(Attempt attempt, Status status, int made) {
        String name = owner.name();
        String server = attempt.server == null ? null : attempt.server.address;
        String said = (server == null ? "" : "server " + server + ": ") + status.getCode()
                + (status.getDescription() == null ? "" : " " + status.getDescription());
        String tries = made == 1 ? "" : " (" + made + " attempts; the last: " + said + ")";
        RuntimeException cause = status.asRuntimeException();
        return switch (status.getCode()) {
            case INVALID_ARGUMENT -> new InvalidInputException("'" + name + "'"
                    + (server == null ? "" : " on server " + server) + ": " + status.getDescription(), cause);
            case RESOURCE_EXHAUSTED -> new OverloadedException(name, OverloadedException.Limit.QUEUE_CAPACITY,
                    "its servers refused the request" + (tries.isEmpty() ? " (" + said + ")" : tries), null);
            case DEADLINE_EXCEEDED -> new DeadlineExceededException(name, timeout, "in the call to "
                    + (server == null ? owner.target() : "server " + server) + (tries.isEmpty() ? "" : tries));
            case UNAVAILABLE, CANCELLED -> owner.isClosed()
                    ? new ShutdownException("'" + name + "' was closed before the request ended (" + said + ")")
                    : new ModelException(name, server, "no server could serve the request" + (tries.isEmpty()
                            ? " (" + said + ")" : tries), cause);
            case NOT_FOUND -> new ModelException(name, server, "the server has no such model: "
                    + status.getDescription(), cause);
            default -> new ModelException(name, server, "the call failed: " + said, cause);
        };
    }

    /** One gRPC call of this request. */
    final class Attempt {
        final int number;
        /** The server its last stream went to; null while it has made none. */
        volatile RemoteServer server;

        Attempt(int number) {
            this.number = number;
        }

        /** Servers earlier attempts (and this one) made a stream to: the balancer avoids them while it can. */
        Set<RemoteServer> tried() {
            return tried;
        }

        /** A stream of this attempt was made to {@code s}. */
        void streamTo(RemoteServer s) {
            server = s;
            tried.add(s);
        }
    }

    private final class Listener extends ClientCall.Listener<ModelInferResponse> {
        private final Attempt attempt;
        private ModelInferResponse response;

        Listener(Attempt attempt) {
            this.attempt = attempt;
        }

        @Override
        public void onMessage(ModelInferResponse message) {
            response = message;
        }

        @Override
        public void onClose(Status status, Metadata trailers) {
            if (attempt.server != null) {
                attempt.server.reported(LoadReport.of(trailers));
            }
            if (!status.isOk()) {
                failed(attempt, status, trailers);
                return;
            }
            if (response == null) {
                completeExceptionally(new ModelException(owner.name(), address(),
                        "the server ended the call without a response", null));
                return;
            }
            Map<String, Tensor> outputs;
            try {
                outputs = InferResult.of(response).outputs();
            } catch (RuntimeException e) {
                completeExceptionally(new ModelException(owner.name(), address(),
                        "the server's response could not be read: " + e.getMessage(), e));
                return;
            }
            if (attempt.server != null) {
                dispatch = DispatchReport.of(trailers, attempt.server.address);
            }
            complete(outputs);
        }

        private String address() {
            return attempt.server == null ? null : attempt.server.address;
        }
    }
}
