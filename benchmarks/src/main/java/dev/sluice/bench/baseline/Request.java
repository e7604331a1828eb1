package dev.sluice.bench.baseline;

import java.util.concurrent.CompletableFuture;

/** A queued input; it is also the caller's future, so a request costs one allocation. */
final class Request<I, O> extends CompletableFuture<O> {
    final I input;

    Request(I input) {
        this.input = input;
    }
}
