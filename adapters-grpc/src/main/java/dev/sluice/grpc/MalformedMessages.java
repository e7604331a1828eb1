package dev.sluice.grpc;

import com.google.protobuf.InvalidProtocolBufferException;
import io.grpc.ForwardingServerCallListener;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;

/**
 * Ends a call whose request is not a valid protobuf encoding of its message type with INVALID_ARGUMENT, naming the
 * method and what the parser found wrong. Without it grpc-java parses the message before the service sees it and
 * answers UNKNOWN ("Application error processing RPC"), logging a stack trace at SEVERE for every such call: the
 * client cannot tell that its bytes were at fault, and a sender of garbage fills the server's log.
 *
 * <p>How: the service takes its messages as the stream of bytes that came
 * ({@link ServerInterceptors#useInputStreamMessages}, which parses each one with the method's own marshaller as it
 * hands it on, so nothing is parsed twice), and a listener around that parse turns its failure into the call's
 * status. Stateless, thread-safe.
 */
final class MalformedMessages {
    private MalformedMessages() {}

    /** {@code service}, answering INVALID_ARGUMENT to a request message its methods cannot parse. */
    static ServerServiceDefinition refused(ServerServiceDefinition service) {
        return ServerInterceptors.intercept(ServerInterceptors.useInputStreamMessages(service), new Refusal());
    }

    private static final class Refusal implements ServerInterceptor {
        @Override
        public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
                ServerCallHandler<Q, R> next) {
            ServerCall.Listener<Q> listener = next.startCall(call, headers);
            return new ForwardingServerCallListener.SimpleForwardingServerCallListener<>(listener) {
                private boolean refused;

                @Override
                public void onMessage(Q message) {
                    if (refused) {
                        return;
                    }
                    try {
                        super.onMessage(message);
                    } catch (StatusRuntimeException e) {
                        InvalidProtocolBufferException malformed = malformed(e);
                        if (malformed == null) {
                            throw e;
                        }
                        refused = true;
                        call.close(Status.INVALID_ARGUMENT.withDescription("the request is not a valid "
                                + call.getMethodDescriptor().getFullMethodName() + " message: "
                                + malformed.getMessage()), new Metadata());
                    }
                }

                @Override
                public void onHalfClose() {
                    if (!refused) { // the service would end the call again, for want of a request
                        super.onHalfClose();
                    }
                }
            };
        }
    }

    /** The parser's complaint when {@code e} is grpc-java's wrapping of it (INTERNAL, "Invalid protobuf ..."). */
    private static InvalidProtocolBufferException malformed(StatusRuntimeException e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof InvalidProtocolBufferException p) {
                return p;
            }
        }
        return null;
    }
}
