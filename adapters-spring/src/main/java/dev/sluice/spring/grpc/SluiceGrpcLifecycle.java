package dev.sluice.spring.grpc;

import dev.sluice.grpc.SluiceGrpcServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import org.springframework.context.ApplicationContext;
import org.springframework.context.ApplicationListener;
import org.springframework.context.SmartLifecycle;
import org.springframework.context.event.ContextClosedEvent;

/**
 * Runs a {@link SluiceGrpcServer} with the application context: started when the context has refreshed. When the
 * context closes (SIGTERM), the server's health turns NOT_SERVING at once, together with Spring Boot's readiness,
 * while it goes on serving through {@code sluice.shutdown-delay}; then, in the phase of Spring Boot's graceful web
 * server shutdown and alongside it, the server stops taking calls and lets those in flight finish (see
 * {@link SluiceGrpcServer#close()}); the runtime closes after that. Thread-safe.
 */
public final class SluiceGrpcLifecycle implements SmartLifecycle, ApplicationListener<ContextClosedEvent> {
    /** Spring Boot's {@code WebServerGracefulShutdownLifecycle.SMART_LIFECYCLE_PHASE}: drained with the web server. */
    static final int PHASE = Integer.MAX_VALUE - 1024;

    private final SluiceGrpcServer.Builder builder;
    private final ApplicationContext context;
    private volatile SluiceGrpcServer server;

    SluiceGrpcLifecycle(SluiceGrpcServer.Builder builder, ApplicationContext context) {
        this.builder = builder;
        this.context = context;
    }

    /**
     * Binds and starts the server.
     *
     * @throws UncheckedIOException if it cannot bind its address (the application fails to start)
     */
    @Override
    public synchronized void start() {
        if (server == null) {
            try {
                server = builder.start();
            } catch (IOException e) {
                throw new UncheckedIOException("the gRPC server could not start: " + e.getMessage(), e);
            }
        }
    }

    /** The context begins to close: health NOT_SERVING from now on, while calls are still served. */
    @Override
    public void onApplicationEvent(ContextClosedEvent event) {
        SluiceGrpcServer s = server;
        if (s != null && event.getApplicationContext() == context) {
            s.markNotServing();
        }
    }

    /** Shuts the server down gracefully; blocks until it has stopped. */
    @Override
    public void stop() {
        SluiceGrpcServer s = take();
        if (s != null) {
            s.close();
        }
    }

    /** Shuts the server down gracefully on a thread of its own, so it drains while the web server does. */
    @Override
    public void stop(Runnable callback) {
        SluiceGrpcServer s = take();
        if (s == null) {
            callback.run();
            return;
        }
        Thread t = new Thread(() -> {
            try {
                s.close();
            } finally {
                callback.run();
            }
        }, "sluice-grpc-stop");
        t.start();
    }

    private synchronized SluiceGrpcServer take() {
        SluiceGrpcServer s = server;
        server = null;
        return s;
    }

    @Override
    public boolean isRunning() {
        return server != null;
    }

    @Override
    public int getPhase() {
        return PHASE;
    }

    /**
     * The address the running server listens on (with its port, for one started on port 0).
     *
     * @throws IllegalStateException if it is not running
     */
    public InetSocketAddress address() {
        SluiceGrpcServer s = server;
        if (s == null) {
            throw new IllegalStateException("the gRPC server is not running");
        }
        return s.address();
    }
}
