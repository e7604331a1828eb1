package dev.sluice.grpc;

import com.google.protobuf.InvalidProtocolBufferException;
import io.grpc.Attributes;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.SecurityLevel;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerMethodDefinition;
import io.grpc.ServerServiceDefinition;
import io.grpc.ServiceDescriptor;
import io.grpc.Status;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Ends a call whose request is not a valid protobuf encoding of its message type with INVALID_ARGUMENT, naming the
 * method and what the parser found wrong. Without it grpc-java parses the message before the service sees it and
 * answers UNKNOWN ("Application error processing RPC"), logging a stack trace at SEVERE for every such call: the
 * client cannot tell that its bytes were at fault, and a sender of garbage fills the server's log.
 *
 * <p>How: each method takes its request as the stream of bytes that came, and parses it with the method's own
 * marshaller, once, before the service sees it; whatever that parse throws ends the call. Not only
 * {@link InvalidProtocolBufferException}: protobuf-java 3.25's stream decoder (used for a message it cannot read
 * into one array, over 4 MiB, or from a transport whose stream does not know its length) throws
 * {@code ArrayIndexOutOfBoundsException} on some malformed lengths (found by fuzzing; logged at DEBUG).
 * Stateless, thread-safe.
 */
final class MalformedMessages {
    private static final Logger LOG = LoggerFactory.getLogger(MalformedMessages.class);
    private static final MethodDescriptor.Marshaller<InputStream> AS_IS = new MethodDescriptor.Marshaller<>() {
        @Override
        public InputStream stream(InputStream value) {
            return value;
        }

        @Override
        public InputStream parse(InputStream stream) {
            return stream;
        }
    };

    private MalformedMessages() {}

    /** {@code service}, answering INVALID_ARGUMENT to a request message its methods cannot parse. */
    static ServerServiceDefinition refused(ServerServiceDefinition service) {
        ServiceDescriptor typed = service.getServiceDescriptor();
        List<ServerMethodDefinition<InputStream, ?>> methods = new ArrayList<>();
        for (ServerMethodDefinition<?, ?> m : service.getMethods()) {
            methods.add(parsing(m));
        }
        ServiceDescriptor.Builder descriptor = ServiceDescriptor.newBuilder(typed.getName())
                .setSchemaDescriptor(typed.getSchemaDescriptor());
        methods.forEach(m -> descriptor.addMethod(m.getMethodDescriptor()));
        ServerServiceDefinition.Builder b = ServerServiceDefinition.builder(descriptor.build());
        methods.forEach(b::addMethod);
        return b.build();
    }

    private static <Q, R> ServerMethodDefinition<InputStream, R> parsing(ServerMethodDefinition<Q, R> typed) {
        MethodDescriptor<Q, R> method = typed.getMethodDescriptor();
        MethodDescriptor<InputStream, R> wire = method.toBuilder(AS_IS, method.getResponseMarshaller()).build();
        ServerCallHandler<Q, R> handler = typed.getServerCallHandler();
        return ServerMethodDefinition.create(wire, (call, headers) -> {
            ServerCall.Listener<Q> listener = handler.startCall(new TypedCall<>(call, method), headers);
            return new Parsing<>(call, method, listener);
        });
    }

    /** Hands each request on to the service's listener once parsed; ends the call when it cannot be parsed. */
    private static final class Parsing<Q, R> extends ServerCall.Listener<InputStream> {
        private final ServerCall<InputStream, R> call;
        private final MethodDescriptor<Q, R> method;
        private final ServerCall.Listener<Q> listener;
        private boolean refused; // a call's events come one at a time

        Parsing(ServerCall<InputStream, R> call, MethodDescriptor<Q, R> method, ServerCall.Listener<Q> listener) {
            this.call = call;
            this.method = method;
            this.listener = listener;
        }

        @Override
        public void onMessage(InputStream message) {
            if (refused) {
                return;
            }
            Q request;
            try {
                request = method.parseRequest(message);
            } catch (RuntimeException e) {
                refused = true;
                call.close(Status.INVALID_ARGUMENT.withDescription("the request is not a valid "
                        + method.getFullMethodName() + " message: " + complaint(e)), new Metadata());
                return;
            }
            listener.onMessage(request);
        }

        @Override
        public void onHalfClose() {
            if (!refused) { // the service would end the call again, for want of a request
                listener.onHalfClose();
            }
        }

        @Override
        public void onCancel() {
            listener.onCancel();
        }

        @Override
        public void onComplete() {
            listener.onComplete();
        }

        @Override
        public void onReady() {
            listener.onReady();
        }
    }

    /**
     * What the parser found wrong: the message of the {@link InvalidProtocolBufferException} grpc-java wraps in a
     * status, or, for anything else it threw, a sentence naming it.
     */
    private static String complaint(RuntimeException e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof InvalidProtocolBufferException p) {
                return p.getMessage();
            }
            if (t instanceof UncheckedIOException || t instanceof IOException) {
                return "it could not be read (" + t.getMessage() + ")";
            }
        }
        LOG.debug("The protobuf parser failed on a malformed request message", e);
        return "the protobuf parser failed on it (" + e + ")";
    }

    /** The call as the service sees it: requests of the method's own type (they reach it parsed). */
    private static final class TypedCall<Q, R> extends ServerCall<Q, R> {
        private final ServerCall<InputStream, R> call;
        private final MethodDescriptor<Q, R> method;

        TypedCall(ServerCall<InputStream, R> call, MethodDescriptor<Q, R> method) {
            this.call = call;
            this.method = method;
        }

        @Override
        public MethodDescriptor<Q, R> getMethodDescriptor() {
            return method;
        }

        @Override
        public void request(int numMessages) {
            call.request(numMessages);
        }

        @Override
        public void sendHeaders(Metadata headers) {
            call.sendHeaders(headers);
        }

        @Override
        public void sendMessage(R message) {
            call.sendMessage(message);
        }

        @Override
        public boolean isReady() {
            return call.isReady();
        }

        @Override
        public void close(Status status, Metadata trailers) {
            call.close(status, trailers);
        }

        @Override
        public boolean isCancelled() {
            return call.isCancelled();
        }

        @Override
        public void setMessageCompression(boolean enabled) {
            call.setMessageCompression(enabled);
        }

        @Override
        public void setCompression(String compressor) {
            call.setCompression(compressor);
        }

        @Override
        public void setOnReadyThreshold(int numBytes) {
            call.setOnReadyThreshold(numBytes);
        }

        @Override
        public SecurityLevel getSecurityLevel() {
            return call.getSecurityLevel();
        }

        @Override
        public Attributes getAttributes() {
            return call.getAttributes();
        }

        @Override
        public String getAuthority() {
            return call.getAuthority();
        }
    }
}
