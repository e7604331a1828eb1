package dev.sluice.grpc;

import dev.sluice.DeploymentHandle;
import dev.sluice.grpc.proto.GRPCInferenceServiceGrpc;
import dev.sluice.grpc.proto.ModelInferRequest;
import dev.sluice.batching.Dispatch;
import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.ForwardingServerCall;
import io.grpc.ForwardingServerCallListener;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;

/**
 * Adds the {@link LoadReport} trailers to every {@code ModelInfer} call of the inference service: counts the calls
 * open per model and, when one ends, reports the others and the model's queue depth; marks a RESOURCE_EXHAUSTED
 * answer as refused (the inference service gives that status only to a request its deployment did not queue); and
 * to an answer with outputs, the {@link DispatchReport} the inference service left in the call's context.
 * Other methods pass untouched.
 *
 * <p>Thread-safe: the counts are atomic; a call's own state is written on its serialized events and read when it
 * closes, after them.
 */
final class LoadReporter implements ServerInterceptor {
    private static final String MODEL_INFER = GRPCInferenceServiceGrpc.getModelInferMethod().getFullMethodName();

    private final Function<String, Optional<DeploymentHandle<?, ?>>> deployments;
    private final ConcurrentHashMap<String, ModelLoad> models = new ConcurrentHashMap<>();

    LoadReporter(Function<String, Optional<DeploymentHandle<?, ?>>> deployments) {
        this.deployments = deployments;
    }

    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
            ServerCallHandler<Q, R> next) {
        if (!MODEL_INFER.equals(call.getMethodDescriptor().getFullMethodName())) {
            return next.startCall(call, headers);
        }
        Tracked<Q, R> tracked = new Tracked<>(call);
        // The inference service leaves what it did with the request here, under the call's context.
        Context context = Context.current().withValue(DispatchReport.SERVED, tracked.served);
        return new ForwardingServerCallListener.SimpleForwardingServerCallListener<>(
                Contexts.interceptCall(context, tracked, headers, next)) {
            @Override
            public void onMessage(Q message) {
                if (message instanceof ModelInferRequest r && tracked.load == null) {
                    ModelLoad load = models.get(r.getModelName());
                    if (load == null && deployments.apply(r.getModelName()).isPresent()) {
                        load = models.computeIfAbsent(r.getModelName(), ModelLoad::new); // only names deployed
                    }
                    if (load != null) {
                        load.open.incrementAndGet();
                        tracked.load = load;
                    }
                }
                super.onMessage(message);
            }

            @Override
            public void onCancel() {
                tracked.end();
                super.onCancel();
            }
        };
    }

    /** One model's open calls and its last read queue depth. */
    private final class ModelLoad {
        final String name;
        final AtomicInteger open = new AtomicInteger();
        private volatile long queueReadAt = System.nanoTime() - 2 * LoadReport.QUEUE_READ_INTERVAL_NANOS;
        private volatile int queueDepth;

        ModelLoad(String name) {
            this.name = name;
        }

        /** The deployment's queue depth, read afresh at most every 10 ms (its status takes the runtime's lock). */
        int queueDepth() {
            long now = System.nanoTime();
            if (now - queueReadAt >= LoadReport.QUEUE_READ_INTERVAL_NANOS) {
                queueReadAt = now;
                queueDepth = deployments.apply(name).map(h -> h.status().queueDepth()).orElse(0);
            }
            return queueDepth;
        }
    }

    /** The call, whose close carries the report. */
    private static final class Tracked<Q, R> extends ForwardingServerCall.SimpleForwardingServerCall<Q, R> {
        volatile ModelLoad load;
        final AtomicReference<Dispatch> served = new AtomicReference<>();
        private final AtomicBoolean ended = new AtomicBoolean();

        Tracked(ServerCall<Q, R> call) {
            super(call);
        }

        /** Stops counting this call, once; returns whether this was the time. */
        boolean end() {
            ModelLoad l = load;
            if (l != null && ended.compareAndSet(false, true)) {
                l.open.decrementAndGet();
                return true;
            }
            return false;
        }

        @Override
        public void close(Status status, Metadata trailers) {
            ModelLoad l = load;
            if (end()) {
                trailers.put(LoadReport.LOAD, new LoadReport(Math.max(0, l.open.get()), l.queueDepth()).format());
                if (status.getCode() == Status.Code.RESOURCE_EXHAUSTED) {
                    trailers.put(LoadReport.REFUSED, LoadReport.OVERLOADED);
                }
            }
            Dispatch d = served.get();
            if (d != null && status.isOk()) {
                trailers.put(DispatchReport.KEY, DispatchReport.format(d));
            }
            super.close(status, trailers);
        }
    }
}
