package dev.sluice.spring.grpc;

import dev.sluice.grpc.SluiceGrpcServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import org.springframework.context.SmartLifecycle;

/**
 * Runs a {@link SluiceGrpcServer} with the application context: started when the context has refreshed, closed
 * (gracefully: see {@link SluiceGrpcServer#close()}) when it stops, which is before the context closes the
 * runtime. Thread-safe.
 */
public final class SluiceGrpcLifecycle implements SmartLifecycle {
    private final SluiceGrpcServer.Builder builder;
    private volatile SluiceGrpcServer server;

    SluiceGrpcLifecycle(SluiceGrpcServer.Builder builder) {
        this.builder = builder;
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

    /** Shuts the server down gracefully; blocks until it has stopped. */
    @Override
    public synchronized void stop() {
        SluiceGrpcServer s = server;
        if (s != null) {
            s.close();
            server = null;
        }
    }

    @Override
    public boolean isRunning() {
        return server != null;
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
