package dev.sluice.grpc;

import io.grpc.Metadata;

/**
 * The load a {@link SluiceGrpcServer} reports with every answer to {@code ModelInfer} for a model it serves
 * (errors included), in the response trailer {@value #LOAD_TRAILER}: {@code inflight=<n>;queue=<n>}, where
 * {@code inflight} counts the other {@code ModelInfer} calls of the same model open on that server when the answer
 * left (queued or running; this call not counted) and {@code queue} is the model's deployment queue depth
 * (requests waiting for a replica, from any source, read at most every {@link #QUEUE_READ_INTERVAL_NANOS} ns). A
 * client that routes by load reads it ({@link RemoteDeployment}); others ignore it.
 *
 * <p>A call the server ended without admitting its request also carries the trailer {@value #REFUSED_TRAILER},
 * whose value says why: {@code overloaded} (RESOURCE_EXHAUSTED: the deployment's queue was full, nothing was
 * queued) or {@code shutting-down} (UNAVAILABLE: the server stopped taking calls before this one). Such a request
 * surely never reached a model, so even a deployment that is not idempotent may send it elsewhere.
 *
 * @param inFlight the other calls of the model open on the server
 * @param queueDepth requests waiting in the model's deployment queue
 */
record LoadReport(int inFlight, int queueDepth) {
    static final String LOAD_TRAILER = "sluice-load";
    static final String REFUSED_TRAILER = "sluice-refused";
    static final Metadata.Key<String> LOAD = Metadata.Key.of(LOAD_TRAILER, Metadata.ASCII_STRING_MARSHALLER);
    static final Metadata.Key<String> REFUSED = Metadata.Key.of(REFUSED_TRAILER, Metadata.ASCII_STRING_MARSHALLER);
    static final String OVERLOADED = "overloaded";
    static final String SHUTTING_DOWN = "shutting-down";
    static final long QUEUE_READ_INTERVAL_NANOS = 10_000_000L;

    /** The trailer's value. */
    String format() {
        return "inflight=" + inFlight + ";queue=" + queueDepth;
    }

    /** The report in {@code trailers}, or null when there is none or it is not one this class writes. */
    static LoadReport of(Metadata trailers) {
        String value = trailers == null ? null : trailers.get(LOAD);
        if (value == null) {
            return null;
        }
        int inFlight = -1;
        int queue = -1;
        for (String part : value.split(";")) {
            int eq = part.indexOf('=');
            if (eq < 0) {
                return null;
            }
            int n;
            try {
                n = Integer.parseInt(part.substring(eq + 1).trim());
            } catch (NumberFormatException e) {
                return null;
            }
            switch (part.substring(0, eq).trim()) {
                case "inflight" -> inFlight = n;
                case "queue" -> queue = n;
                default -> { } // a field a later server adds
            }
        }
        return inFlight < 0 || queue < 0 ? null : new LoadReport(inFlight, queue);
    }

    /** Whether the server said it did not admit the request. */
    static boolean refused(Metadata trailers) {
        return trailers != null && trailers.containsKey(REFUSED);
    }
}
