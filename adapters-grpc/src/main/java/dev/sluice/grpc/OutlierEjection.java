package dev.sluice.grpc;

import dev.sluice.batching.Ticker;
import io.grpc.Status;
import java.time.Duration;

/**
 * When a {@link RemoteDeployment} stops sending calls to a server that answers but fails them: after
 * {@code consecutiveFailures} calls in a row that the server failed, it is ejected (gets no calls) for
 * {@code ejection} times the number of times it has been ejected, at most {@link #MAX_EJECTION_FACTOR} times
 * {@code ejection}; then it gets calls again, and one more failure streak ejects it for longer. The count of
 * ejections starts again once a server has gone that longest time without being ejected.
 *
 * <p>What counts as the server failing a call: INTERNAL, UNKNOWN, DATA_LOSS and UNIMPLEMENTED (the model failed, the
 * server broke, or it does not speak the protocol). What does not: the client's own errors (INVALID_ARGUMENT,
 * NOT_FOUND: the request would fail anywhere), overload (RESOURCE_EXHAUSTED: the load-aware pick already sends less
 * there), deadlines and cancellations, and UNAVAILABLE (a lost or refused connection: grpc-java's connectivity and
 * health checking take the server out). A call answered OK or INVALID_ARGUMENT ends a streak.
 *
 * <p>At most half of the servers (rounded down) are ejected at once, so one server is never ejected and a bad
 * model served everywhere cannot empty the deployment: its failures keep reaching the callers, who see them.
 * grpc-java's own outlier detection is not used because it counts every status but OK as the server's failure, so
 * a client sending bad requests would eject healthy servers.
 *
 * <p>Immutable; the ticker is read on the threads that end calls and pick servers.
 */
final class OutlierEjection {
    /** The longest ejection, in multiples of the first. */
    static final int MAX_EJECTION_FACTOR = 10;
    /** Not ejecting, ever. */
    static final OutlierEjection OFF = new OutlierEjection(0, Duration.ZERO, Ticker.system());

    final int consecutiveFailures;
    final long ejectionNanos;
    final Ticker ticker;

    /**
     * @param consecutiveFailures failed calls in a row that eject a server; 0 never ejects
     * @param ejection how long the first ejection lasts
     */
    OutlierEjection(int consecutiveFailures, Duration ejection, Ticker ticker) {
        this.consecutiveFailures = consecutiveFailures;
        this.ejectionNanos = ejection.toNanos();
        this.ticker = ticker;
    }

    boolean enabled() {
        return consecutiveFailures > 0;
    }

    long maxEjectionNanos() {
        return ejectionNanos * MAX_EJECTION_FACTOR;
    }

    /** Whether a call that ended with {@code code} counts as its server failing it. */
    static boolean serverFailed(Status.Code code) {
        return switch (code) {
            case INTERNAL, UNKNOWN, DATA_LOSS, UNIMPLEMENTED -> true;
            default -> false;
        };
    }

    /** Whether a call that ended with {@code code} shows its server working: it ends a streak of failures. */
    static boolean serverWorked(Status.Code code) {
        return code == Status.Code.OK || code == Status.Code.INVALID_ARGUMENT;
    }
}
