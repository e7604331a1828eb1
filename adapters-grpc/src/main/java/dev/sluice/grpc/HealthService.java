package dev.sluice.grpc;

import dev.sluice.grpc.proto.GRPCInferenceServiceGrpc;
import io.grpc.Status;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The standard {@code grpc.health.v1.Health} service, following readiness: the service {@code ""} (the server)
 * and {@code inference.GRPCInferenceService} are SERVING while every model is ready, and a model's name is
 * SERVING while that model is ready; NOT_SERVING otherwise, and for everything once the server is told to stop
 * serving ({@link #notServing}, while its calls are still served) or shuts down. Any other name is unknown
 * (NOT_FOUND from {@code Check}, SERVICE_UNKNOWN from {@code Watch}).
 *
 * <p>{@code Check} reads the runtime when asked. {@code Watch} sends the status at once, then each change that
 * {@link #refresh} finds (the server calls it periodically); {@link #notServing} sends NOT_SERVING to every watch
 * at once; {@link #stop} sends NOT_SERVING and ends every watch, so open watches never hold up a graceful
 * shutdown. Thread-safe.
 */
final class HealthService extends HealthGrpc.HealthImplBase {
    private final Models models;
    private final Set<Watch> watches = ConcurrentHashMap.newKeySet();
    /** Set by {@link #notServing}: every known service NOT_SERVING from then on. */
    private volatile boolean notServing;
    private volatile boolean stopped;

    HealthService(Models models) {
        this.models = models;
    }

    /** The status of {@code service} now, or null when it is unknown. */
    ServingStatus status(String service) {
        ServingStatus status;
        if (service.isEmpty() || service.equals(GRPCInferenceServiceGrpc.SERVICE_NAME)) {
            status = models.allReady() ? ServingStatus.SERVING : ServingStatus.NOT_SERVING;
        } else {
            status = models.ready(service).map(r -> r ? ServingStatus.SERVING : ServingStatus.NOT_SERVING)
                    .orElse(null);
        }
        return status != null && notServing ? ServingStatus.NOT_SERVING : status;
    }

    @Override
    public void check(HealthCheckRequest request, StreamObserver<HealthCheckResponse> out) {
        ServingStatus status;
        try {
            status = status(request.getService());
        } catch (RuntimeException e) {
            out.onError(ErrorStatus.of("the health service", e));
            return;
        }
        if (status == null) {
            out.onError(Status.NOT_FOUND.withDescription("unknown service '" + request.getService() + "'; ask for \"\" "
                    + "(the server), " + GRPCInferenceServiceGrpc.SERVICE_NAME + " or a model's name")
                    .asRuntimeException());
            return;
        }
        out.onNext(HealthCheckResponse.newBuilder().setStatus(status).build());
        out.onCompleted();
    }

    @Override
    public void watch(HealthCheckRequest request, StreamObserver<HealthCheckResponse> out) {
        ServerCallStreamObserver<HealthCheckResponse> call = (ServerCallStreamObserver<HealthCheckResponse>) out;
        Watch w = new Watch(request.getService(), call);
        call.setOnCancelHandler(() -> watches.remove(w));
        watches.add(w);
        try {
            w.send(known(status(w.service)));
        } catch (RuntimeException e) {
            watches.remove(w);
            call.onError(ErrorStatus.of("the health service", e));
            return;
        }
        if (stopped) { // stop() may have run before this watch was added
            w.finish();
        }
    }

    private static ServingStatus known(ServingStatus status) {
        return status == null ? ServingStatus.SERVICE_UNKNOWN : status;
    }

    /** Sends each watch whose service's status changed its new status. */
    void refresh() {
        Map<String, ServingStatus> now = new HashMap<>();
        for (Watch w : watches) {
            w.send(now.computeIfAbsent(w.service, s -> known(status(s))));
        }
    }

    /**
     * Everything NOT_SERVING from now on, told to every watch at once (without waiting for the next
     * {@link #refresh}); the watches stay open. Irreversible.
     */
    void notServing() {
        notServing = true;
        refresh();
    }

    /** Everything NOT_SERVING from now on; every watch gets it and ends. */
    void stop() {
        notServing = true;
        stopped = true;
        for (Watch w : watches) {
            w.send(ServingStatus.NOT_SERVING);
            w.finish();
        }
        watches.clear();
    }

    /** One open Watch call: its sends are serialized here, and each status goes out once. */
    private static final class Watch {
        final String service;
        private final ServerCallStreamObserver<HealthCheckResponse> call;
        private ServingStatus last;
        private boolean finished;

        Watch(String service, ServerCallStreamObserver<HealthCheckResponse> call) {
            this.service = service;
            this.call = call;
        }

        synchronized void send(ServingStatus status) {
            if (finished || status == last || call.isCancelled()) {
                return;
            }
            last = status;
            call.onNext(HealthCheckResponse.newBuilder().setStatus(status).build());
        }

        synchronized void finish() {
            if (!finished) {
                finished = true;
                if (!call.isCancelled()) {
                    call.onCompleted();
                }
            }
        }
    }
}
