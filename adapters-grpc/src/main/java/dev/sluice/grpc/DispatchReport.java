package dev.sluice.grpc;

import dev.sluice.batching.Dispatch;
import io.grpc.Context;
import io.grpc.Metadata;
import java.util.concurrent.atomic.AtomicReference;

/**
 * What a {@link SluiceGrpcServer} did with a {@code ModelInfer} request it answered, sent in the response trailer
 * {@value #TRAILER} so that the caller's trace explains the remote step as it explains a local one:
 * {@code queue=<ns>;batch=<n>;chosen=<n>;budget=<ns>;cpus=<n>} — how long the request waited in the model's queue,
 * the size of the batch it ran in and the size the batch policy chose, how long that batch waited for the server's
 * CPU budget, and the CPUs its call held ({@link Dispatch}'s fields; -1 where the server did not measure one). Only
 * answers with outputs carry it. A {@link RemoteDeployment} reads it into the dispatch of its request's future, with
 * the server's address as the worker; other clients ignore it.
 */
final class DispatchReport {
    static final String TRAILER = "sluice-dispatch";
    static final Metadata.Key<String> KEY = Metadata.Key.of(TRAILER, Metadata.ASCII_STRING_MARSHALLER);
    /** Where the inference service leaves a call's dispatch for the interceptor that writes the trailers. */
    static final Context.Key<AtomicReference<Dispatch>> SERVED = Context.key("sluice-dispatch");

    private DispatchReport() {}

    /** The trailer's value for {@code d}. */
    static String format(Dispatch d) {
        return "queue=" + d.queueWaitNanos() + ";batch=" + d.batchSize() + ";chosen=" + d.chosenBatchSize()
                + ";budget=" + d.budgetWaitNanos() + ";cpus=" + d.cpus();
    }

    /**
     * The dispatch in {@code trailers}, its worker named {@code server}; a dispatch that says only where the request
     * ran (no queue wait or batch size) when the trailer is missing or not one this class writes.
     */
    static Dispatch of(Metadata trailers, String server) {
        String value = trailers == null ? null : trailers.get(KEY);
        Dispatch unknown = new Dispatch(-1, 0, server, 0, -1, 0);
        if (value == null) {
            return unknown;
        }
        long queue = -1;
        long budget = -1;
        int batch = 0;
        int chosen = 0;
        int cpus = 0;
        for (String part : value.split(";")) {
            int eq = part.indexOf('=');
            if (eq < 0) {
                return unknown;
            }
            long n;
            try {
                n = Long.parseLong(part.substring(eq + 1).trim());
            } catch (NumberFormatException e) {
                return unknown;
            }
            switch (part.substring(0, eq).trim()) {
                case "queue" -> queue = n;
                case "batch" -> batch = (int) Math.max(0, Math.min(Integer.MAX_VALUE, n));
                case "chosen" -> chosen = (int) Math.max(0, Math.min(Integer.MAX_VALUE, n));
                case "budget" -> budget = n;
                case "cpus" -> cpus = (int) Math.max(0, Math.min(Integer.MAX_VALUE, n));
                default -> { } // a field a later server adds
            }
        }
        return new Dispatch(queue, batch, server, chosen, budget, cpus);
    }
}
