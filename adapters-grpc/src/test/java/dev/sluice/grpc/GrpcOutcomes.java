package dev.sluice.grpc;

import com.google.protobuf.InvalidProtocolBufferException;
import com.sun.management.ThreadMXBean;
import dev.sluice.grpc.proto.ModelInferResponse;
import io.grpc.Channel;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Set;

/**
 * The oracle of the gRPC fuzz targets: what a server may answer to any bytes sent as a request message. A target
 * is one call, {@code GrpcOutcomes.check(channel, method, message)}, over a channel to the server's services whose
 * fake models answer every request they are given.
 *
 * <p>Allowed: OK with a response that parses as {@link ModelInferResponse}; INVALID_ARGUMENT (the input was wrong,
 * a message that is not protobuf among it) or NOT_FOUND (it names no model being served), each with a description
 * saying what; DEADLINE_EXCEEDED likewise, before {@link #ANSWER_WITHIN} (a request may ask for a
 * {@code timeout_ms} too short to be served). Not allowed, each an {@link AssertionError} naming the input: any
 * other status (INTERNAL and UNKNOWN are the server failing where it should have refused), an exception other
 * than the call's status, no answer within {@link #ANSWER_WITHIN}, and more memory allocated on the calling thread
 * than {@link #allocationBound} of the message's size, twice in a row (the first run of a new path loads
 * classes). With direct executors on both ends of an in-process channel, the calling thread is the one that
 * parses the message and reads its tensors.
 */
final class GrpcOutcomes {
    /** The longest a call may take to be answered (the fake models answer at once). */
    static final Duration ANSWER_WITHIN = Duration.ofSeconds(5);
    private static final Set<Status.Code> REFUSALS = Set.of(Status.Code.INVALID_ARGUMENT, Status.Code.NOT_FOUND,
            Status.Code.DEADLINE_EXCEEDED);
    private static final ThreadMXBean THREADS = (ThreadMXBean) ManagementFactory.getThreadMXBean();

    private GrpcOutcomes() {}

    /**
     * The most a call with a message of {@code messageBytes} may allocate: 4 MiB and 1 KiB a byte. Loose on
     * purpose: while fuzzing, Jazzer's hooks on comparisons allocate on the calling thread too, so this catches a
     * declared size that makes the server allocate megabytes for a few bytes, not a constant factor.
     */
    static long allocationBound(int messageBytes) {
        return 4 * 1024 * 1024 + 1024L * messageBytes;
    }

    /** Sends {@code message} as the request of {@code method} (a {@link RawCalls#raw} one) and checks the answer. */
    static void check(Channel channel, MethodDescriptor<byte[], byte[]> method, byte[] message) {
        long allocated = allocatedBy(channel, method, message);
        long bound = allocationBound(message.length);
        if (allocated > bound && allocatedBy(channel, method, message) > bound) {
            throw new AssertionError("a call with " + message.length + " bytes allocated " + allocated
                    + " bytes, over the bound of " + bound + describe(message));
        }
    }

    /** Bytes allocated on this thread by the call; checks its answer. */
    private static long allocatedBy(Channel channel, MethodDescriptor<byte[], byte[]> method, byte[] message) {
        long before = THREADS.getCurrentThreadAllocatedBytes();
        long start = System.nanoTime();
        byte[] response = null;
        Status status;
        try {
            response = RawCalls.call(channel, method, message, ANSWER_WITHIN);
            status = Status.OK;
        } catch (StatusRuntimeException e) {
            status = e.getStatus();
        } catch (RuntimeException e) {
            throw new AssertionError("the call threw instead of ending with a status" + describe(message), e);
        }
        long allocated = THREADS.getCurrentThreadAllocatedBytes() - before;
        Duration took = Duration.ofNanos(System.nanoTime() - start);
        if (took.compareTo(ANSWER_WITHIN) >= 0) {
            throw new AssertionError("no answer within " + ANSWER_WITHIN + " (" + status + ")" + describe(message));
        }
        if (status.isOk()) {
            try {
                ModelInferResponse.parseFrom(response);
            } catch (InvalidProtocolBufferException e) {
                throw new AssertionError("an OK response that is not a ModelInferResponse" + describe(message), e);
            }
        } else if (!REFUSALS.contains(status.getCode())) {
            throw new AssertionError(status + " is neither OK nor a refusal of the input (INVALID_ARGUMENT, "
                    + "NOT_FOUND, DEADLINE_EXCEEDED)" + describe(message), status.getCause());
        } else if (status.getDescription() == null || status.getDescription().isBlank()) {
            throw new AssertionError(status + " does not say what was wrong" + describe(message));
        }
        return allocated;
    }

    /** The message, for a failure's message, in hex (Jazzer keeps the whole input as a file too). */
    private static String describe(byte[] message) {
        int shown = Math.min(message.length, 512);
        return "\n  message (" + message.length + " bytes" + (shown < message.length ? ", the first " + shown : "")
                + "): " + HexFormat.of().formatHex(message, 0, shown);
    }
}
