package dev.sluice;

/**
 * Makes the {@link Model} of one replica. Called once per replica (and again to replace a failed one),
 * with where the replica was placed; an exception is reported in the status with its stack trace.
 */
@FunctionalInterface
public interface ModelFactory<I, O> {
    Model<I, O> create(ModelContext context) throws Exception;
}
