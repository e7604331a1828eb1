package dev.sluice.grpc;

import dev.sluice.batching.DeadlineExceededException;
import dev.sluice.batching.InvalidInputException;
import dev.sluice.batching.OverloadedException;
import dev.sluice.batching.ShutdownException;
import dev.sluice.pipeline.PipelineStepException;
import dev.sluice.pipeline.StepTimeoutException;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.util.UUID;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A request's failure as the status its call ends with, the gRPC twin of the REST adapter's status codes: bad
 * input INVALID_ARGUMENT, a full queue RESOURCE_EXHAUSTED, a deadline DEADLINE_EXCEEDED, a runtime shutting down
 * (or a request cancelled by it) UNAVAILABLE, anything else INTERNAL with an error id that is logged with the
 * failure; the description never holds a stack trace. A status already made (NOT_FOUND for an unknown model)
 * passes as it is. Stateless, thread-safe.
 */
final class ErrorStatus {
    private static final Logger LOG = LoggerFactory.getLogger(ErrorStatus.class);

    private ErrorStatus() {}

    /** @param target what failed, for the description and the log: e.g. {@code model 'rec'} */
    static StatusRuntimeException of(String target, Throwable failure) {
        Throwable e = failure;
        while ((e instanceof CompletionException || e instanceof ExecutionException) && e.getCause() != null) {
            e = e.getCause();
        }
        if (e instanceof StatusRuntimeException s) {
            return s;
        }
        Throwable kind = e instanceof PipelineStepException && e.getCause() != null ? e.getCause() : e;
        Status status;
        if (kind instanceof InvalidInputException) {
            status = Status.INVALID_ARGUMENT.withDescription(e.getMessage());
        } else if (kind instanceof OverloadedException) {
            status = Status.RESOURCE_EXHAUSTED.withDescription(e.getMessage());
        } else if (kind instanceof DeadlineExceededException || kind instanceof StepTimeoutException) {
            status = Status.DEADLINE_EXCEEDED.withDescription(e.getMessage());
        } else if (kind instanceof ShutdownException) {
            status = Status.UNAVAILABLE.withDescription("the server is shutting down: " + e.getMessage());
        } else if (kind instanceof CancellationException) {
            status = Status.UNAVAILABLE.withDescription("the server cancelled the request before " + target
                    + " ran it (it is shutting down)");
        } else {
            String id = UUID.randomUUID().toString();
            LOG.error("Request to {} failed, error id {}", target, id, e);
            status = Status.INTERNAL.withDescription(target + " failed on this request; error id " + id
                    + " (the server log has the details)");
        }
        return status.asRuntimeException();
    }
}
