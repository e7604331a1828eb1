package dev.sluice.spring.grpc;

import dev.sluice.grpc.SluiceGrpcServer;
import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.util.unit.DataSize;

/** {@code sluice.grpc.*}: the Open Inference Protocol over gRPC, served when {@code sluice-grpc} is on the class path. */
@ConfigurationProperties("sluice.grpc")
public class SluiceGrpcProperties {
    /** Whether the gRPC server runs. */
    private boolean enabled = true;

    /** The port it listens on (0: a free one). */
    private int port = 8081;

    /** The address it binds, such as 127.0.0.1; none: every interface. */
    private String address;

    /** The largest request message accepted; larger ones end with RESOURCE_EXHAUSTED. */
    private DataSize maxInboundMessageSize = DataSize.ofBytes(SluiceGrpcServer.DEFAULT_MAX_INBOUND_MESSAGE_SIZE);

    /**
     * The longest a request may wait for a replica (DEADLINE_EXCEEDED after), beside the call's own deadline: the
     * shorter applies. None by default: the client's deadline decides.
     */
    private Duration requestTimeout;

    /**
     * How long closing the application lets the calls in flight finish before cancelling them, counted from the end
     * of {@code sluice.shutdown-delay}, plus 2 s. At least {@code sluice.shutdown-grace-period}, so that a call the
     * runtime fails when that ends gets its UNAVAILABLE answer (within the 2 s) before it would be cut.
     */
    private Duration shutdownGracePeriod = Duration.ofSeconds(30);

    public boolean isEnabled() {
        return enabled;
    }

    public void setEnabled(boolean enabled) {
        this.enabled = enabled;
    }

    public int getPort() {
        return port;
    }

    public void setPort(int port) {
        this.port = port;
    }

    public String getAddress() {
        return address;
    }

    public void setAddress(String address) {
        this.address = address;
    }

    public DataSize getMaxInboundMessageSize() {
        return maxInboundMessageSize;
    }

    public void setMaxInboundMessageSize(DataSize maxInboundMessageSize) {
        this.maxInboundMessageSize = maxInboundMessageSize;
    }

    public Duration getRequestTimeout() {
        return requestTimeout;
    }

    public void setRequestTimeout(Duration requestTimeout) {
        this.requestTimeout = requestTimeout;
    }

    public Duration getShutdownGracePeriod() {
        return shutdownGracePeriod;
    }

    public void setShutdownGracePeriod(Duration shutdownGracePeriod) {
        this.shutdownGracePeriod = shutdownGracePeriod;
    }
}
