package dev.sluice.grpc;

import io.grpc.ClientStreamTracer;
import io.grpc.ConnectivityState;
import io.grpc.LoadBalancer;
import io.grpc.Metadata;
import io.grpc.Status;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One server of a {@link RemoteDeployment} as its channel's {@link LeastLoadedBalancer} sees it: its address, its
 * connection's state, this client's calls in flight to it (counted by the {@link ClientStreamTracer} each stream
 * to it carries), and the last {@link LoadReport} it sent.
 *
 * <p>Its {@linkplain #load load} is the larger of this client's calls in flight to it and what it last reported
 * (the calls open on it from every client, or its queue depth, whichever is larger), the report counting for
 * {@link #REPORT_TTL_NANOS} after it came: a server's report only arrives with an answer, so one that was busy
 * and then got no traffic would otherwise look busy for ever.
 *
 * <p>It may be {@linkplain #ejected ejected} for a while after failing calls in a row ({@link OutlierEjection}).
 *
 * <p>Thread-safe: counts are atomic; the state is written in the channel's synchronization context and read by
 * pickers on any thread; an ejection is decided under the lock of its {@link LeastLoadedBalancer.ServerList}, so no
 * two servers' ejections together exceed the limit.
 */
final class RemoteServer {
    private static final Logger log = LoggerFactory.getLogger(RemoteServer.class);
    /** How long a load report counts: 1 s. */
    static final long REPORT_TTL_NANOS = 1_000_000_000L;

    final String address;
    final LoadBalancer.Subchannel subchannel;
    private final AtomicInteger inFlight = new AtomicInteger();
    private final AtomicLong answered = new AtomicLong();
    private volatile ConnectivityState state = ConnectivityState.IDLE;
    private volatile Status lastError;
    private volatile LoadReport report;
    private volatile long reportedAt;
    private final LeastLoadedBalancer.ServerList peers;
    private final OutlierEjection ejection;
    private final AtomicInteger failuresInARow = new AtomicInteger();
    /** Until when (ticker nanos) it gets no calls; meaningful only while {@link #ejectedWhy} is not null. */
    private volatile long ejectedUntil;
    private volatile String ejectedWhy;
    // Guarded by peers.
    private int ejections;
    /** Streams' tracers: count this client's calls to the server, tell each call where it went, read reports. */
    final ClientStreamTracer.Factory tracers = new ClientStreamTracer.Factory() {
        @Override
        public ClientStreamTracer newClientStreamTracer(ClientStreamTracer.StreamInfo info, Metadata headers) {
            return new Tracer(info.getCallOptions().getOption(RemoteCall.KEY));
        }
    };

    /** A server that is never ejected. */
    RemoteServer(String address, LoadBalancer.Subchannel subchannel) {
        this(address, subchannel, new LeastLoadedBalancer.ServerList());
    }

    /** @param peers the servers of its deployment (itself among them), and their outlier ejection */
    RemoteServer(String address, LoadBalancer.Subchannel subchannel, LeastLoadedBalancer.ServerList peers) {
        this.address = address;
        this.subchannel = subchannel;
        this.peers = peers;
        this.ejection = peers.ejection();
    }

    /** Whether it is ejected at {@code now} (its ticker's nanos): it gets no calls while another server may. */
    boolean ejected(long now) {
        return ejectedWhy != null && now - ejectedUntil < 0;
    }

    /** Why and until when it is ejected, or null when it is not. */
    String ejection(long now) {
        String why = ejectedWhy;
        return why == null || now - ejectedUntil >= 0 ? null
                : "ejected for " + Math.max(1, (ejectedUntil - now) / 1_000_000) + " ms more: " + why;
    }

    /** Counts a call of this client that it ended with {@code status}, and ejects it after a streak of failures. */
    void ended(Status status) {
        if (!ejection.enabled()) {
            return;
        }
        if (OutlierEjection.serverWorked(status.getCode())) {
            failuresInARow.set(0);
        } else if (OutlierEjection.serverFailed(status.getCode())
                && failuresInARow.incrementAndGet() >= ejection.consecutiveFailures) {
            eject(status);
        }
    }

    private void eject(Status status) {
        synchronized (peers) {
            long now = ejection.ticker.read();
            if (ejected(now)) {
                return;
            }
            List<RemoteServer> all = peers.get();
            int others = 0;
            for (RemoteServer s : all) {
                if (s != this && s.ejected(now)) {
                    others++;
                }
            }
            if (others + 1 > all.size() / 2) {
                return; // as many ejected as may be: it keeps its share, and its failures keep reaching the callers
            }
            if (ejectedWhy != null && now - ejectedUntil > ejection.maxEjectionNanos()) {
                ejections = 0; // long enough without an ejection: start again from the shortest
            }
            ejections++;
            long nanos = Math.min(ejection.maxEjectionNanos(), ejection.ejectionNanos * ejections);
            int streak = failuresInARow.getAndSet(0);
            ejectedUntil = now + nanos;
            ejectedWhy = streak + " calls failed in a row, the last " + status.getCode()
                    + (status.getDescription() == null ? "" : " (" + status.getDescription() + ")");
            log.warn("Server {} gets no calls for {} ms: {}", address, nanos / 1_000_000, ejectedWhy);
        }
    }

    /** This client's calls to it that have a stream and have not ended. */
    int inFlight() {
        return inFlight.get();
    }

    /** Calls of this client it answered (status OK). */
    long answered() {
        return answered.get();
    }

    /** What the picker compares (lower is less loaded), read at {@code now} (System.nanoTime). */
    int load(long now) {
        int local = inFlight.get();
        LoadReport r = report;
        if (r == null || now - reportedAt > REPORT_TTL_NANOS) {
            return local;
        }
        return Math.max(local, Math.max(r.inFlight(), r.queueDepth()));
    }

    /** Its last report while it still counts, else null. */
    LoadReport report(long now) {
        LoadReport r = report;
        return r == null || now - reportedAt > REPORT_TTL_NANOS ? null : r;
    }

    void reported(LoadReport r) {
        if (r != null) {
            reportedAt = System.nanoTime();
            report = r;
        }
    }

    ConnectivityState state() {
        return state;
    }

    /** Why its connection last failed, or null. */
    Status lastError() {
        return lastError;
    }

    void state(ConnectivityState s, Status error) {
        state = s;
        if (s == ConnectivityState.TRANSIENT_FAILURE) {
            lastError = error;
        } else if (s == ConnectivityState.READY) {
            lastError = null;
        }
    }

    @Override
    public String toString() {
        return address + " " + state + ", " + inFlight.get() + " in flight";
    }

    /** One stream to this server: counted from its creation until it closes, once. */
    private final class Tracer extends ClientStreamTracer {
        private final RemoteCall.Attempt call;
        private final AtomicBoolean closed = new AtomicBoolean();

        Tracer(RemoteCall.Attempt call) {
            this.call = call;
            inFlight.incrementAndGet();
            if (call != null) {
                call.streamTo(RemoteServer.this);
            }
        }

        @Override
        public void inboundTrailers(Metadata trailers) {
            reported(LoadReport.of(trailers));
        }

        @Override
        public void streamClosed(Status status) {
            if (closed.compareAndSet(false, true)) {
                inFlight.decrementAndGet();
                if (status.isOk()) {
                    answered.incrementAndGet();
                }
                ended(status);
            }
        }
    }
}
