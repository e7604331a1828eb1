package dev.sluice.spring;

import dev.sluice.Sluice;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;

/**
 * The order in which a closing application (SIGTERM) stops serving, as three {@link SmartLifecycle} phases that
 * the context stops one after the other, around the phases of Spring Boot's web server:
 *
 * <ol>
 *   <li>Before them, the context turns unready: Spring Boot's readiness state becomes REFUSING_TRAFFIC
 *       ({@code /actuator/health/readiness} answers 503) and the gRPC server's health NOT_SERVING.</li>
 *   <li>{@link #DELAY_PHASE}: the application goes on serving new requests for the shutdown delay, while load
 *       balancers notice.</li>
 *   <li>{@link #DRAIN_PHASE}, Spring Boot's graceful web server shutdown's phase: the web server and the gRPC server
 *       stop taking new requests and finish those they took. The runtime's deadline starts: at the end of the grace
 *       period (or shortly before the phase's own timeout, {@code spring.lifecycle.timeout-per-shutdown-phase},
 *       when that comes first) the runtime is closed at once, so each request it still runs fails with
 *       {@code ShutdownException}, which the transports, still open, answer with 503 or UNAVAILABLE.</li>
 *   <li>{@link #RUNTIME_PHASE}, after the transports drained and before Spring Boot stops the web server: the runtime
 *       closes with what is left of the grace period.</li>
 * </ol>
 *
 * Thread-safe: the context calls the phases one at a time; the deadline runs on a timer thread of its own.
 */
final class GracefulShutdown {
    private static final Logger LOG = LoggerFactory.getLogger(GracefulShutdown.class);
    /** Before the transports' drain. */
    static final int DELAY_PHASE = Integer.MAX_VALUE - 512;
    /** Spring Boot's {@code WebServerGracefulShutdownLifecycle.SMART_LIFECYCLE_PHASE}. */
    static final int DRAIN_PHASE = Integer.MAX_VALUE - 1024;
    /** After the drain, before Spring Boot's {@code WebServerStartStopLifecycle} (MAX_VALUE - 2048) stops the server. */
    static final int RUNTIME_PHASE = Integer.MAX_VALUE - 1536;
    /** How long before the drain phase's timeout the runtime fails what is left, so the answers still go out. */
    static final Duration ANSWER_MARGIN = Duration.ofSeconds(2);

    private final Sluice sluice;
    private final Duration delay;
    private final Duration runtimeGrace;
    private volatile long deadline;
    private volatile ScheduledExecutorService timer;
    private volatile ScheduledFuture<?> failLeftovers;

    /**
     * @param delay how long the delay phase serves on
     * @param grace {@code sluice.shutdown-grace-period}
     * @param phaseTimeout {@code spring.lifecycle.timeout-per-shutdown-phase}
     */
    GracefulShutdown(Sluice sluice, Duration delay, Duration grace, Duration phaseTimeout) {
        this.sluice = sluice;
        this.delay = delay;
        Duration beforePhaseTimeout = phaseTimeout.minus(ANSWER_MARGIN);
        this.runtimeGrace = beforePhaseTimeout.isNegative() ? Duration.ZERO
                : grace.compareTo(beforePhaseTimeout) <= 0 ? grace : beforePhaseTimeout;
        if (runtimeGrace.compareTo(grace) < 0) {
            LOG.debug("sluice.shutdown-grace-period {} is cut to {}: 2 s before spring.lifecycle.timeout-per-shutdown-"
                    + "phase {}, so the requests still running then are answered before the web server stops",
                    grace, runtimeGrace, phaseTimeout);
        }
    }

    /** How long the delay phase serves on. */
    Duration delay() {
        return delay;
    }

    /** The grace period the runtime gets from the start of the drain. */
    Duration runtimeGrace() {
        return runtimeGrace;
    }

    SmartLifecycle delayPhase() {
        return new Phase(DELAY_PHASE) {
            @Override
            void onStop() {
                if (delay.isZero()) {
                    return;
                }
                LOG.info("Not ready: serving new requests for {} more while load balancers notice", delay);
                try {
                    TimeUnit.NANOSECONDS.sleep(delay.toNanos());
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt(); // the context closes on at once
                }
            }
        };
    }

    SmartLifecycle drainPhase() {
        return new Phase(DRAIN_PHASE) {
            @Override
            void onStop() {
                deadline = System.nanoTime() + runtimeGrace.toNanos();
                ScheduledExecutorService t = Executors.newSingleThreadScheduledExecutor(r -> {
                    Thread th = new Thread(r, "sluice-shutdown-deadline");
                    th.setDaemon(true);
                    return th;
                });
                timer = t;
                failLeftovers = t.schedule(() -> {
                    LOG.warn("Requests still running after the grace period of {}: failing them", runtimeGrace);
                    sluice.close(Duration.ZERO);
                }, runtimeGrace.toNanos(), TimeUnit.NANOSECONDS);
            }
        };
    }

    SmartLifecycle runtimePhase() {
        return new Phase(RUNTIME_PHASE) {
            @Override
            void onStop() {
                ScheduledFuture<?> f = failLeftovers;
                if (f != null) {
                    f.cancel(false);
                }
                long d = deadline;
                Duration left = d == 0 ? runtimeGrace : Duration.ofNanos(Math.max(0, d - System.nanoTime()));
                try {
                    sluice.close(left); // after the deadline fired: waits for that close
                } finally {
                    ScheduledExecutorService t = timer;
                    if (t != null) {
                        t.shutdown();
                    }
                }
            }
        };
    }

    /** A phase that runs once with the context; {@link #onStop} runs on the thread closing the context. */
    private abstract static class Phase implements SmartLifecycle {
        private final int phase;
        private volatile boolean running;

        Phase(int phase) {
            this.phase = phase;
        }

        abstract void onStop();

        @Override
        public void start() {
            running = true;
        }

        @Override
        public void stop() {
            if (running) {
                running = false;
                onStop();
            }
        }

        @Override
        public boolean isRunning() {
            return running;
        }

        @Override
        public int getPhase() {
            return phase;
        }

        /** Not stopped when the context pauses (a cached test context): the phases act only when it closes. */
        @Override
        public boolean isPauseable() {
            return false;
        }
    }
}
