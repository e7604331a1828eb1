package dev.sluice.batching;

import java.util.Arrays;
import java.util.List;

/**
 * Another policy's decisions, with batches cut to sizes the user prefers (Triton's {@code preferred_batch_size}).
 * See {@link BatchPolicy#preferring}.
 */
final class PreferredSizesPolicy implements BatchPolicy {
    private final BatchPolicy policy;
    /** Ascending, distinct, at least 1. */
    private final int[] sizes;

    PreferredSizesPolicy(BatchPolicy policy, int[] sizes) {
        this.policy = policy;
        this.sizes = sizes;
    }

    @Override
    public int batchSize(State state) {
        int wanted = Math.min(state.maxBatchSize(), policy.batchSize(state));
        int k = state.queued();
        // The largest preferred size that the policy allows and that is waiting now; if none is waiting, the
        // smallest one the policy allows, so that the batch waits for it as the policy waits for a full batch.
        int best = 0;
        int smallestAllowed = 0;
        for (int s : sizes) {
            if (s > wanted) {
                break;
            }
            if (smallestAllowed == 0) {
                smallestAllowed = s;
            }
            if (s <= k) {
                best = s;
            }
        }
        if (best > 0) {
            return best;
        }
        return smallestAllowed > 0 ? smallestAllowed : wanted;
    }

    @Override
    public long nanosToWait(State state) {
        return policy.nanosToWait(state);
    }

    @Override
    public int targetBatchSize(List<CostCurve.Point> curve, int maxBatchSize) {
        int target = policy.targetBatchSize(curve, maxBatchSize);
        int best = 0;
        for (int s : sizes) {
            if (s <= target) {
                best = s;
            }
        }
        return best > 0 ? best : target;
    }

    @Override
    public void onBatchExecuted(int size, long executionNanos) {
        policy.onBatchExecuted(size, executionNanos);
    }

    @Override
    public String toString() {
        return policy + " preferring " + Arrays.toString(sizes);
    }
}
